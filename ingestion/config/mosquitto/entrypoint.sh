#!/bin/sh
# Install the password file (written from .env by the broker-credentials service: the service
# users and one login per machine) and the TLS certificates (`make certs`) for the broker's own
# user, then start the broker. Fails fast when either is missing: no default credentials.
set -eu
auth=/mosquitto/auth/passwd
certs=/mosquitto/certs
data=/mosquitto/data
[ -s "$auth" ] || { echo "no $auth: the broker-credentials service writes it" >&2; exit 1; }
for f in public/ca.crt broker/broker.crt broker/broker.key; do
    [ -s "$certs/$f" ] || { echo "no $certs/$f: run \`make certs\` on the host" >&2; exit 1; }
done
umask 077
mkdir -p "$data/certs"
cp "$auth" "$data/passwd"
cp "$certs/public/ca.crt" "$certs/broker/broker.crt" "$certs/broker/broker.key" "$data/certs/"
chown -R mosquitto:mosquitto "$data/passwd" "$data/certs" 2>/dev/null || true
exec mosquitto -c /mosquitto/config/mosquitto.conf
