#!/bin/sh
# First boot of the TimescaleDB container: MLflow's backend store, database fab_mlflow owned by
# its own login role (MLflow creates and migrates its tables there itself).
set -eu
: "${FAB_DB_MLFLOW_PASSWORD:?set FAB_DB_MLFLOW_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=mlflow_password="$FAB_DB_MLFLOW_PASSWORD" <<'SQL'
CREATE ROLE fab_mlflow LOGIN PASSWORD :'mlflow_password';
CREATE DATABASE fab_mlflow OWNER fab_mlflow;
REVOKE ALL ON DATABASE fab_mlflow FROM PUBLIC;
SQL
