-- Sensor metrics the machine reported in the time range (one chart each).
SELECT DISTINCT metric AS "Metric"
FROM fab.fact_sensor_minute
WHERE machine_id = '${machine}' AND $__timeFilter(minute)
ORDER BY "Metric"
