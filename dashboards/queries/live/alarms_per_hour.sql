-- Alarms per hour and severity.
SELECT $__timeGroupAlias(ts, '1h'), 'Severity ' || severity AS metric, count(*) AS "Alarms"
FROM landing.alarm
WHERE $__timeFilter(ts) AND machine_id IN (${machine:singlequote})
GROUP BY 1, 2
ORDER BY 1
