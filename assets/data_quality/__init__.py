"""Data quality: great-expectations suites over a landing-zone day, run as Dagster checks."""
