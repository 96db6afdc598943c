"""The one daily partitioning every domain shares: plant-local calendar days."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import dagster as dg

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
