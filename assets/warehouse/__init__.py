"""Warehouse domain: Dagster assets that load the ClickHouse star schema (dims and daily facts)."""
