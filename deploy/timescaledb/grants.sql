-- Table privileges of the landing-zone roles (see roles.sql). Idempotent: run by
-- deploy/migrate.sh after every `fab db migrate`, so new tables get their grants too.
GRANT USAGE ON SCHEMA landing TO fab_ingest, fab_warehouse, fab_grafana;

-- Everyone reads the landing zone.
GRANT SELECT ON ALL TABLES IN SCHEMA landing TO fab_ingest, fab_warehouse, fab_grafana;

-- Ingest writer: appends time series, dead letters, its live status and quarantines; nothing
-- else (no UPDATE/DELETE on data, no reference tables).
GRANT INSERT ON landing.sensor_reading, landing.machine_state, landing.production_count,
    landing.lot_move, landing.alarm, landing.process_measurement, landing.inspection,
    landing.defect, landing.interlock_event, landing.quarantine_log, landing.dead_letter
    TO fab_ingest;
GRANT INSERT, UPDATE ON landing.ingest_status TO fab_ingest;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA landing TO fab_ingest;

-- The simulator records its ground truth (tests and conformance compare against it).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'truth') THEN
        GRANT USAGE ON SCHEMA truth TO fab_ingest, fab_warehouse;
        GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA truth TO fab_ingest;
        GRANT SELECT ON ALL TABLES IN SCHEMA truth TO fab_warehouse;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA truth TO fab_ingest;
    END IF;
END
$$;

-- Warehouse reader / pipeline: writes only the tables its assets own.
DO $$
DECLARE
    owned text;
BEGIN
    FOREACH owned IN ARRAY ARRAY['plan_run', 'schedule_slot', 'model_registry',
                                 'oee_alert', 'spc_alert', 'alert_event']
    LOOP
        IF to_regclass('landing.' || owned) IS NOT NULL THEN
            EXECUTE format('GRANT INSERT, UPDATE, DELETE ON landing.%I TO fab_warehouse', owned);
        END IF;
    END LOOP;
END
$$;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA landing TO fab_warehouse;

-- Grafana: SELECT only (granted above); never anything else.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA landing FROM fab_grafana;
