#!/bin/sh
# First boot of the TimescaleDB container: create the login roles with passwords from .env.
# Their privileges are granted by deploy/timescaledb/grants.sql after each migration.
set -eu
: "${FAB_DB_INGEST_PASSWORD:?set FAB_DB_INGEST_PASSWORD in .env}"
: "${FAB_DB_WAREHOUSE_PASSWORD:?set FAB_DB_WAREHOUSE_PASSWORD in .env}"
: "${FAB_DB_GRAFANA_PASSWORD:?set FAB_DB_GRAFANA_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=ingest_password="$FAB_DB_INGEST_PASSWORD" \
    --set=warehouse_password="$FAB_DB_WAREHOUSE_PASSWORD" \
    --set=grafana_password="$FAB_DB_GRAFANA_PASSWORD" \
    -f /fab/roles.sql
