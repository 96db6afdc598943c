"""Defect Pareto, trends, tool stats and Poisson yield on small hand-made data."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from assets.defects.summary import daily_counts, defect_pareto, tool_stats, trends
from assets.defects.yield_model import INSPECTED_AREA_CM2, lot_yield, wafer_yield

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)


def _defects() -> pl.DataFrame:
    rows = []
    # particle grows by one a day; scratch is flat at 2 a day
    for day in range(10):
        for i in range(day + 1):
            rows.append((T0 + timedelta(days=day, minutes=i), "particle", "INSP-01", 3))
        for i in range(2):
            rows.append((T0 + timedelta(days=day, minutes=30 + i), "scratch", "INSP-02", 5))
    return pl.DataFrame(rows, schema=["ts", "defect_type", "machine_id", "step_no"], orient="row")


def test_pareto_by_type_tool_and_step() -> None:
    d = _defects()
    by_type = defect_pareto(d, "defect_type")
    assert by_type["defect_type"].to_list() == ["particle", "scratch"]
    assert by_type["defects"].to_list() == [55, 20]
    assert by_type["pct"][0] == pytest.approx(100 * 55 / 75)
    assert by_type["cum_pct"][-1] == pytest.approx(100.0)
    assert defect_pareto(d, "machine_id")["machine_id"][0] == "INSP-01"
    assert defect_pareto(d, "step_no")["step_no"].to_list() == ["3", "5"]


def test_trend_slope_and_p_value() -> None:
    daily = daily_counts(_defects(), date(2026, 11, 1), date(2026, 11, 12))
    assert daily.height == 2 * 12  # every day, zeros included
    rolled, slopes = trends(daily)
    part = rolled.filter(pl.col("defect_type") == "scratch")
    assert part["rolling_mean"][6] == pytest.approx(2.0)
    _, slopes10 = trends(daily.filter(pl.col("day") <= date(2026, 11, 10)))
    p = slopes10.filter(pl.col("defect_type") == "particle").row(0, named=True)
    assert p["slope_per_day"] == pytest.approx(1.0) and p["p_value"] < 1e-6
    assert slopes.filter(pl.col("defect_type") == "particle")["days"][0] == 12
    flat = daily.filter(pl.col("day") <= date(2026, 11, 10), pl.col("defect_type") == "scratch")
    _, s = trends(flat)
    assert s["slope_per_day"][0] == 0.0 and s["p_value"][0] == 1.0


def test_tool_stats() -> None:
    insp = pl.DataFrame(
        {
            "ts": [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)],
            "inspection_id": ["a", "b", "c"],
            "machine_id": ["I1", "I1", "I2"],
            "wafer_id": ["w1", "w2", "w3"],
            "defect_count": [4, 0, 7],
        }
    )
    s = tool_stats(insp).row(0, named=True)
    assert (s["inspections"], s["defects"], s["mean_per_wafer"]) == (2, 4, 2.0)
    assert s["last_inspection"] == T0 + timedelta(hours=1)


def test_poisson_yield_per_wafer_and_lot() -> None:
    insp = pl.DataFrame(
        {
            "inspection_id": ["a", "b"],
            "wafer_id": ["w1", "w2"],
            "lot_id": ["L1", "L1"],
            "defect_count": [68, 0],
            "product_id": ["P", "P"],
        }
    )
    w = wafer_yield(insp, pl.DataFrame({"product_id": ["P"], "die_area_mm2": [100.0]}))
    d0 = 68 / INSPECTED_AREA_CM2
    assert w["d0_per_cm2"][0] == pytest.approx(d0)
    assert w["poisson_yield"][0] == pytest.approx(math.exp(-d0 * 1.0))
    assert w["poisson_yield"][1] == 1.0
    lot = lot_yield(w).row(0, named=True)
    assert lot["d0_per_cm2"] == pytest.approx(68 / (2 * INSPECTED_AREA_CM2))
    assert lot["poisson_yield"] == pytest.approx(math.exp(-lot["d0_per_cm2"]))
