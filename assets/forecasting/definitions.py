"""The forecasting domain's definitions: capacity and ETS nightly, on-time after each plan."""

from __future__ import annotations

import dagster as dg

from assets.forecasting.assets import (
    forecast_capacity_asset,
    forecast_ets_asset,
    forecast_on_time_asset,
)
from assets.partitions import plant_timezone

forecast_nightly = dg.define_asset_job(
    "forecast_nightly",
    selection=dg.AssetSelection.assets(forecast_capacity_asset, forecast_ets_asset),
    description="Monte Carlo capacity forecast and its ETS cross-check.",
)
forecast_nightly_schedule = dg.ScheduleDefinition(
    name="forecast_nightly_0300",
    job=forecast_nightly,
    cron_schedule="0 3 * * *",
    execution_timezone=plant_timezone(),
    description="Every night at 03:00 plant time (after the 02:00 plan).",
)

defs = dg.Definitions(
    assets=[forecast_capacity_asset, forecast_on_time_asset, forecast_ets_asset],
    jobs=[forecast_nightly],
    schedules=[forecast_nightly_schedule],
)
