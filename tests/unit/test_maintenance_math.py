"""Failure features, labels, splits and metrics on small hand-made frames (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from assets.maintenance.common import check_horizon, risk_band
from assets.maintenance.evaluate import evaluate_scores
from assets.maintenance.features import (
    MaintenanceInputs,
    build_features,
    feature_columns,
    hourly_aggregates,
)
from assets.maintenance.health import health_expr
from assets.maintenance.labels import daily_state_hours, failure_events, label_rows, state_intervals
from assets.maintenance.train import TrainConfig, make_estimator, time_splits
from fabstack.errors import FabError

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _states(rows: list[tuple[float, str, str]], machine: str = "M1") -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"machine_id": machine, "ts": T0 + timedelta(hours=h), "state": s, "reason_code": r}
            for h, s, r in rows
        ]
    )


@pytest.mark.parametrize("bad", [0, 15, -1, 7.5, "7", True, None])
def test_horizon_outside_1_to_14_is_a_clear_error(bad):
    with pytest.raises(FabError, match="horizon_days"):
        check_horizon(bad)


def test_horizon_bounds_are_accepted():
    assert check_horizon(1) == 1 and check_horizon(14) == 14 and check_horizon(7.0) == 7


def test_only_unplanned_failure_reasons_are_failures():
    states = _states(
        [
            (0, "RUNNING", "RUN"),
            (5, "MAINTENANCE", "PM"),
            (7, "RUNNING", "RUN"),
            (10, "OFFLINE", "BREAK"),
            (11, "RUNNING", "RUN"),
            (20, "DOWN", "OPERATOR_STOP"),
            (21, "DOWN", "INTERLOCK"),
            (22, "RUNNING", "RUN"),
            (30, "DOWN", "WEAR_OUT"),
            (31, "DOWN", "WEAR_OUT"),  # the same failure re-sent: still one
            (33, "RUNNING", "RUN"),
            (40, "DOWN", "VACUUM_LEAK"),
            (41, "RUNNING", "RUN"),
        ]
    )
    failures = failure_events(states)
    assert failures["reason_code"].to_list() == ["WEAR_OUT", "VACUUM_LEAK"]
    assert failures["onset"].to_list() == [T0 + timedelta(hours=30), T0 + timedelta(hours=40)]
    assert failures["repaired"].to_list() == [T0 + timedelta(hours=33), T0 + timedelta(hours=41)]


def test_state_hours_split_at_midnight():
    states = _states([(20, "RUNNING", "RUN"), (30, "DOWN", "ELECTRICAL"), (32, "RUNNING", "RUN")])
    hours = daily_state_hours(state_intervals(states, T0 + timedelta(hours=48)))
    by_day = {r["day"]: r for r in hours.iter_rows(named=True)}
    assert by_day[date(2026, 3, 1)]["running_h"] == pytest.approx(4.0)
    assert by_day[date(2026, 3, 2)]["running_h"] == pytest.approx(22.0)
    assert by_day[date(2026, 3, 2)]["failure_down_h"] == pytest.approx(2.0)


def test_label_is_a_failure_within_the_horizon_after_the_day_ends():
    failure_at = T0 + timedelta(days=5, hours=12)  # 2026-03-06 12:00
    failures = pl.DataFrame(
        {
            "machine_id": ["M1"],
            "onset": [failure_at],
            "reason_code": ["WEAR_OUT"],
            "repaired": [failure_at],
        }
    )
    rows = pl.DataFrame({"machine_id": ["M1"] * 7, "day": [date(2026, 3, d) for d in range(1, 8)]})
    labelled = label_rows(rows, failures, horizon_days=2)
    # scored at the end of each day: 03-04 ends 03-05 00:00, 36 h before -> within 2 days
    assert labelled["label"].to_list() == [0, 0, 0, 1, 1, 0, 0]
    assert labelled.filter(pl.col("day") == date(2026, 3, 5))["next_failure_h"].item() == 12.0
    with pytest.raises(FabError, match="horizon_days"):
        label_rows(rows, failures, horizon_days=15)


def _ramp_inputs(days: int = 10) -> MaintenanceInputs:
    """One machine whose temperature rises by 0.1 limit-units per day (setpoint 100, max 110)."""
    ts = [T0 + timedelta(minutes=10 * i) for i in range(days * 144)]
    temp = [100.0 + 1.0 * i / 144 for i in range(len(ts))]
    readings = pl.DataFrame({"machine_id": "M1", "ts": ts, "metric": "temperature", "value": temp})
    return MaintenanceInputs(
        machines=pl.DataFrame({"machine_id": ["M1"], "machine_type": ["T"]}),
        limits=pl.DataFrame(
            {
                "machine_id": ["M1"],
                "metric": ["temperature"],
                "setpoint": [100.0],
                "min_value": [90.0],
                "max_value": [110.0],
            }
        ),
        sensor_hourly=hourly_aggregates(readings),
        states=_states([(0, "RUNNING", "RUN"), (50, "MAINTENANCE", "PM"), (52, "RUNNING", "RUN")]),
        counts=pl.DataFrame({"machine_id": ["M1"], "day": [date(2026, 3, 1)], "cycles": [100]}),
        alarms=pl.DataFrame(
            {
                "machine_id": ["M1"] * 2,
                "day": [date(2026, 3, 1), date(2026, 3, 3)],
                "alarm_count": [2, 3],
            }
        ),
    )


def test_features_level_slope_excursion_and_counters():
    features = build_features(_ramp_inputs())
    assert features.height == 10
    day5 = features.filter(pl.col("day") == date(2026, 3, 5)).row(0, named=True)
    # day index 4: mean value 104.5 -> (104.5 - 100) / 10
    assert day5["temperature__level"] == pytest.approx(0.45, abs=0.01)
    assert day5["temperature__slope_24h"] == pytest.approx(0.1, abs=0.01)
    assert day5["temperature__slope_3d"] == pytest.approx(0.1, abs=1e-6)
    assert day5["temperature__slope_7d"] == pytest.approx(0.1, abs=1e-6)
    assert day5["temperature__excursion"] == pytest.approx(0.5, abs=0.01)
    assert day5["alarms_7d"] == 5 and day5["alarms_1d"] == 0
    # PM ended at hour 52 (03-03 04:00); scored at 03-06 00:00
    assert day5["hours_since_maintenance"] == pytest.approx(68.0)
    assert day5["cycles_30d"] == 100
    assert {"temperature__level", "alarms_30d", "mtbf_so_far_h"} <= set(feature_columns(features))
    assert "label" not in feature_columns(features)


def test_no_sensor_data_is_a_clear_error():
    inputs = _ramp_inputs()
    inputs.sensor_hourly = inputs.sensor_hourly.clear()
    with pytest.raises(FabError, match="no sensor data"):
        build_features(inputs)


def test_splits_are_time_ordered_and_purged():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(60)]
    rows = pl.DataFrame({"machine_id": ["M1"] * 60, "day": days, "label": [0, 1] * 30})
    rows = rows.with_columns(
        scored_at=pl.col("day").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        + timedelta(days=1)
    )
    config = TrainConfig(horizon_days=5)
    split = time_splits(rows, datetime(2026, 3, 2, tzinfo=UTC), config)
    ranges = {
        s: (
            split.filter(pl.col("split") == s)["day"].min(),
            split.filter(pl.col("split") == s)["day"].max(),
        )
        for s in ("train", "validation", "test")
    }
    # every train day's label window ends before validation starts, and so on
    assert ranges["train"][1] + timedelta(days=5) < ranges["validation"][0]
    assert ranges["validation"][1] + timedelta(days=5) < ranges["test"][0]
    # the last 5 days have unknown labels and are dropped
    assert ranges["test"][1] <= date(2026, 3, 1) - timedelta(days=5)


def test_unknown_family_or_parameter_is_a_clear_error():
    with pytest.raises(FabError, match="family"):
        TrainConfig(family="xgboost").checked()
    with pytest.raises(FabError, match="params.max_depthh"):
        make_estimator("hist_gradient_boosting", {"max_depthh": 3}, 0)
    with pytest.raises(FabError, match="params"):
        make_estimator("random_forest", {"n_estimators": -5}, 0)


def test_bands_and_health():
    assert [risk_band(p) for p in (0.71, 0.7, 0.41, 0.4, 0.0)] == [
        "HIGH",
        "MEDIUM",
        "MEDIUM",
        "LOW",
        "LOW",
    ]
    frame = pl.DataFrame(
        {"probability": [0.0, 1.0, 0.5, None], "anomaly_rate_7d": [0.0, 0.5, 0.0, None]}
    )
    assert frame.select(health=health_expr())["health"].to_list() == [100.0, 0.0, 65.0, 100.0]


def test_evaluation_counts_failures_flagged_a_day_ahead_and_false_highs():
    onset_a = T0 + timedelta(days=3, hours=6)
    onset_b = T0 + timedelta(days=8, hours=6)
    rows = pl.DataFrame(
        {
            "machine_id": ["M1"] * 10,
            "day": [date(2026, 3, 1) + timedelta(days=i) for i in range(10)],
            "probability": [0.1, 0.8, 0.9, 0.2, 0.9, 0.1, 0.5, 0.95, 0.1, 0.1],
        }
    ).with_columns(
        scored_at=pl.col("day").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        + timedelta(days=1)
    )
    failures = pl.DataFrame(
        {
            "machine_id": ["M1", "M1"],
            "onset": [onset_a, onset_b],
            "reason_code": ["WEAR_OUT", "ELECTRICAL"],
            "repaired": [onset_a, onset_b],
        }
    )
    scored = label_rows(rows, failures, horizon_days=3)
    m = evaluate_scores(scored, failures)
    # failure A: HIGH at 30 h and 6 h before -> flagged, lead 30 h
    # failure B: only MEDIUM at 30 h, HIGH at 6 h -> not flagged 24 h ahead, lead 6 h
    assert m["failures"] == 2 and m["failures_eligible_24h"] == 2
    assert m["share_flagged_24h"] == pytest.approx(0.5)
    assert m["share_wear_out_flagged_24h"] == pytest.approx(1.0)
    assert m["mean_lead_time_h"] == pytest.approx((30 + 6) / 2)
    assert m["confusion_matrix"] == {"tn": 3, "fp": 1, "fn": 3, "tp": 3}
    assert m["false_high_per_machine_month"] == pytest.approx(1 / (10 / 30))
    # HIGH runs: days 1-2 (before A), day 4 (nothing within 3 days: false), day 7 (before B)
    assert (m["high_alerts"], m["false_high_alerts"]) == (3, 1)
    assert m["false_high_alerts_per_machine_month"] == pytest.approx(1 / (10 / 30))


def test_a_run_of_high_days_is_one_alert():
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(10)]
    onset = T0 + timedelta(days=9, hours=12)
    rows = pl.DataFrame(
        {
            "machine_id": ["M1"] * 10 + ["M2"] * 10,
            # M1: three false HIGH days in a row, then a HIGH day before its failure with a gap
            # M2: HIGH on days 1 and 3 (two alerts), no failure at all
            "day": days * 2,
            "probability": [0.1, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.2, 0.9, 0.1]
            + [0.1, 0.8, 0.1, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
        }
    )
    failures = pl.DataFrame(
        {"machine_id": ["M1"], "onset": [onset], "reason_code": ["WEAR_OUT"], "repaired": [onset]}
    )
    m = evaluate_scores(label_rows(rows, failures, horizon_days=3), failures)
    assert m["confusion_matrix"]["fp"] == 5  # machine-days
    assert (m["high_alerts"], m["false_high_alerts"]) == (4, 3)  # what an operator receives
    assert m["false_high_alerts_per_machine_month"] == pytest.approx(3 / (20 / 30))
    assert m["false_high_per_machine_month"] == pytest.approx(5 / (20 / 30))
