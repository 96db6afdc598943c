-- Health (0-100) and failure probability per day.
SELECT toDateTime(h.day) AS "Time", h.health AS "Health score", h.probability AS "Failure probability"
FROM fab.fact_machine_health AS h
WHERE h.machine_id = '${machine}' AND $__dateFilter(h.day)
ORDER BY h.day
