"""Data-quality rules on in-memory frames: bands, day windows and the great-expectations suites."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from assets.data_quality.landing_day import DayWindow, LandingDay, ReferenceSets
from assets.data_quality.suites import SuiteRunner, build_suites, operating_limit_suite
from ingestion.bands import operating_band, plausible_band, with_band
from ingestion.sink import TABLE_COLUMNS

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
REF = ReferenceSets(
    machines=frozenset({"ETCH-01", "CMP-01"}),
    defect_types=frozenset({"particle", "scratch"}),
    reason_codes=frozenset({"RUN", "WEAR_OUT"}),
    state_of_reason={"RUN": "RUNNING", "WEAR_OUT": "DOWN"},
)
LIMITS = pd.DataFrame(
    [("ETCH-01", "temperature", 175.0, 160.0, 188.0), ("ETCH-01", "vibration", 1.1, None, 3.0)],
    columns=["machine_id", "metric", "setpoint", "min_value", "max_value"],
)


@pytest.fixture(scope="module")
def runner() -> SuiteRunner:
    return SuiteRunner()


@pytest.fixture(scope="module")
def suites() -> dict[str, list]:
    return build_suites(REF, NOW)


def _failed(outcome) -> dict[str, list]:
    return {e.rule: e.failing_index for e in outcome.expectations if not e.success}


def test_plausible_band_allows_idle_and_excursions_but_not_broken_sensors() -> None:
    band = plausible_band(LIMITS).set_index("metric")
    # span 28: from min(160, 0) - 28 up to 188 + max(28, 188)
    assert (band.loc["temperature", "low"], band.loc["temperature", "high"]) == (-28.0, 376.0)
    # One-sided limit: span = twice its distance from the setpoint (2 x 1.9); floor 0.
    assert band.loc["vibration", "low"] == pytest.approx(-3.8)
    assert band.loc["vibration", "high"] == pytest.approx(6.8)
    strict = operating_band(LIMITS).set_index("metric")
    assert (strict.loc["temperature", "low"], strict.loc["temperature", "high"]) == (160.0, 188.0)
    assert math.isnan(strict.loc["vibration", "low"])


def test_day_window_follows_the_plant_clock() -> None:
    normal = DayWindow.of(date(2026, 3, 10), "Europe/Berlin")
    assert normal.start == datetime(2026, 3, 9, 23, tzinfo=UTC)
    assert normal.end - normal.start == timedelta(hours=24)
    spring = DayWindow.of(date(2026, 3, 29), "Europe/Berlin")  # clocks go forward
    assert spring.end - spring.start == timedelta(hours=23)


def _profile(rows: list[tuple]) -> pd.DataFrame:
    profile = pd.DataFrame(
        rows, columns=["machine_id", "metric", "readings", "min_value", "max_value", "last_ts"]
    )
    day = LandingDay(DayWindow.of(date(2026, 3, 10), "Europe/Berlin"), REF, LIMITS, profile, {})
    from assets.data_quality.gate import sensor_frame

    return sensor_frame(day)


def test_an_excursion_warns_but_a_broken_sensor_blocks(runner, suites) -> None:
    ts = NOW - timedelta(hours=1)
    frame = _profile(
        [
            (
                "ETCH-01",
                "temperature",
                100,
                170.0,
                194.0,
                ts,
            ),  # excursion past 188 before interlock
            ("ETCH-01", "vibration", 100, -0.1, 1.4, ts),  # idle, with noise around zero
        ]
    )
    blocking = runner.run("sensor_reading", suites["sensor_reading"], frame)
    assert blocking.success, _failed(blocking)
    warning = runner.run("limits", operating_limit_suite(), frame)
    assert _failed(warning) == {"readings not above the machine's upper limit": [0]}

    broken = _profile(
        [
            ("ETCH-01", "temperature", 100, 170.0, 1880.0, ts),
            ("GHOST-99", "temperature", 5, 22.0, 22.0, ts),
            ("ETCH-01", "vibration", 100, 0.9, 1.4, NOW + timedelta(hours=2)),
        ]
    )
    outcome = runner.run("sensor_reading", build_suites(REF, NOW)["sensor_reading"], broken)
    assert _failed(outcome) == {
        "known machine": [1],
        "metric has machine limits": [1],
        "readings within the plausible range of the machine limits: not above the upper bound": [0],
        "last_ts not in the future": [2],
    }


def test_row_suites_name_each_broken_rule_and_row(runner) -> None:
    suites = build_suites(REF, NOW)
    ts = pd.Timestamp(NOW - timedelta(hours=1))
    counts = pd.DataFrame(
        [
            (ts, "CMP-01", "L1", 4, 25, 0),
            (ts, "CMP-01", "L2", 4, -3, 0),
            (ts, "X-9", "L3", 4, 1, 0),
        ],
        columns=["ts", "machine_id", "lot_id", "step_no", "good", "scrap"],
    )
    outcome = runner.run("production_count", suites["production_count"], counts)
    assert not outcome.success
    assert _failed(outcome) == {"good non-negative": [1], "known machine": [2]}
    assert outcome.summary()["good non-negative"] == "1 of 3 failing"

    states = pd.DataFrame(
        [
            (ts, "ETCH-01", "RUNNING", "RUN"),
            (ts, "ETCH-01", "RUNNING", "WEAR_OUT"),
            (pd.Timestamp(NOW + timedelta(hours=1)), "ETCH-01", "DOWN", "WEAR_OUT"),
        ],
        columns=["ts", "machine_id", "state", "reason_code"],
    )
    outcome = runner.run("machine_state", suites["machine_state"], states)
    assert _failed(outcome) == {"state matches its reason code": [1], "ts not in the future": [2]}

    defects = pd.DataFrame(
        [
            (ts, "I1", 1, "W1", 10.0, 20.0, 0.5, "particle"),
            (ts, "I1", 2, "W1", 160.0, 0.0, 0.5, "alien"),
        ],
        columns=list(TABLE_COLUMNS["defect"][:8]),  # the landing columns up to defect_type
    )
    outcome = runner.run("defect", suites["defect"], defects)
    assert _failed(outcome) == {"known defect type": [1], "x_mm on the wafer": [1]}


def test_an_empty_day_passes(runner) -> None:
    suites = build_suites(REF, NOW)
    empty = pd.DataFrame(
        {
            "ts": pd.Series([], dtype="datetime64[us, UTC]"),
            "machine_id": pd.Series([], dtype=str),
            "lot_id": [],
            "step_no": [],
            "good": [],
            "scrap": [],
        }
    )
    assert runner.run("production_count", suites["production_count"], empty).success


def test_with_band_flags_unknown_metrics() -> None:
    profile = pd.DataFrame({"machine_id": ["ETCH-01", "ETCH-01"], "metric": ["temperature", "rf"]})
    merged = with_band(profile, plausible_band(LIMITS))
    assert merged["has_limits"].tolist() == [True, False]
