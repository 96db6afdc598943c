"""Grafana boards as code, generated JSON and provisioning."""
