-- Rows landed per minute, by table: the ingest rate as the landing zone sees it.
SELECT $__timeGroupAlias(ts, '1m'), 'Sensor readings' AS metric, count(*) AS "Rows"
FROM landing.sensor_reading
WHERE $__timeFilter(ts) AND machine_id IN (${machine:singlequote})
GROUP BY 1, 2
UNION ALL
SELECT $__timeGroupAlias(ts, '1m'), 'State events' AS metric, count(*)
FROM landing.machine_state
WHERE $__timeFilter(ts) AND machine_id IN (${machine:singlequote})
GROUP BY 1, 2
ORDER BY 1
