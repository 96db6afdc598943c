"""Streaming ingestion: MQTT and OPC UA ingestors, validation, batching, spool and interlocks."""
