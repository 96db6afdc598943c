"""Thin Dagster assets over `assets.planning.nightly`: the nightly CP-SAT plan."""

from datetime import UTC, datetime

import dagster as dg

from assets.partitions import plant_timezone
from assets.planning.nightly import PlanRunOptions, run_plan
from assets.planning.store_warehouse import write_plan
from orchestration.resources import LandingResource, WarehouseResource

GROUP = "planning"
OWNERS = ["team:planning"]
POOL = "warehouse"  # chDB: one warehouse step at a time


class PlanConfig(dg.Config):
    time_limit_s: float = 60.0
    workers: int = 2
    frozen_hours: float = 0.0
    warm_start: bool = True
    plan_start: str | None = None  # ISO 8601 with offset; default: the scheduled time or now


def plan_start_of(context: dg.AssetExecutionContext, config_value: str | None) -> datetime:
    if config_value:
        return datetime.fromisoformat(config_value)
    scheduled = context.run.tags.get("dagster/scheduled_execution_time")
    return datetime.fromisoformat(scheduled) if scheduled else datetime.now(UTC)


@dg.asset(
    name="plan_schedule", group_name=GROUP, owners=OWNERS, pool=POOL,
    kinds={"ortools", "postgres", "clickhouse"},
    deps=[dg.AssetKey(["landing", "lot_move"]), dg.AssetKey("dim_machine")],
    description="The CP-SAT production plan of every open lot's remaining steps (flexible job "
    "shop with shifts, exceptions, setups, release/due dates, priorities, hot lots): "
    "landing.plan_run / landing.schedule_slot for the shop floor, fab.fact_schedule_slot, "
    "fact_plan_run and fact_plan_utilisation for boards. Offending lots are reported, not fatal.",
)  # fmt: skip
def plan_schedule(
    context: dg.AssetExecutionContext,
    config: PlanConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    options = PlanRunOptions(
        time_limit_s=config.time_limit_s,
        workers=config.workers,
        frozen_hours=config.frozen_hours,
        warm_start=config.warm_start,
    )
    start = plan_start_of(context, config.plan_start)
    with landing.connect() as conn:
        outcome = run_plan(conn, start, options)
    s = outcome.summary()
    context.log.info("plan %s: %s", outcome.plan_id, s)
    for off in s["offending_lots"]:
        context.log.warning("lot %s left out of the plan: %s", off["lot_id"], off["reason"])
    if s["infeasible_groups"]:
        context.log.error("plan infeasible; constraint groups: %s", s["infeasible_groups"])
    with warehouse.open() as wh:
        rows = write_plan(wh, outcome, plant_timezone())
    meta = {
        "plan_id": s["plan_id"],
        "status": s["status"],
        "source": s["source"],
        "gap": s["gap"] if s["gap"] is not None else float("nan"),
        "makespan_bound": s["makespan_bound"] if s["makespan_bound"] is not None else float("nan"),
        "tardiness_bound": s["tardiness_bound"]
        if s["tardiness_bound"] is not None
        else float("nan"),
        "makespan_min": s["makespan_min"] or 0,
        "weighted_tardiness": s["weighted_tardiness"] or 0,
        "lots": s["lots"],
        "on_time_lots": s["on_time_lots"] or 0,
        "bottleneck": s["bottleneck"] or "",
        "solve_time_s": s["solve_time_s"],
        "checker_violations": s["violations"],
        "offending_lots": dg.MetadataValue.json(s["offending_lots"]),
        "infeasible_groups": dg.MetadataValue.json(s["infeasible_groups"]),
        "dagster/row_count": rows["fact_schedule_slot"],
    }
    return dg.MaterializeResult(metadata=meta)
