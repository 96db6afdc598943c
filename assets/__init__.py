"""Dagster assets and checks, one subpackage per domain, each with plain math modules under a thin asset layer."""
