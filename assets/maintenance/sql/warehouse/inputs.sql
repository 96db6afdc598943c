-- Maintenance inputs from the warehouse facts, aggregated where the data is.
-- Window [{start}, {end}); {first_day}..{last_day} prune the (plant-local) day partitions.

-- name: machines
SELECT machine_id, machine_type FROM fab.dim_machine ORDER BY machine_id

-- name: limits
SELECT machine_id, metric, setpoint, min_value, max_value
FROM postgresql({pg_host:String}, {pg_db:String}, 'machine_metric_limit', {pg_user:String}, {pg_password:String}, 'landing')

-- name: sensor_hourly
-- Pooled over the minutes of each hour: mean weighted by count, variance = E[x^2] - mean^2.
SELECT machine_id, toDateTime64(toStartOfHour(minute), 3, 'UTC') AS hour, metric,
       sum(mean_value * cnt) / sum(cnt) AS avg,
       min(min_value) AS min,
       max(max_value) AS max,
       sqrt(greatest(sum(cnt * (stddev_value * stddev_value + mean_value * mean_value))
                     / sum(cnt) - pow(sum(mean_value * cnt) / sum(cnt), 2), 0)) AS std,
       toInt64(sum(cnt)) AS n
FROM (
    SELECT machine_id, minute, metric, n AS cnt, min_value, max_value, mean_value, stddev_value
    FROM fab.fact_sensor_minute
    WHERE day BETWEEN {first_day:Date} AND {last_day:Date}
      AND minute >= {start:DateTime('UTC')} AND minute < {end:DateTime('UTC')} AND n > 0
)
GROUP BY machine_id, hour, metric

-- name: states
-- Intervals overlapping the window, as state events (the cut pieces repeat a state: harmless).
SELECT greatest(start_ts, toDateTime64({start:DateTime('UTC')}, 3, 'UTC')) AS ts,
       machine_id, state, reason_code
FROM fab.fact_machine_state
WHERE day BETWEEN {first_day:Date} AND {last_day:Date}
  AND end_ts > {start:DateTime('UTC')} AND start_ts < {end:DateTime('UTC')}
ORDER BY machine_id, ts

-- name: counts
SELECT machine_id, toDate(hour) AS day, toInt64(sum(total)) AS cycles
FROM fab.fact_production_hourly
WHERE day BETWEEN {first_day:Date} AND {last_day:Date}
  AND hour >= {start:DateTime('UTC')} AND hour < {end:DateTime('UTC')}
GROUP BY machine_id, day

-- name: alarms
SELECT machine_id, toDate(ts, 'UTC') AS day, toInt64(count()) AS alarm_count
FROM postgresql({pg_host:String}, {pg_db:String}, 'alarm', {pg_user:String}, {pg_password:String}, 'landing')
WHERE ts >= {start:DateTime('UTC')} AND ts < {end:DateTime('UTC')}
GROUP BY machine_id, day

-- name: readings
-- The baseline's "raw" readings: minute means of temperature and vibration.
SELECT machine_id, toDateTime64(minute, 3, 'UTC') AS ts, metric, mean_value AS value
FROM fab.fact_sensor_minute
WHERE day BETWEEN {first_day:Date} AND {last_day:Date}
  AND minute >= {start:DateTime('UTC')} AND minute < {end:DateTime('UTC')}
  AND metric IN ('temperature', 'vibration') AND n > 0

-- name: data_end
SELECT max(minute) FROM fab.fact_sensor_minute
