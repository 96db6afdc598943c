"""ClickHouse warehouse: one `Warehouse` interface (chDB or server) and star-schema SQL."""
