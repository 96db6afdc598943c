"""Versioned SPC limits and day judging on synthetic series (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from assets.spc.series import POINT_SCHEMA, Baseline, judge_day, new_versions

TZ = "UTC"
D0 = date(2026, 1, 1)
KEY = {"source": "measurement", "machine_id": "M1", "item": "cd", "recipe_id": "R1"}


def _points(days: int, per_day: int, shift_from: datetime | None = None) -> pl.DataFrame:
    rng = np.random.default_rng(4)
    rows = []
    for d in range(days):
        for i in range(per_day):
            ts = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d, hours=24 * i / per_day)
            v = 100 + rng.normal(0, 1) + (5 if shift_from and ts >= shift_from else 0)
            rows.append({**KEY, "ts": ts, "subgroup": f"L{d}-{i}", "n": 25.0, "value": v})
    return pl.DataFrame(rows, schema=POINT_SCHEMA)


def _first(points: pl.DataFrame) -> pl.DataFrame:
    return points.group_by(list(KEY)).agg(
        pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts")
    )


def _loader(points: pl.DataFrame):
    return lambda s, e: points.filter((pl.col("ts") >= s) & (pl.col("ts") < e))


def test_version_1_waits_for_the_baseline_then_freezes() -> None:
    pts = _points(3, 12)
    live = pts.filter(pl.col("ts") < datetime(2026, 1, 2, 12, tzinfo=UTC))  # data so far
    assert new_versions(
        _loader(live), _first(live), pl.DataFrame(), D0, TZ, baseline_days=2
    ).is_empty()
    v1 = new_versions(_loader(pts), _first(pts), pl.DataFrame(), D0, TZ, baseline_days=2)
    assert set(v1["chart"]) == {"I", "MR"} and set(v1["version"]) == {1}
    assert v1["effective_from"][0] == date(2026, 1, 3)
    assert v1.filter(pl.col("chart") == "I")["baseline_points"][0] == 24


def test_sparse_series_extend_their_baseline_to_min_points() -> None:
    pts = _points(6, 4)
    v1 = new_versions(
        _loader(pts),
        _first(pts),
        pl.DataFrame(),
        date(2026, 1, 6),
        TZ,
        baseline_days=2,
        min_points=20,
    )
    assert v1.filter(pl.col("chart") == "I")["baseline_points"][0] == 20
    assert v1["effective_from"][0] == date(2026, 1, 6)  # five days of four points


def test_rebaseline_is_explicit_and_idempotent() -> None:
    pts = _points(6, 12)
    v1 = new_versions(_loader(pts), _first(pts), pl.DataFrame(), D0, TZ, baseline_days=2)
    assert new_versions(_loader(pts), _first(pts), v1, date(2026, 1, 5), TZ).is_empty()
    again = Baseline(date(2026, 1, 4), date(2026, 1, 5), "new chamber kit")
    v2 = new_versions(_loader(pts), _first(pts), v1, date(2026, 1, 6), TZ, rebaseline=again)
    assert set(v2["version"]) == {2} and v2["reason"][0] == "new chamber kit"
    both = pl.concat([v1, v2], how="vertical_relaxed")
    assert new_versions(
        _loader(pts), _first(pts), both, date(2026, 1, 6), TZ, rebaseline=again
    ).is_empty()


def test_judge_day_flags_a_shift_against_the_frozen_version() -> None:
    shift = datetime(2026, 1, 4, 6, tzinfo=UTC)
    pts = _points(5, 12, shift_from=shift)
    limits = new_versions(_loader(pts), _first(pts), pl.DataFrame(), D0, TZ, baseline_days=2)
    judged, viol = judge_day(pts, limits, date(2026, 1, 4), TZ)
    assert judged["ts"].min() >= datetime(2026, 1, 4, tzinfo=UTC)
    assert set(judged["phase"]) == {"II"} and set(judged["version"]) == {1}
    first = viol.filter(pl.col("rule") <= 4)["ts"].min()
    assert shift <= first <= shift + timedelta(hours=2)


def test_provisional_limits_before_any_version() -> None:
    pts = _points(1, 12)
    judged, _ = judge_day(pts, pl.DataFrame(), D0, TZ)
    assert set(judged["version"]) == {0} and set(judged["phase"]) == {"I"}


def test_sensor_series_are_judged_by_rule_1_only() -> None:
    """The same small shift (1.5 sigma) on a measurement and on a sensor series: run rules
    catch it on the measurement; the sensor chart, whose hourly means are autocorrelated, keeps
    rule 1 only, so only points beyond 3 sigma count."""
    shift = datetime(2026, 1, 4, 6, tzinfo=UTC)
    measurement = _points(5, 24).with_columns(
        pl.when(pl.col("ts") >= shift).then(pl.col("value") + 1.5).otherwise(pl.col("value"))
    )
    sensor = measurement.with_columns(pl.lit("sensor").alias("source"))
    both = pl.concat([measurement, sensor])
    first = both.group_by("source", "machine_id", "item", "recipe_id").agg(
        pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts")
    )
    limits = new_versions(_loader(both), first, pl.DataFrame(), D0, TZ, baseline_days=2)
    _, viol = judge_day(both, limits, date(2026, 1, 4), TZ)
    rules = {s: set(viol.filter(pl.col("source") == s)["rule"]) for s in ("measurement", "sensor")}
    assert rules["measurement"] - {1}  # run rules fire on the shifted measurement
    assert rules["sensor"] <= {1}
