"""The forecasting domain's definitions: capacity and ETS nightly, on-time after each plan."""

from __future__ import annotations

import dagster as dg

from assets.conventions import SERIAL_RUN_TAGS
from assets.forecasting.assets import (
    forecast_capacity_asset,
    forecast_ets_asset,
    forecast_on_time_asset,
)
from assets.partitions import plant_day_schedule

forecast_nightly = dg.define_asset_job(
    "forecast_nightly",
    selection=dg.AssetSelection.assets(forecast_capacity_asset, forecast_ets_asset),
    description="Monte Carlo capacity forecast and its ETS cross-check for one plant day.",
    tags=SERIAL_RUN_TAGS,
)

defs = dg.Definitions(
    assets=[forecast_capacity_asset, forecast_on_time_asset, forecast_ets_asset],
    jobs=[forecast_nightly],
    schedules=[
        plant_day_schedule(
            "forecast_nightly_0300",
            "0 3 * * *",
            "Every night at 03:00 plant time (after the 02:00 plan): today's forecasts.",
            job=forecast_nightly,
        )
    ],
)
