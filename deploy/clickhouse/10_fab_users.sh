#!/bin/bash
# First boot of the ClickHouse container: database `fab`, a writer for Dagster and a read-only
# user for Grafana, passwords from .env. Runs as the admin user the image creates from
# CLICKHOUSE_USER / CLICKHOUSE_PASSWORD.
set -euo pipefail
: "${FAB_CLICKHOUSE_WAREHOUSE_PASSWORD:?set FAB_CLICKHOUSE_WAREHOUSE_PASSWORD in .env}"
: "${FAB_CLICKHOUSE_GRAFANA_PASSWORD:?set FAB_CLICKHOUSE_GRAFANA_PASSWORD in .env}"
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g")"; }
clickhouse client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" --multiquery <<SQL
CREATE DATABASE IF NOT EXISTS fab;

-- Dagster's assets build the star schema: DDL and writes in database fab only, plus reading the
-- landing zone through the postgresql() table function.
CREATE USER IF NOT EXISTS fab_warehouse
    IDENTIFIED WITH sha256_password BY $(quote "$FAB_CLICKHOUSE_WAREHOUSE_PASSWORD");
GRANT SELECT, INSERT, ALTER, CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW, TRUNCATE,
      OPTIMIZE, SHOW ON fab.* TO fab_warehouse;
GRANT CREATE DATABASE ON fab.* TO fab_warehouse;
GRANT POSTGRES ON *.* TO fab_warehouse;

-- Grafana reads; readonly = 1 with max_execution_time still settable, as the plugin needs.
CREATE SETTINGS PROFILE IF NOT EXISTS fab_grafana_readonly
    SETTINGS readonly = 1, max_execution_time = 60 CHANGEABLE_IN_READONLY,
             max_memory_usage = 4000000000;
CREATE USER IF NOT EXISTS fab_grafana
    IDENTIFIED WITH sha256_password BY $(quote "$FAB_CLICKHOUSE_GRAFANA_PASSWORD")
    SETTINGS PROFILE 'fab_grafana_readonly';
GRANT SELECT ON fab.* TO fab_grafana;
SQL
echo "clickhouse: database fab, users fab_warehouse and fab_grafana ready"
