-- One sensor metric: mean per Grafana interval with its minimum and maximum.
SELECT $__timeInterval(minute)   AS "Time",
       avg(mean_value)          AS "${metric} mean",
       min(min_value)           AS "${metric} min",
       max(max_value)           AS "${metric} max"
FROM fab.fact_sensor_minute
WHERE machine_id = '${machine}' AND metric = '${metric}' AND $__timeFilter(minute)
GROUP BY "Time"
ORDER BY "Time"
