"""The one daily partitioning every domain shares: plant-local calendar days."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import dagster as dg

from fabstack.calendar import local_day
from fabstack.settings import get_settings

# First partition: far enough back for any backfill the simulator or a real plant loads.
PARTITIONS_START = "2024-01-01"


@lru_cache(maxsize=1)
def plant_timezone() -> str:
    """The plant's time zone (shift boundaries and partition days follow it)."""
    from ingestion.plant import load_plant

    return load_plant(get_settings().plant).site.timezone


@lru_cache(maxsize=1)
def daily_partitions() -> dg.DailyPartitionsDefinition:
    """Plant-local days; today's partition exists (end_offset=1) so it can refresh hourly."""
    return dg.DailyPartitionsDefinition(
        start_date=PARTITIONS_START, timezone=plant_timezone(), end_offset=1
    )


def partition_day(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


def plant_day_schedule(
    name: str,
    cron: str,
    description: str,
    *,
    job: dg.UnresolvedAssetJobDefinition | None = None,
    job_name: str | None = None,
    days_back: int = 0,
) -> dg.ScheduleDefinition:
    """A schedule (cron in plant time) that runs the plant-local day of its tick, or the day
    ``days_back`` before it, as the job's partition."""
    tz = plant_timezone()

    @dg.schedule(
        name=name,
        job=job,
        job_name=job_name,
        cron_schedule=cron,
        execution_timezone=tz,
        description=description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time
        day = local_day(tick, tz) - timedelta(days=days_back)
        return dg.RunRequest(run_key=f"{name}-{tick.isoformat()}", partition_key=day.isoformat())

    return _schedule
