"""Thin Dagster assets over the forecasting math: capacity, on-time and the ETS cross-check.

One plant-local day per partition: the forecast made as of the end of that day (now, while the
day runs), so re-running a past day from the UI reproduces it.
"""

from datetime import date, datetime

import dagster as dg
import numpy as np

from assets.conventions import Domain, layer, table_result
from assets.forecasting.ets import ets_forecast
from assets.forecasting.history import forecast_latest_plan, load_forecast_inputs
from assets.forecasting.montecarlo import Scenario, forecast_capacity, run_scenarios
from assets.forecasting.store_warehouse import write_capacity, write_ets, write_on_time
from assets.partitions import daily_partitions, partition_day, plant_timezone
from assets.resources import LandingResource, WarehouseResource
from fabstack.calendar import as_of

FORECASTING = Domain(
    "forecasting",
    ("team:planning",),
    frozenset({"numpy", "clickhouse"}),
    layer("fact", nightly=True),
)


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


def _day_and_as_of(context: dg.AssetExecutionContext) -> tuple[date, datetime]:
    day = partition_day(context)
    return day, as_of(day, plant_timezone())


_HISTORY = [dg.AssetKey(["landing", "machine_state"]), dg.AssetKey(["landing", "lot_move"])]


@FORECASTING.multi_asset(
    "forecast_capacity",
    [
        FORECASTING.spec(
            "fact_forecast_capacity",
            "Monte Carlo 30-day output per machine, area and line (10,000 seeded simulations; "
            "efficiency from a truncated normal and MTBF/MTTR fitted on the last 30 days): "
            "P5-P99, 95 % interval and the bottleneck by simulated share.",
            _HISTORY,
        ),
        FORECASTING.spec(
            "fact_forecast_fan",
            "The fan chart: cumulative output per area and for the line on each day of the "
            "horizon (P10-P90 around P50), from the same simulations as the totals.",
            _HISTORY,
        ),
        FORECASTING.spec(
            "fact_forecast_scenario",
            "What-if scenarios on the same simulations: one more machine like the bottleneck, "
            "efficiency +x %, repair time -y %, each with its line P50 and improvement %.",
            _HISTORY,
        ),
    ],
    daily_partitions(),
)
def forecast_capacity_asset(
    context: dg.AssetExecutionContext,
    config: CapacityConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
):
    day, at = _day_and_as_of(context)
    with landing.connect() as conn:
        inputs = load_forecast_inputs(conn, at, config.lookback_days)
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
    context.log.info("capacity as of %s: %s, scenarios %s", at, base.line, rows)
    yield dg.MaterializeResult(
        asset_key="fact_forecast_capacity",
        metadata={
            "as_of": at.isoformat(),
            "line_p50_wafers": base.line["p50"],
            "line_p5_wafers": base.line["p5"],
            "line_p95_wafers": base.line["p95"],
            "bottleneck_area": base.bottleneck_area,
            "bottleneck_machine": base.bottleneck_machine,
            "efficiency_samples": inputs.efficiency_samples,
            "failures_seen": inputs.failures_seen,
            "dagster/row_count": written["fact_forecast_capacity"],
        },
    )
    yield table_result("fact_forecast_fan", written.get("fact_forecast_fan", 0))
    yield table_result(
        "fact_forecast_scenario",
        written["fact_forecast_scenario"],
        scenarios=dg.MetadataValue.json(rows),
    )


@FORECASTING.asset(
    "fact_forecast_on_time",
    partitions_def=daily_partitions(),
    deps=[dg.AssetKey("fact_schedule_slot")],
    description="The day's latest plan executed 1,000+ times under random durations and "
    "breakdowns: the probability each lot meets its due date.",
)
def forecast_on_time_asset(
    context: dg.AssetExecutionContext,
    config: OnTimeConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    day, at = _day_and_as_of(context)
    with landing.connect() as conn:
        result = forecast_latest_plan(
            conn, at, duration_cv=config.duration_cv, sims=config.sims, seed=config.seed
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


@FORECASTING.asset(
    "fact_forecast_ets",
    kinds={"statsmodels", "clickhouse"},
    partitions_def=daily_partitions(),
    deps=[dg.AssetKey("fact_forecast_capacity")],
    description="ETS forecast of daily line output (wafers finishing their route) with 95 % "
    "prediction intervals, stored beside the Monte Carlo line P50 as the classical cross-check.",
)
def forecast_ets_asset(
    context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    day, at = _day_and_as_of(context)
    with landing.connect() as conn:
        inputs = load_forecast_inputs(conn, at, lookback_days=60)
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
