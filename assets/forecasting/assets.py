"""Thin Dagster assets over the forecasting math: capacity, on-time and the ETS cross-check."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import numpy as np

from assets.forecasting.ets import ets_forecast
from assets.forecasting.history import forecast_latest_plan, load_forecast_inputs
from assets.forecasting.montecarlo import Scenario, forecast_capacity, run_scenarios
from assets.forecasting.store_warehouse import write_capacity, write_ets, write_on_time
from assets.partitions import plant_timezone
from orchestration.resources import LandingResource, WarehouseResource

GROUP = "forecasting"
OWNERS = ["team:planning"]
POOL = "warehouse"


class CapacityConfig(dg.Config):
    sims: int = 10_000
    days: int = 30
    seed: int = 0
    lookback_days: int = 30
    efficiency_pct: float = 5.0  # scenario: efficiency +x %
    downtime_pct: float = 20.0  # scenario: repair time -y %


class OnTimeConfig(dg.Config):
    sims: int = 1_000
    seed: int = 0
    duration_cv: float = 0.08


def _today() -> tuple[datetime, object]:
    now = datetime.now(UTC)
    return now, now.astimezone(ZoneInfo(plant_timezone())).date()


@dg.asset(
    name="forecast_capacity", group_name=GROUP, owners=OWNERS, pool=POOL,
    kinds={"numpy", "clickhouse"},
    deps=[dg.AssetKey(["landing", "machine_state"]), dg.AssetKey(["landing", "lot_move"])],
    description="Monte Carlo 30-day output per machine, area and line (10,000 seeded "
    "simulations; efficiency from a truncated normal and MTBF/MTTR fitted on the last 30 days): "
    "P5-P99, 95 % interval, the bottleneck by simulated share, scenarios with improvement %, "
    "and the fan chart: cumulative output per day of the horizon (P10-P90 around P50).",
)  # fmt: skip
def forecast_capacity_asset(
    context: dg.AssetExecutionContext,
    config: CapacityConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    now, day = _today()
    with landing.connect() as conn:
        inputs = load_forecast_inputs(conn, now, config.lookback_days)
    base = forecast_capacity(
        inputs.machines,
        inputs.visits_per_wafer,
        days=config.days,
        sims=config.sims,
        seed=config.seed,
        fan=True,
    )
    scenarios = [
        Scenario(
            f"add a machine like {base.bottleneck_machine}",
            add_machine_like=base.bottleneck_machine,
        ),
        Scenario(f"efficiency +{config.efficiency_pct:g} %", efficiency_pct=config.efficiency_pct),
        Scenario(f"downtime -{config.downtime_pct:g} %", downtime_pct=config.downtime_pct),
    ]
    rows = run_scenarios(
        inputs.machines,
        inputs.visits_per_wafer,
        scenarios,
        days=config.days,
        sims=config.sims,
        seed=config.seed,
        base=base,
    )
    with warehouse.open() as wh:
        written = write_capacity(wh, day, base, rows)
    context.log.info("capacity %s, scenarios %s", base.line, rows)
    return dg.MaterializeResult(
        metadata={
            "line_p50_wafers": base.line["p50"],
            "line_p5_wafers": base.line["p5"],
            "line_p95_wafers": base.line["p95"],
            "bottleneck_area": base.bottleneck_area,
            "bottleneck_machine": base.bottleneck_machine,
            "efficiency_samples": inputs.efficiency_samples,
            "failures_seen": inputs.failures_seen,
            "scenarios": dg.MetadataValue.json(rows),
            "fan_rows": written.get("fact_forecast_fan", 0),
            "dagster/row_count": written["fact_forecast_capacity"],
        }
    )


@dg.asset(
    name="forecast_on_time", group_name=GROUP, owners=OWNERS, pool=POOL,
    kinds={"numpy", "clickhouse"}, deps=[dg.AssetKey("plan_schedule")],
    description="The latest plan executed 1,000+ times under random durations and breakdowns: "
    "the probability each lot meets its due date (fab.fact_forecast_on_time).",
)  # fmt: skip
def forecast_on_time_asset(
    context: dg.AssetExecutionContext,
    config: OnTimeConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    now, day = _today()
    with landing.connect() as conn:
        result = forecast_latest_plan(
            conn, now, duration_cv=config.duration_cv, sims=config.sims, seed=config.seed
        )
    if result is None:
        context.log.warning("no feasible plan yet: nothing to forecast")
        return dg.MaterializeResult(metadata={"lots": 0})
    plan_id, forecast = result.plan_id, result.forecast
    with warehouse.open() as wh:
        n = write_on_time(wh, day, plan_id, result.plan_start, forecast)
    probs = [r["p_on_time"] for r in forecast.lots if r["p_on_time"] is not None]
    return dg.MaterializeResult(
        metadata={
            "plan_id": plan_id,
            "lots": len(forecast.lots),
            "expected_on_time_lots": forecast.expected_on_time,
            "lots_below_50pct": int(np.sum(np.array(probs) < 0.5)) if probs else 0,
            "dagster/row_count": n,
        }
    )


@dg.asset(
    name="forecast_ets", group_name=GROUP, owners=OWNERS, pool=POOL,
    kinds={"statsmodels", "clickhouse"}, deps=[dg.AssetKey("forecast_capacity")],
    description="ETS forecast of daily line output (wafers finishing their route) with 95 % "
    "prediction intervals, stored beside the Monte Carlo line P50 as the classical cross-check.",
)  # fmt: skip
def forecast_ets_asset(
    context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    now, day = _today()
    with landing.connect() as conn:
        inputs = load_forecast_inputs(conn, now, lookback_days=60)
    daily = np.array([float(w) for _, w in inputs.daily_output])
    if len(daily) < 7:
        context.log.warning("only %d days of output history: ETS needs 7", len(daily))
        return dg.MaterializeResult(metadata={"history_days": len(daily), "skipped": True})
    ets = ets_forecast(daily, horizon=30)
    with warehouse.open() as wh:
        line = (
            wh.query(
                "SELECT p50 FROM fab.fact_forecast_capacity WHERE day = {day:Date} "
                "AND level = 'line'",
                {"day": day},
            )
            if _has_capacity(wh)
            else None
        )
        mc = float(line.item(0, 0)) if line is not None and line.height else None
        n = write_ets(wh, day, ets, mc)
    return dg.MaterializeResult(
        metadata={
            "model": ets["model"],
            "history_days": len(daily),
            "total_p50": ets["total_p50"],
            "total_pi_low": ets["total_pi_low"],
            "total_pi_high": ets["total_pi_high"],
            "mc_line_p50": mc if mc is not None else float("nan"),
            "dagster/row_count": n,
        }
    )


def _has_capacity(wh) -> bool:
    return bool(
        wh.scalar(
            "SELECT count() FROM system.tables WHERE database = 'fab' "
            "AND name = 'fact_forecast_capacity'"
        )
    )
