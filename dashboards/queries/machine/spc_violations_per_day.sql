-- Rule violations per day on the machine, by rule (markers of when the process drifted).
SELECT toDateTime(day) AS "Time", concat('Rule ', toString(rule)) AS "Rule", count() AS "Violations"
FROM fab.spc_violations
WHERE machine_id = '${machine}' AND $__timeFilter(ts)
GROUP BY day, rule
ORDER BY day, rule
