"""The landing zone's hourly sensor rollup, kept by a daily asset on plain PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import psycopg
import pytest

from assets.landing.assets import landing_sensor_hourly
from assets.resources import LandingResource
from ingestion.sink import LandingSink

DAY = "2026-11-10"  # plant-local (Europe/Berlin, UTC+1): 2026-11-09 23:00 .. 11-10 23:00 UTC


def _rollup(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT bucket, machine_id, metric, n, mean, min_value, max_value "
            "FROM landing.sensor_reading_hourly ORDER BY 1, 2, 3"
        ).fetchall()


def test_rollup_matches_the_readings_and_reruns_change_nothing(landing_dsn: str) -> None:
    start = datetime(2026, 11, 9, 22, 30, tzinfo=UTC)  # half an hour before the plant day
    rows = [
        (start + timedelta(minutes=10 * i), "ETCH-01", "temperature", 170.0 + i % 7, 0)
        for i in range(6 * 26)  # 26 hours of readings every 10 minutes
    ]
    with psycopg.connect(landing_dsn) as conn:
        LandingSink(conn).write("sensor_reading", rows)
    resources = {"landing": LandingResource(dsn=landing_dsn)}
    result = dg.materialize([landing_sensor_hourly], partition_key=DAY, resources=resources)
    assert result.success
    first = _rollup(landing_dsn)
    buckets = [r[0] for r in first]
    assert buckets[0] == datetime(2026, 11, 9, 23, tzinfo=UTC)  # plant midnight, not before
    assert buckets[-1] == datetime(2026, 11, 10, 22, tzinfo=UTC)
    assert len(first) == 24 and all(r[3] == 6 for r in first)
    in_day = [r for r in rows if buckets[0] <= r[0] < buckets[-1] + timedelta(hours=1)]
    assert sum(r[3] for r in first) == len(in_day)
    assert sum(r[4] * r[3] for r in first) == pytest.approx(sum(r[3] for r in in_day))
    metadata = result.asset_materializations_for_node("landing_sensor_hourly")[0].metadata
    assert metadata["buckets"].value == 24
    assert dg.materialize([landing_sensor_hourly], partition_key=DAY, resources=resources).success
    assert _rollup(landing_dsn) == first
