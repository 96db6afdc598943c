"""Validate one landing-zone day: every suite, with a sample of the failing rows.

``validate_day`` is what the blocking Dagster checks run and what a CLI can call; it takes
data (a connection and a window) and returns data (``DayReport``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import psycopg

from assets.data_quality.landing_day import (
    DayWindow,
    LandingDay,
    read_frame,
    read_landing_day,
)
from assets.data_quality.suites import (
    SAMPLE_ROWS,
    SuiteOutcome,
    build_suites,
    operating_limit_suite,
    shared_runner,
)
from ingestion.bands import operating_band, plausible_band, with_band

# Machine clocks run a little ahead of the database clock; beyond this a row is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
OPERATING_LIMITS = "sensor_reading_operating_limits"


@dataclass(frozen=True)
class SuiteReport:
    outcome: SuiteOutcome
    failing_rows: list[dict[str, Any]]  # a sample, JSON-ready

    @property
    def success(self) -> bool:
        return self.outcome.success


@dataclass(frozen=True)
class DayReport:
    window: DayWindow
    latest: datetime
    row_counts: dict[str, int]
    suites: dict[str, SuiteReport]  # suite name -> report; OPERATING_LIMITS is informational

    @property
    def blocking_success(self) -> bool:
        return all(r.success for name, r in self.suites.items() if name != OPERATING_LIMITS)


def _json_ready(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict("records"):
        row = {}
        for key, value in record.items():
            if isinstance(value, (pd.Timestamp, datetime)):
                row[key] = value.isoformat()
            elif value is None or (isinstance(value, float) and pd.isna(value)):
                row[key] = None
            elif hasattr(value, "item"):  # numpy scalar
                row[key] = value.item()
            else:
                row[key] = value
        out.append(row)
    return out


def _failing_index(outcome: SuiteOutcome) -> list[Any]:
    seen: dict[Any, None] = {}
    for e in outcome.expectations:
        if not e.success:
            seen.update(dict.fromkeys(e.failing_index))
    return list(seen)


def _floats(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in values]


def _failing_readings(
    conn: psycopg.Connection,
    day: LandingDay,
    groups: pd.DataFrame,
    latest: datetime,
    low: str | None,
    high: str,
) -> list[dict[str, Any]]:
    """Raw readings behind the failing machine/metric groups (the profile only has extremes)."""
    if groups.empty:
        return []
    params = {
        **day.window.params(),
        "machine_id": groups["machine_id"].tolist(),
        "metric": groups["metric"].tolist(),
        "low": [None] * len(groups) if low is None else _floats(groups[low]),
        "high": _floats(groups[high]),
        "unknown": (~groups["has_limits"].astype(bool)).tolist(),
        "latest": latest,
        "limit": SAMPLE_ROWS,
    }
    return _json_ready(read_frame(conn, "sensor_reading_failing", params))


def sensor_frame(day: LandingDay) -> pd.DataFrame:
    """The day's reading profile with plausible (blocking) and operating (reported) bands."""
    plausible = plausible_band(day.limits).rename(
        columns={"low": "plausible_low", "high": "plausible_high"}
    )
    operating = operating_band(day.limits).rename(
        columns={"low": "limit_low", "high": "limit_high"}
    )
    frame = with_band(day.sensor_profile, plausible)
    return frame.merge(operating, on=["machine_id", "metric"], how="left")


def validate_day(
    conn: psycopg.Connection, window: DayWindow, now: datetime | None = None
) -> DayReport:
    """Run every suite over the landing rows of ``window``; rows after ``now`` + skew fail."""
    latest = (now or datetime.now(UTC)) + CLOCK_SKEW
    day = read_landing_day(conn, window)
    runner = shared_runner()
    suites = build_suites(day.reference, latest)
    reports: dict[str, SuiteReport] = {}

    readings = sensor_frame(day)
    outcome = runner.run("sensor_reading", suites.pop("sensor_reading"), readings)
    groups = readings.loc[_failing_index(outcome)]
    reports["sensor_reading"] = SuiteReport(
        outcome,
        _failing_readings(conn, day, groups, latest, "plausible_low", "plausible_high"),
    )
    outcome = runner.run(OPERATING_LIMITS, operating_limit_suite(), readings)
    groups = readings.loc[_failing_index(outcome)]
    reports[OPERATING_LIMITS] = SuiteReport(
        outcome, _failing_readings(conn, day, groups, latest, None, "limit_high")
    )

    for table, expectations in suites.items():
        frame = day.rows[table]
        outcome = runner.run(table, expectations, frame)
        failing = frame.loc[_failing_index(outcome)].head(SAMPLE_ROWS)
        reports[table] = SuiteReport(outcome, _json_ready(failing))
    return DayReport(window, latest, day.row_counts(), reports)
