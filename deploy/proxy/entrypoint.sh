#!/bin/sh
# Hash the Dagster UI password from .env for Caddy's basic_auth, then start the proxy.
set -eu
: "${FAB_DAGSTER_UI_PASSWORD:?set FAB_DAGSTER_UI_PASSWORD in .env}"
for f in /certs/proxy.crt /certs/proxy.key; do
    [ -s "$f" ] || { echo "no $f: run \`make certs\` on the host" >&2; exit 1; }
done
FAB_DAGSTER_UI_HASH="$(caddy hash-password --plaintext "$FAB_DAGSTER_UI_PASSWORD")"
export FAB_DAGSTER_UI_HASH
unset FAB_DAGSTER_UI_PASSWORD
exec caddy run --config /etc/caddy/Caddyfile --adapter caddyfile
