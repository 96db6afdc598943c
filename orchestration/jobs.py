"""Jobs of the code location: everything for one plant-local day."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from assets.conventions import CADENCE_TAG, LAYER_TAG, NIGHTLY, SERIAL_RUN_TAGS
from assets.partitions import daily_partitions

DAILY_JOB = "fab_daily"


def daily_asset_keys(assets: Iterable[object]) -> list[dg.AssetKey]:
    """Keys of every executable asset partitioned by plant-local day, plus the dimensions;
    not the assets with a nightly job of their own (plan, forecasts, scoring)."""
    keys: list[dg.AssetKey] = []
    for item in assets:
        if not isinstance(item, dg.AssetsDefinition) or not item.is_executable:
            continue
        for key in item.keys:
            tags = item.tags_by_key.get(key, {})
            if tags.get(CADENCE_TAG) == NIGHTLY:
                continue
            if item.partitions_def == daily_partitions() or tags.get(LAYER_TAG) == "dimension":
                keys.append(key)
    return keys


def daily_job(keys: list[dg.AssetKey]) -> dg.UnresolvedAssetJobDefinition:
    """Dimensions, then every day-partitioned asset of every domain, for one partition."""
    return dg.define_asset_job(
        DAILY_JOB,
        selection=dg.AssetSelection.assets(*keys),
        description="Refresh the dimensions and rebuild one plant-local day of every fact.",
        tags=SERIAL_RUN_TAGS,
    )
