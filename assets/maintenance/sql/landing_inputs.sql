-- Maintenance inputs straight from the landing zone (PostgreSQL): the same frames the warehouse
-- queries in sql/warehouse/*.sql produce, for the CLI and for scoring where no warehouse runs.
-- Window: [%(start)s, %(end)s).

-- name: machines
SELECT machine_id, machine_type FROM landing.machine ORDER BY machine_id;

-- name: limits
SELECT machine_id, metric, setpoint, min_value, max_value FROM landing.machine_metric_limit;

-- name: sensor_hourly
SELECT machine_id, date_trunc('hour', ts) AS hour, metric,
       avg(value) AS avg, min(value) AS min, max(value) AS max,
       coalesce(stddev_pop(value), 0) AS std, count(*) AS n
FROM landing.sensor_reading
WHERE ts >= %(start)s AND ts < %(end)s AND quality = 0
GROUP BY 1, 2, 3;

-- name: states
-- The state in effect at the window start comes along, so the first interval is known.
(SELECT DISTINCT ON (machine_id) ts, machine_id, state, reason_code
 FROM landing.machine_state WHERE ts < %(start)s ORDER BY machine_id, ts DESC)
UNION ALL
SELECT ts, machine_id, state, reason_code
FROM landing.machine_state WHERE ts >= %(start)s AND ts < %(end)s;

-- name: counts
SELECT machine_id, (ts AT TIME ZONE 'UTC')::date AS day, sum(good + scrap) AS cycles
FROM landing.production_count
WHERE ts >= %(start)s AND ts < %(end)s
GROUP BY 1, 2;

-- name: alarms
SELECT machine_id, (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS alarm_count
FROM landing.alarm
WHERE ts >= %(start)s AND ts < %(end)s
GROUP BY 1, 2;

-- name: readings
-- Raw temperature and vibration readings for the baseline Isolation Forest.
SELECT machine_id, ts, metric, value
FROM landing.sensor_reading
WHERE ts >= %(start)s AND ts < %(end)s AND quality = 0
  AND metric IN ('temperature', 'vibration');

-- name: data_range
SELECT min(ts), max(ts) FROM landing.sensor_reading;

-- name: truth_failures
-- What the simulator injected (schema truth, when present): mean precursor hours, counts.
SELECT avg(extract(epoch FROM failure_ts - onset_ts) / 3600) FILTER (WHERE wear_out),
       count(*) FILTER (WHERE wear_out), count(*)
FROM truth.failure;

-- name: truth_present
SELECT to_regclass('truth.failure') IS NOT NULL;
