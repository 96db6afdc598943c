"""Reconciliation and range checks on every fact table, run as Dagster asset checks."""
