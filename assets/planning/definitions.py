"""The planning domain's definitions: the plan asset and its nightly 02:00 (plant time) run."""

from __future__ import annotations

import dagster as dg

from assets.partitions import plant_day_schedule
from assets.planning.assets import plan_schedule

# the plan and whatever hangs off it (the on-time forecast when the forecasting domain is loaded)
planning_nightly = dg.define_asset_job(
    "planning_nightly",
    selection=dg.AssetSelection.assets(plan_schedule).downstream(),
    description="The nightly plan and its on-time forecast.",
)
# the plan and the on-time forecast are partitioned by plant day: the run is for today
planning_nightly_schedule = plant_day_schedule(
    "planning_nightly_0200",
    "0 2 * * *",
    "Every night at 02:00 plant time: plan every open lot's remaining steps.",
    job=planning_nightly,
)

defs = dg.Definitions(
    assets=[plan_schedule], jobs=[planning_nightly], schedules=[planning_nightly_schedule]
)
