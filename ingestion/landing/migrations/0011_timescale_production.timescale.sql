-- TimescaleDB in production: compression laid out for each hypertable's queries, retention
-- that reports what it dropped, and no silent no-op for the hourly rollup.
-- (Requires 2.18.1+, checked before any migration runs: see ingestion/landing/timescale.py.)

-- Compression per hypertable. segmentby: the column queries filter or group by, with many rows
-- per value in a 1-day chunk (a per-row id there makes one tiny batch per row and grows the
-- table). orderby: the rest of the unique key, time last, so key lookups and range scans within
-- a segment stay ordered. Since 2.18 settings apply per chunk: chunks already compressed keep
-- theirs until recompressed.
ALTER TABLE landing.sensor_reading SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'machine_id, metric', timescaledb.compress_orderby = 'ts DESC');
ALTER TABLE landing.machine_state SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'machine_id', timescaledb.compress_orderby = 'ts DESC');
ALTER TABLE landing.production_count SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'machine_id', timescaledb.compress_orderby = 'ts DESC');
ALTER TABLE landing.lot_move SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'machine_id',
    timescaledb.compress_orderby = 'lot_id, step_no, event, ts DESC');
ALTER TABLE landing.alarm SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'machine_id',
    timescaledb.compress_orderby = 'alarm_code, ts DESC');
ALTER TABLE landing.process_measurement SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'machine_id',
    timescaledb.compress_orderby = 'parameter, wafer_id, ts DESC');
ALTER TABLE landing.inspection SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'machine_id',
    timescaledb.compress_orderby = 'inspection_id, ts DESC');
ALTER TABLE landing.defect SET (timescaledb.compress,
    timescaledb.compress_segmentby = '',
    timescaledb.compress_orderby = 'inspection_id, defect_no, ts DESC');
ALTER TABLE landing.interlock_event SET (timescaledb.compress,
    timescaledb.compress_segmentby = 'machine_id',
    timescaledb.compress_orderby = 'rule_id, ts DESC');
ALTER TABLE landing.quarantine_log SET (timescaledb.compress,
    timescaledb.compress_segmentby = '',
    timescaledb.compress_orderby = 'lot_id, machine_id, ts DESC');

-- Retention by drop_chunks: the count is the number of chunks really dropped (drop_chunks
-- returns their names). Day boundaries are UTC, as for the native day partitions.
CREATE OR REPLACE FUNCTION landing.drop_partitions_before(p_before date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    h       regclass;
    n       integer;
    dropped integer := 0;
BEGIN
    FOR h IN
        SELECT format('%I.%I', hypertable_schema, hypertable_name)::regclass
        FROM timescaledb_information.hypertables
        WHERE hypertable_schema = 'landing'
    LOOP
        SELECT count(*) INTO n
        FROM drop_chunks(h, older_than => p_before::timestamp AT TIME ZONE 'UTC');
        dropped := dropped + n;
    END LOOP;
    RETURN dropped;
END $$;

-- refresh_continuous_aggregate is a procedure that refuses to run inside a transaction block
-- or a function, so it cannot hide behind this entry point: say so instead of returning 0.
CREATE OR REPLACE FUNCTION landing.refresh_sensor_reading_hourly(p_from timestamptz, p_to timestamptz)
RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'landing.sensor_reading_hourly is a continuous aggregate: CALL '
        'refresh_continuous_aggregate(''landing.sensor_reading_hourly'', %, %) on an autocommit '
        'connection (ingestion.landing.timescale.refresh_rollup does)', p_from, p_to;
END $$;
