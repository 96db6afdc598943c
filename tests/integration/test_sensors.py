"""The landing-arrival sensor against a real landing zone: first arrivals start their days,
an unchanged landing zone starts nothing, late data for a past day starts that day again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import psycopg

STATE_SQL = (
    "INSERT INTO landing.machine_state (ts, machine_id, state, reason_code, seq) "
    "VALUES (%s, 'ETCH-01', 'RUNNING', 'RUN', %s)"
)


def _evaluate(dsn: str, cursor: str | None):
    from assets.resources import LandingResource
    from orchestration.definitions import defs
    from orchestration.sensors import landing_arrivals

    with dg.build_sensor_context(
        cursor=cursor,
        resources={"landing": LandingResource(dsn=dsn)},
        repository_def=defs.get_repository_def(),
    ) as context:
        result = landing_arrivals.evaluate_tick(context)
    return result, result.cursor


def test_landing_arrivals_start_new_and_late_days(landing_dsn: str) -> None:
    from fabstack.calendar import local_day
    from ingestion.landing.migrate import ensure_partitions

    now = datetime.now(UTC).replace(microsecond=0)
    two_days_ago = now - timedelta(days=2)
    with psycopg.connect(landing_dsn) as conn:
        ensure_partitions(conn, two_days_ago.date(), now.date())
        conn.execute(STATE_SQL, (two_days_ago, 1))
        conn.execute(STATE_SQL, (now - timedelta(minutes=5), 2))
    first, cursor = _evaluate(landing_dsn, None)
    days = {r.partition_key for r in first.run_requests}
    assert local_day(two_days_ago, "Europe/Berlin").isoformat() in days

    again, cursor = _evaluate(landing_dsn, cursor)
    assert not again.run_requests and again.skip_message == "no new landing data"

    with psycopg.connect(landing_dsn) as conn:  # a late row for the past day
        conn.execute(STATE_SQL, (two_days_ago + timedelta(seconds=1), 3))
    late, _ = _evaluate(landing_dsn, cursor)
    assert [r.partition_key for r in late.run_requests] == [
        local_day(two_days_ago, "Europe/Berlin").isoformat()
    ]
