#!/bin/sh
# One-shot `migrate` service: bring the landing zone's schema up to date as the admin role,
# seed the plant's reference data, then (re)apply the least-privilege grants to every table.
set -eu
: "${FAB_PG_DSN:?set FAB_PG_DSN (admin DSN) for the migrate service}"
fab db migrate
fab db seed --plant "${FAB_PLANT:-demo}"
psql "$FAB_PG_DSN" -v ON_ERROR_STOP=1 -q -f /app/deploy/timescaledb/grants.sql
echo "migrate: schema, seed and grants applied"
