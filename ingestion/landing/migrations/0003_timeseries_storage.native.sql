-- Plain PostgreSQL: day partitions (UTC days) created ahead and on demand, retention by
-- dropping whole partitions, and an hourly sensor rollup refreshed by the pipeline.
CREATE FUNCTION landing.ensure_day_partitions(p_from date, p_to date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    parent  text;
    d       date;
    part    text;
    created integer := 0;
BEGIN
    FOR parent IN
        SELECT c.relname FROM pg_partitioned_table p
        JOIN pg_class c ON c.oid = p.partrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'landing'
    LOOP
        FOR d IN SELECT generate_series(p_from, p_to, interval '1 day')::date LOOP
            part := format('%s_p%s', parent, to_char(d, 'YYYYMMDD'));
            IF to_regclass(format('landing.%I', part)) IS NULL THEN
                BEGIN
                    EXECUTE format(
                        'CREATE TABLE landing.%I PARTITION OF landing.%I FOR VALUES FROM (%L) TO (%L)',
                        part, parent,
                        d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
                    created := created + 1;
                EXCEPTION WHEN duplicate_table THEN
                    NULL;  -- another session made it first
                END;
            END IF;
        END LOOP;
    END LOOP;
    RETURN created;
END $$;

CREATE FUNCTION landing.drop_partitions_before(p_before date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r       record;
    dropped integer := 0;
BEGIN
    FOR r IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = 'landing' AND c.relname ~ '_p[0-9]{8}$'
          AND to_date(right(c.relname, 8), 'YYYYMMDD') < p_before
    LOOP
        EXECUTE format('DROP TABLE landing.%I', r.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;

CREATE TABLE landing.sensor_reading_hourly (
    bucket      timestamptz NOT NULL,
    machine_id  text NOT NULL,
    metric      text NOT NULL,
    n           bigint NOT NULL,
    mean        double precision NOT NULL,
    min_value   double precision NOT NULL,
    max_value   double precision NOT NULL,
    PRIMARY KEY (machine_id, metric, bucket)
);

CREATE FUNCTION landing.refresh_sensor_reading_hourly(p_from timestamptz, p_to timestamptz)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    DELETE FROM landing.sensor_reading_hourly
    WHERE bucket >= date_trunc('hour', p_from) AND bucket < p_to;
    INSERT INTO landing.sensor_reading_hourly
    SELECT date_trunc('hour', ts), machine_id, metric, count(*), avg(value), min(value), max(value)
    FROM landing.sensor_reading
    WHERE ts >= date_trunc('hour', p_from) AND ts < p_to
    GROUP BY 1, 2, 3;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
