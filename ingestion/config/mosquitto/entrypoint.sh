#!/bin/sh
# Write Mosquitto's hashed password file from the environment (.env), then start the broker.
# Fails fast when a password is missing: there are no default credentials.
set -eu
: "${FAB_MQTT_INGEST_PASSWORD:?set FAB_MQTT_INGEST_PASSWORD in .env}"
: "${FAB_MQTT_SIM_PASSWORD:?set FAB_MQTT_SIM_PASSWORD in .env}"
passwd=/mosquitto/data/passwd
umask 077
rm -f "$passwd"
touch "$passwd"
mosquitto_passwd -b "$passwd" fab_ingest "$FAB_MQTT_INGEST_PASSWORD"
mosquitto_passwd -b "$passwd" fab_sim "$FAB_MQTT_SIM_PASSWORD"
chown mosquitto:mosquitto "$passwd" 2>/dev/null || true
exec mosquitto -c /mosquitto/config/mosquitto.conf
