"""Schedules of the daily job: refresh today's partition every hour; finalise yesterday's."""

from __future__ import annotations

import dagster as dg

from assets.partitions import plant_day_schedule
from orchestration.jobs import DAILY_JOB


def schedules() -> list[dg.ScheduleDefinition]:
    return [
        plant_day_schedule(
            "hourly_refresh_today",
            "7 * * * *",
            "Every hour: rebuild today's (plant-local) partition with what has landed.",
            job_name=DAILY_JOB,
        ),
        plant_day_schedule(
            "nightly_finalise_yesterday",
            "30 2 * * *",
            "Every night at 02:30 plant time: rebuild yesterday's partition once all late data "
            "(store-and-forward, spool replays) has landed.",
            job_name=DAILY_JOB,
            days_back=1,
        ),
    ]
