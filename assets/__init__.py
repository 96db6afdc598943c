"""Dagster assets and checks: one subpackage per domain, plain math modules under thin assets,
and the resources they use."""
