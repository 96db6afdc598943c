SELECT 'sensor' AS source, toString(machine_id) AS machine_id, toString(metric) AS item,
       '' AS recipe_id, toDateTime64(min(minute), 3, 'UTC') AS first_ts,
       toDateTime64(max(minute), 3, 'UTC') AS last_ts
FROM fab.fact_sensor_minute
WHERE day <= {last_day:Date} AND n > 0
GROUP BY machine_id, metric;
