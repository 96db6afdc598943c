"""The oee.com worked example, fed as landing events through the real sink and read back:
must reproduce 88.81 / 86.11 / 97.80 / 74.79 %."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import psycopg
import pytest

from assets.oee.intervals import intervals_from_events, with_loss_category
from assets.oee.landing import load_oee_inputs
from assets.oee.metrics import oee_by_window
from assets.oee.shifts import shift_windows
from ingestion.sink import LandingSink
from tests.conftest import REFERENCE

MACHINE = "VORNE-01"
DAY = date(2026, 11, 20)


def _example() -> dict:
    return json.loads((REFERENCE / "oee_worked_example.json").read_text())


def _events_and_counts(ex: dict) -> tuple[list[tuple], list[tuple]]:
    """Shift A of the demo calendar (06:00 local, breaks at +120/15, +240/30, +360/15) with the
    example's 47 minutes of breakdown after the first break, then the example's counts spread
    over the run periods as track-outs."""
    inputs = ex["inputs"]
    start = datetime(DAY.year, DAY.month, DAY.day, 6, tzinfo=ZoneInfo("Europe/Berlin"))
    down = inputs["down_time_min"]
    plan = [  # (offset min, state, reason)
        (0, "RUNNING", "RUN"),
        (120, "OFFLINE", "BREAK"),
        (135, "RUNNING", "RUN"),
        (180, "DOWN", "WEAR_OUT"),
        (180 + down, "RUNNING", "RUN"),
        (240, "OFFLINE", "BREAK"),
        (270, "RUNNING", "RUN"),
        (360, "OFFLINE", "BREAK"),
        (375, "RUNNING", "RUN"),
        (480, "OFFLINE", "NO_SHIFT"),
    ]
    events = [(start + timedelta(minutes=m), MACHINE, s, r, i) for i, (m, s, r) in enumerate(plan)]
    total, rejects = inputs["total_count"], inputs["reject_count"]
    good = total - rejects
    slots = [60, 119, 170, 235, 300, 359, 420, 479]  # minutes when a batch is tracked out
    n = len(slots)
    counts = []
    for i, m in enumerate(slots):
        g = good // n + (1 if i < good % n else 0)
        s = rejects // n + (1 if i < rejects % n else 0)
        counts.append((start + timedelta(minutes=m), MACHINE, None, None, g, s, i))
    return events, counts


@pytest.fixture
def example_db(landing_dsn: str) -> str:
    ex = _example()
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO landing.machine_type VALUES ('VORNE', 'oee.com example', %s, 100, 1)",
            (ex["inputs"]["ideal_cycle_time_s"],),
        )
        conn.execute(
            "INSERT INTO landing.machine VALUES (%s, 'FAB1', 'ETCH', 'VORNE', %s, 1.0, NULL, NULL)",
            (MACHINE, ex["inputs"]["ideal_cycle_time_s"]),
        )
        events, counts = _events_and_counts(ex)
        sink = LandingSink(conn)
        assert sink.write("machine_state", events) == len(events)
        assert sink.write("production_count", counts) == len(counts)
        assert sink.write("production_count", counts) == 0  # re-delivery lands once
    return landing_dsn


def test_worked_example_reproduced_from_landing_events(example_db: str) -> None:
    ex = _example()
    start = datetime(2026, 11, 19, tzinfo=UTC)
    end = datetime(2026, 11, 22, tzinfo=UTC)
    with psycopg.connect(example_db) as conn:
        inputs = load_oee_inputs(conn, start, end)
    intervals = with_loss_category(intervals_from_events(inputs.events, end), inputs.reasons)
    windows = shift_windows(inputs.shifts, inputs.timezone, DAY, DAY)
    oee = oee_by_window(intervals, inputs.counts, inputs.machines, windows)
    row = oee.filter((pl.col("machine_id") == MACHINE) & (pl.col("shift_code") == "A")).row(
        0, named=True
    )
    inter = ex["published_intermediates"]
    assert row["planned_production_min"] == pytest.approx(inter["planned_production_time_min"])
    assert row["run_min"] == pytest.approx(inter["run_time_min"])
    assert row["good"] == inter["good_count"]
    got = {k: round(100 * row[k], 2) for k in ("availability", "performance", "quality", "oee")}
    assert got == ex["published_percent"]
    # A x P x Q equals the identity good x ideal / planned used for OEE.
    assert row["availability"] * row["performance"] * row["quality"] == pytest.approx(row["oee"])
