"""The planning and forecasting assets through Dagster with real resources (PostgreSQL + chDB)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg
import pytest

from fabstack.calendar import local_day
from tests.integration.test_plan_landing import T0, _seed_lots


def test_plan_and_forecast_assets_write_the_warehouse(
    module_landing_dsn: str, tmp_path: Path
) -> None:
    from assets.forecasting.assets import (
        forecast_capacity_asset,
        forecast_ets_asset,
        forecast_on_time_asset,
    )
    from assets.planning.assets import plan_schedule
    from assets.resources import LandingResource, WarehouseResource

    with psycopg.connect(module_landing_dsn, autocommit=True) as conn:
        _seed_lots(conn)
    home = tmp_path / "home"
    resources = {
        "landing": LandingResource(dsn=module_landing_dsn),
        "warehouse": WarehouseResource(home=str(home)),
    }
    config = {
        "ops": {
            "plan_schedule": {"config": {"time_limit_s": 1.0, "plan_start": T0.isoformat()}},
            "forecast_capacity": {"config": {"sims": 2000, "seed": 1}},
            "fact_forecast_on_time": {"config": {"sims": 500, "seed": 1}},
        }
    }
    assets = [plan_schedule, forecast_on_time_asset, forecast_capacity_asset, forecast_ets_asset]
    # the plan and the forecasts are partitioned by plant day: the plan's day
    day = local_day(T0, "Europe/Berlin").isoformat()
    result = dg.materialize(assets, resources=resources, run_config=config, partition_key=day)
    assert result.success
    meta = result.asset_materializations_for_node("plan_schedule")[0].metadata
    assert meta["status"].value in ("OPTIMAL", "FEASIBLE")
    assert meta["checker_violations"].value == 0
    again = dg.materialize(
        assets[:1],
        resources=resources,
        run_config={"ops": {"plan_schedule": config["ops"]["plan_schedule"]}},
        partition_key=day,
    )
    assert again.success
    with WarehouseResource(home=str(home)).open() as wh:
        slots = wh.scalar("SELECT count() FROM fab.fact_schedule_slot")
        plans = wh.scalar("SELECT count() FROM fab.fact_plan_run")
        line = wh.query(
            "SELECT p5, p50, p95, p99 FROM fab.fact_forecast_capacity WHERE level = 'line'"
        ).row(0)
        bottleneck = wh.scalar(
            "SELECT key FROM fab.fact_forecast_capacity WHERE level = 'area' AND is_bottleneck"
        )
        on_time = wh.query(
            "SELECT min(p_on_time) AS lo, max(p_on_time) AS hi, count() AS n "
            "FROM fab.fact_forecast_on_time"
        ).row(0)
        scenarios = wh.scalar("SELECT count() FROM fab.fact_forecast_scenario")
        fan = wh.query(
            "SELECT count() AS n, max(horizon_day) AS last, argMax(p50, horizon_day) AS p50 "
            "FROM fab.fact_forecast_fan WHERE level = 'line'"
        ).row(0)
    with psycopg.connect(module_landing_dsn) as conn:
        landing_slots = conn.execute("SELECT count(*) FROM landing.schedule_slot").fetchone()[0]
    assert slots == landing_slots > 0  # the re-run replaced its day, no duplicates
    assert plans == 1
    assert list(line) == sorted(line) and line[0] > 0
    assert bottleneck == "CMP"
    assert 0 <= on_time[0] <= on_time[1] <= 1 and on_time[2] == 16
    assert scenarios == 3
    assert fan[:2] == (30, 30) and fan[2] == pytest.approx(line[1])  # the fan ends at the P50
