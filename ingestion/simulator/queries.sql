-- name: overlapping_runs
SELECT run_id, seed, origin_ts, start_ts, end_ts
FROM truth.run
WHERE plant = %(plant)s AND mode = 'backfill' AND origin_ts <= %(end)s AND end_ts >= %(start)s
ORDER BY origin_ts;

-- name: upsert_run
INSERT INTO truth.run (run_id, plant, seed, origin_ts, start_ts, end_ts, mode, sensor_rate_hz,
                       summary)
VALUES (%(run_id)s, %(plant)s, %(seed)s, %(origin)s, %(start)s, %(end)s, %(mode)s, %(rate)s,
        %(summary)s)
ON CONFLICT (run_id) DO UPDATE
SET start_ts = EXCLUDED.start_ts, end_ts = greatest(truth.run.end_ts, EXCLUDED.end_ts),
    sensor_rate_hz = EXCLUDED.sensor_rate_hz, summary = EXCLUDED.summary, updated_at = now();

-- name: upsert_lot
INSERT INTO landing.lot (lot_id, product_id, wafer_count, priority, hot_lot, release_ts, due_ts,
                         status)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (lot_id) DO UPDATE SET status = EXCLUDED.status
WHERE landing.lot.status IS DISTINCT FROM EXCLUDED.status;

-- name: insert_wafer
INSERT INTO landing.wafer (wafer_id, lot_id, slot) VALUES (%s, %s, %s)
ON CONFLICT DO NOTHING;

-- name: partition_state
SELECT to_regclass(%(name)s) IS NOT NULL AS present,
       (SELECT count(*) FROM pg_inherits i WHERE i.inhrelid = to_regclass(%(name)s)) AS attached;

-- name: reading_count
SELECT count(*) FROM landing.sensor_reading WHERE ts >= %(from)s AND ts < %(to)s;

-- name: table_rows_between
SELECT count(*) FROM landing.{table} WHERE ts >= %(from)s AND ts < %(to)s;

-- name: readings_between
-- Whether [lo, hi) already holds readings (chunk exclusion keeps this to one chunk).
SELECT EXISTS (SELECT 1 FROM landing.sensor_reading WHERE ts >= %(lo)s AND ts < %(hi)s);
