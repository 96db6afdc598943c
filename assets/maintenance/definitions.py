"""The maintenance domain's definitions: its assets, a daily scoring job and a weekly retrain."""

from __future__ import annotations

import dagster as dg

from assets.conventions import SERIAL_RUN_TAGS
from assets.maintenance.assets import (
    MAINTENANCE_ASSETS,
    fact_anomaly,
    failure_model,
    maintenance_features,
    maintenance_scoring,
)
from assets.partitions import plant_day_schedule, plant_timezone

maintenance_daily = dg.define_asset_job(
    "maintenance_daily",
    selection=dg.AssetSelection.assets(maintenance_features, fact_anomaly, maintenance_scoring),
    description="Features, then one plant day's anomaly scores, failure risk and health with "
    "the champion model.",
    tags=SERIAL_RUN_TAGS,
)
failure_model_training = dg.define_asset_job(
    "failure_model_training",
    selection=dg.AssetSelection.assets(maintenance_features, failure_model),
    description="Retrain the failure model on fresh features; launch from the UI with run "
    "config (horizon_days, family, params) to compare runs.",
    tags=SERIAL_RUN_TAGS,
)

defs = dg.Definitions(
    assets=MAINTENANCE_ASSETS,
    jobs=[maintenance_daily, failure_model_training],
    schedules=[
        plant_day_schedule(
            "maintenance_daily_scoring",
            "30 3 * * *",
            "Every night at 03:30 plant time, after yesterday's facts are final: today's risk.",
            job=maintenance_daily,
        ),
        dg.ScheduleDefinition(
            name="failure_model_weekly_retrain",
            job=failure_model_training,
            cron_schedule="0 4 * * 1",
            execution_timezone=plant_timezone(),
            description="Every Monday at 04:00 plant time: retrain, register, promote if not "
            "worse.",
        ),
    ],
)
