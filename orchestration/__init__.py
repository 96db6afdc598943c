"""The Dagster code location: it only assembles (Definitions, schedules, sensors, jobs)."""
