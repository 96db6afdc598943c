"""The Dagster code location: Definitions, resources, schedules, sensors and jobs."""
