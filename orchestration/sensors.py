"""Sensor: start a day's run when new landing data for it arrives.

It fingerprints the last days by event rows per plant-local day. A day whose count changed
gets a run: late data and backfills of past days right away; today only when its first data
arrives (after that the hourly schedule keeps today fresh without a run per poll).
"""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from assets.partitions import daily_partitions, plant_timezone
from assets.resources import LandingResource
from fabstack.calendar import plant_today
from orchestration.jobs import DAILY_JOB

LOOKBACK_DAYS = 7
DAY_COUNTS_SQL = (Path(__file__).parent / "sql" / "landing_day_counts.sql").read_text()


def landing_day_counts(conn, tz: str, since: datetime) -> dict[str, int]:
    """Plant-local day -> event rows landed since ``since``."""
    rows = conn.execute(DAY_COUNTS_SQL, {"tz": tz, "since": since}).fetchall()
    return {day.isoformat(): int(n) for day, n in rows}


def days_to_run(previous: dict[str, int], current: dict[str, int], today: date) -> list[str]:
    """Days whose fingerprint changed; today only on its first arrival."""
    out = []
    for day, n in sorted(current.items()):
        if previous.get(day) == n:
            continue
        if day == today.isoformat() and day in previous:
            continue
        out.append(day)
    return out


@dg.sensor(
    name="landing_arrivals",
    job_name=DAILY_JOB,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts a day's run when new state, count, lot or inspection data lands for it.",
)
def landing_arrivals(context: dg.SensorEvaluationContext, landing: LandingResource):
    tz = plant_timezone()
    now = datetime.now(UTC)
    since = now - timedelta(days=LOOKBACK_DAYS)
    with landing.connect() as conn:
        current = landing_day_counts(conn, tz, since)
    previous = json.loads(context.cursor) if context.cursor else {}
    today = plant_today(tz, now)
    valid = set(daily_partitions().get_partition_keys(current_time=now))
    requests = [
        dg.RunRequest(run_key=f"landing-{day}-{current[day]}", partition_key=day)
        for day in days_to_run(previous, current, today)
        if day in valid
    ]
    context.update_cursor(json.dumps(current))
    if not requests:
        return dg.SkipReason("no new landing data")
    return requests
