-- One point per machine, metric and UTC hour: the mean of good readings.
SELECT 'sensor' AS source, toString(machine_id) AS machine_id, toString(metric) AS item,
       '' AS recipe_id, toDateTime64(hour, 3, 'UTC') AS ts, toString(hour) AS subgroup,
       toFloat64(sum(readings)) AS n, sum(mean_value * readings) / sum(readings) AS value
FROM (
    SELECT machine_id, metric, toStartOfHour(minute) AS hour, mean_value, n AS readings
    FROM fab.fact_sensor_minute
    WHERE day >= {first_day:Date} AND day <= {last_day:Date}
      AND minute >= {start:DateTime64(3, 'UTC')} AND minute < {end:DateTime64(3, 'UTC')}
      AND n > 0
)
GROUP BY machine_id, metric, hour
ORDER BY hour;
