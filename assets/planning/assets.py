"""Thin Dagster assets over `assets.planning.nightly`: the nightly CP-SAT plan, one plant day
per partition (the plan made at the day's scheduled time, or as of the end of a past day)."""

from datetime import datetime

import dagster as dg

from assets.conventions import WAREHOUSE_POOL, layer
from assets.partitions import daily_partitions, partition_day, plant_timezone
from assets.planning.nightly import PlanRunOptions, run_plan
from assets.planning.store_warehouse import write_plan
from assets.resources import LandingResource, WarehouseResource
from fabstack.calendar import as_of

GROUP = "planning"
OWNERS = ["team:planning"]
TAGS = layer("fact", nightly=True)


class PlanConfig(dg.Config):
    time_limit_s: float = 60.0
    workers: int = 2
    frozen_hours: float = 0.0
    warm_start: bool = True
    plan_start: str | None = None  # ISO 8601 with offset; default: the scheduled time or now


def plan_start_of(context: dg.AssetExecutionContext, config_value: str | None) -> datetime:
    """Configured, else the schedule's tick, else as of the partition's day (its end for a past
    day, now for today): re-running a past day plans from the same state."""
    if config_value:
        return datetime.fromisoformat(config_value)
    scheduled = context.run.tags.get("dagster/scheduled_execution_time")
    if scheduled:
        return datetime.fromisoformat(scheduled)
    return as_of(partition_day(context), plant_timezone())


def _spec(key: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        group_name=GROUP,
        owners=OWNERS,
        kinds={"ortools", "clickhouse"},
        tags=TAGS,
        deps=[dg.AssetKey(["landing", "lot_move"]), dg.AssetKey("dim_machine")],
        description=description,
    )


@dg.multi_asset(
    name="plan_schedule",
    specs=[
        _spec(
            "fact_schedule_slot",
            "The CP-SAT production plan of every open lot's remaining steps (flexible job shop "
            "with shifts, exceptions, setups, release/due dates, priorities, hot lots): one slot "
            "per operation with machine, start, end and setup; the shop floor's copy is "
            "landing.plan_run / landing.schedule_slot. Offending lots are reported, not fatal.",
        ),
        _spec(
            "fact_plan_run",
            "One row per plan: status, objective and its bounds (makespan and weighted "
            "tardiness, solved lexicographically), gap, lots, on-time and late lots, solve time.",
        ),
        _spec(
            "fact_plan_utilisation",
            "Planned utilisation per machine over the plan's horizon, and the bottleneck.",
        ),
    ],
    partitions_def=daily_partitions(),
    pool=WAREHOUSE_POOL,
)
def plan_schedule(
    context: dg.AssetExecutionContext,
    config: PlanConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
):
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
        rows = write_plan(wh, outcome, partition_day(context))
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
    yield dg.MaterializeResult(asset_key="fact_schedule_slot", metadata=meta)
    yield dg.MaterializeResult(
        asset_key="fact_plan_run",
        metadata={"plan_id": s["plan_id"], "dagster/row_count": rows["fact_plan_run"]},
    )
    yield dg.MaterializeResult(
        asset_key="fact_plan_utilisation",
        metadata={"plan_id": s["plan_id"], "dagster/row_count": rows["fact_plan_utilisation"]},
    )
