"""Maintenance inputs from the landing zone: the fast COPY path reads what the plain one reads."""

from __future__ import annotations

from datetime import date

import psycopg
from polars.testing import assert_frame_equal

from assets.data_quality.landing_day import DayWindow
from assets.maintenance.sources import inputs_from_landing, readings_from_landing
from tests.integration.dq_samples import write_valid_day

DAY = date(2026, 3, 10)


def test_autocommit_copy_reads_the_same_frames_as_the_transaction_path(landing_dsn: str) -> None:
    window = DayWindow.of(DAY, "Europe/Berlin")
    write_valid_day(landing_dsn, window)
    with psycopg.connect(landing_dsn, autocommit=True) as conn:  # psycopg2 copy_expert
        fast_readings = readings_from_landing(conn, window.start, window.end)
        fast_inputs = inputs_from_landing(conn, window.start, window.end)
    with psycopg.connect(landing_dsn) as conn:  # in a transaction: rows through psycopg 3
        slow_readings = readings_from_landing(conn, window.start, window.end)
        slow_inputs = inputs_from_landing(conn, window.start, window.end)
    assert fast_readings.height > 0
    assert_frame_equal(fast_readings, slow_readings)
    assert fast_inputs.sensor_hourly.height > 0
    for name in ("machines", "limits", "sensor_hourly", "states", "counts", "alarms"):
        assert_frame_equal(getattr(fast_inputs, name), getattr(slow_inputs, name))
