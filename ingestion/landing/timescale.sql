-- name: extension_version
SELECT coalesce(
    (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'),
    (SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'));

-- name: refresh_hourly
-- A procedure: runs only at top level, outside a transaction block (autocommit connection).
-- Only buckets wholly inside the window are refreshed; the window is hour-aligned by callers.
CALL refresh_continuous_aggregate('landing.sensor_reading_hourly', %(start)s::timestamptz, %(end)s::timestamptz);

-- name: refresh_native
SELECT landing.refresh_sensor_reading_hourly(%(start)s, %(end)s);

-- name: set_jobs_scheduled
SELECT alter_job(j.job_id, scheduled => %(scheduled)s)
FROM timescaledb_information.jobs j
WHERE j.proc_name = %(proc)s AND j.hypertable_schema = 'landing';
