"""Ingestion configuration files (OPC UA node mapping, interlock rules) and their loaders."""
