-- Health score per machine and day.
SELECT toDateTime(day) AS "Time", toString(machine_id) AS "Machine", health AS "Health score"
FROM fab.fact_machine_health
WHERE machine_id IN (${machine:singlequote}) AND $__dateFilter(day)
ORDER BY day
