-- Login roles of the landing zone, least privilege (run once by 10_fab_roles.sh, psql variables
-- carry the passwords from .env). Table privileges: grants.sql, re-applied after migrations.
--   fab_ingest     ingest writer: the MQTT / OPC UA ingestors and the simulator's truth tables
--   fab_warehouse  warehouse reader: Dagster reads the landing zone into ClickHouse and writes
--                  only its own outputs (dbt staging views, plan, model registry, alerts)
--   fab_grafana    Grafana's read-only user for the live board
-- The admin role (POSTGRES_USER) owns the schema and runs `fab db migrate`.
CREATE ROLE fab_ingest LOGIN PASSWORD :'ingest_password';
CREATE ROLE fab_warehouse LOGIN PASSWORD :'warehouse_password';
CREATE ROLE fab_grafana LOGIN PASSWORD :'grafana_password' CONNECTION LIMIT 20;

-- Readers cannot write even if a grant slips through.
ALTER ROLE fab_grafana SET default_transaction_read_only = on;
ALTER ROLE fab_grafana SET statement_timeout = '30s';

-- Nobody but the owner creates objects in public; only named roles connect.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- COPY stages batches in temporary tables.
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO fab_ingest, fab_warehouse, fab_grafana',
                   current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO fab_ingest, fab_warehouse',
                   current_database());
END
$$;
-- dbt builds its staging views in a schema of its own.
CREATE SCHEMA IF NOT EXISTS staging AUTHORIZATION fab_warehouse;
