-- TimescaleDB: hypertables with 1-day chunks, compression after 7 days, 90-day raw retention
-- and an hourly continuous aggregate of sensor readings (same name and columns as the native
-- rollup table, so readers do not care which mode they run on).
CREATE EXTENSION IF NOT EXISTS timescaledb;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sensor_reading', 'machine_state', 'production_count', 'lot_move',
                             'alarm', 'process_measurement', 'inspection', 'defect',
                             'interlock_event', 'quarantine_log']
    LOOP
        PERFORM create_hypertable(format('landing.%I', t)::regclass, 'ts',
                                  chunk_time_interval => interval '1 day');
        EXECUTE format('ALTER TABLE landing.%I SET (timescaledb.compress)', t);
        PERFORM add_compression_policy(format('landing.%I', t)::regclass, interval '7 days');
        PERFORM add_retention_policy(format('landing.%I', t)::regclass, interval '90 days');
    END LOOP;
END $$;

CREATE MATERIALIZED VIEW landing.sensor_reading_hourly
WITH (timescaledb.continuous) AS
SELECT time_bucket(interval '1 hour', ts) AS bucket, machine_id, metric,
       count(*) AS n, avg(value) AS mean, min(value) AS min_value, max(value) AS max_value
FROM landing.sensor_reading
GROUP BY 1, 2, 3
WITH NO DATA;

SELECT add_continuous_aggregate_policy('landing.sensor_reading_hourly',
    start_offset => interval '3 days', end_offset => interval '1 hour',
    schedule_interval => interval '1 hour');

-- Same entry points as the native mode, so callers need not branch.
CREATE FUNCTION landing.ensure_day_partitions(p_from date, p_to date) RETURNS integer
LANGUAGE sql AS $$ SELECT 0 $$;  -- chunks are created by TimescaleDB on insert

CREATE FUNCTION landing.drop_partitions_before(p_before date) RETURNS integer
LANGUAGE sql AS $$ SELECT 0 $$;  -- the retention policy drops chunks

-- The continuous-aggregate policy refreshes the rollup; refresh_continuous_aggregate cannot
-- run inside a function's transaction, so the pipeline's call is a no-op here.
CREATE FUNCTION landing.refresh_sensor_reading_hourly(p_from timestamptz, p_to timestamptz)
RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint $$;
