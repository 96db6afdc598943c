-- The metric's setpoint and limits (landing zone reference data) drawn across the range.
SELECT t AS "Time", l.setpoint AS "Setpoint", l.min_value AS "Lower limit",
       l.max_value AS "Upper limit"
FROM landing.machine_metric_limit AS l
CROSS JOIN (VALUES ($__timeFrom()::timestamptz), ($__timeTo()::timestamptz)) AS r(t)
WHERE l.machine_id = '${machine}' AND l.metric = '${metric}'
ORDER BY t
