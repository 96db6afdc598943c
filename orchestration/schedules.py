"""Schedules: refresh today's partition every hour; finalise yesterday's every night."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from assets.partitions import plant_timezone
from orchestration.jobs import DAILY_JOB


def _local_day(context: dg.ScheduleEvaluationContext, days_back: int) -> str:
    tz = ZoneInfo(plant_timezone())
    when = context.scheduled_execution_time.astimezone(tz)
    return (when.date() - timedelta(days=days_back)).isoformat()


def schedules() -> list[dg.ScheduleDefinition]:
    tz = plant_timezone()

    @dg.schedule(
        name="hourly_refresh_today",
        job_name=DAILY_JOB,
        cron_schedule="7 * * * *",
        execution_timezone=tz,
        description="Every hour: rebuild today's (plant-local) partition with what has landed.",
    )
    def hourly_refresh_today(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = _local_day(context, 0)
        return dg.RunRequest(
            run_key=f"hourly-{context.scheduled_execution_time.isoformat()}", partition_key=day
        )

    @dg.schedule(
        name="nightly_finalise_yesterday",
        job_name=DAILY_JOB,
        cron_schedule="30 2 * * *",
        execution_timezone=tz,
        description="Every night at 02:30 plant time: rebuild yesterday's partition once all "
        "late data (store-and-forward, spool replays) has landed.",
    )
    def nightly_finalise_yesterday(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = _local_day(context, 1)
        return dg.RunRequest(run_key=f"nightly-{day}", partition_key=day)

    return [hourly_refresh_today, nightly_finalise_yesterday]
