"""Front door of the stack: MQTT/OPC UA ingestors, landing sink and spool, simulator, migrations."""
