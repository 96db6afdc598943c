"""Jobs of the code location: everything for one plant-local day."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from assets.partitions import daily_partitions

DAILY_JOB = "fab_daily"
DAILY_TAGS = {"fab/warehouse": "serial"}  # the run queue allows one such run at a time


def daily_asset_keys(assets: Iterable[object]) -> list[dg.AssetKey]:
    """Keys of every executable asset partitioned by plant-local day, plus the dimensions."""
    keys: list[dg.AssetKey] = []
    for item in assets:
        if not isinstance(item, dg.AssetsDefinition) or not item.is_executable:
            continue
        for key in item.keys:
            tags = item.tags_by_key.get(key, {})
            if item.partitions_def == daily_partitions() or tags.get("fab/layer") == "dimension":
                keys.append(key)
    return keys


def daily_job(keys: list[dg.AssetKey]) -> dg.UnresolvedAssetJobDefinition:
    """Dimensions, then every day-partitioned asset of every domain, for one partition."""
    return dg.define_asset_job(
        DAILY_JOB,
        selection=dg.AssetSelection.assets(*keys),
        description="Refresh the dimensions and rebuild one plant-local day of every fact.",
        tags=DAILY_TAGS,
    )
