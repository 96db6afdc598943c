"""The Monte Carlo fan in the warehouse (chDB): one row per level, area and horizon day, a re-run
replaces the forecast day, and the planning board's fan queries read it in order."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from assets.forecasting.inputs import machine_models_from_plant, visits_per_wafer
from assets.forecasting.montecarlo import forecast_capacity
from assets.forecasting.store_warehouse import write_capacity
from ingestion.plant import load_plant
from warehouse.client import ChdbWarehouse

QUERIES = Path(__file__).parents[2] / "dashboards" / "queries" / "planning"


def test_fan_rows_replace_their_day_and_feed_the_board(tmp_path: Path) -> None:
    plant = load_plant("demo")
    models, visits = machine_models_from_plant(plant), visits_per_wafer(plant)
    day = date(2026, 3, 2)
    wh = ChdbWarehouse(tmp_path / "wh")
    try:
        first = forecast_capacity(models, visits, days=14, sims=500, seed=3, fan=True)
        write_capacity(wh, day - timedelta(days=1), first, [])  # an older forecast
        written = write_capacity(wh, day, first, [])
        again = write_capacity(wh, day, first, [])  # the same forecast re-run
        assert written["fact_forecast_fan"] == again["fact_forecast_fan"] == (6 + 1) * 14
        assert wh.scalar(f"SELECT count() FROM fab.fact_forecast_fan WHERE day = '{day}'") == 98
        line = wh.query((QUERIES / "capacity_fan.sql").read_text())
        assert line.columns == ["Time", "P10", "P25", "P50", "P75", "P90"]
        assert line.height == 14 and line["Time"].is_sorted()
        end_of_day_1 = datetime.combine(day + timedelta(days=1), time(0), UTC)
        assert line["Time"][0] == end_of_day_1.timestamp()  # chDB hands DateTime as epoch s
        assert line["P50"][-1] == pytest.approx(first.line["p50"])
        assert (line["P10"] <= line["P50"]).all() and (line["P50"] <= line["P90"]).all()
        area_sql = (QUERIES / "capacity_fan_area.sql").read_text()
        cmp = wh.query(area_sql.replace("${area:singlequote}", "'CMP'"))
        total = next(a for a in first.areas if a["area_id"] == "CMP")
        assert cmp.height == 14 and cmp["P90"][-1] == pytest.approx(total["p90"])
    finally:
        wh.close()
