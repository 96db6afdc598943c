"""dbt in Dagster: the staging models over the landing zone (dbt/) as assets, tests as checks."""
