-- Hours in each state over the range.
SELECT toString(state) AS "State", sum(duration_s) / 3600 AS "Hours"
FROM fab.fact_machine_state
WHERE machine_id = '${machine}' AND $__timeFilter(start_ts)
GROUP BY state
ORDER BY "Hours" DESC
