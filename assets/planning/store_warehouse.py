"""Write a plan into the warehouse: the plan day's partition of each planning fact, replaced."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from assets.planning.nightly import PlanOutcome
from warehouse.client import Warehouse
from warehouse.writer import replace_partition

DDL = Path(__file__).parent / "sql" / "warehouse.sql"


def ensure_planning_schema(wh: Warehouse) -> None:
    wh.run_script(DDL.read_text())


def write_plan(wh: Warehouse, outcome: PlanOutcome, day: date) -> dict[str, int]:
    """fact_schedule_slot, fact_plan_run and fact_plan_utilisation: plant day ``day`` replaced."""
    ensure_planning_schema(wh)
    slots = (
        pl.DataFrame(
            [{**r, "plan_id": outcome.plan_id} for r in outcome.slot_rows],
            schema_overrides={"due_ts": pl.Datetime("us", "UTC")},
        )
        if outcome.slot_rows
        else pl.DataFrame()
    )
    s = outcome.summary()
    run = pl.DataFrame(
        [
            {
                "plan_id": outcome.plan_id,
                "plan_start": outcome.plan_start,
                "status": s["status"],
                "source": s["source"],
                "objective": s["objective"],
                "best_bound": s["best_bound"],
                "gap": s["gap"],
                "makespan_min": s["makespan_min"],
                "weighted_tardiness": s["weighted_tardiness"],
                "lots": s["lots"],
                "operations": s["operations"],
                "on_time_lots": s["on_time_lots"],
                "late_lots": s["late_lots"],
                "bottleneck": s["bottleneck"],
                "offending_lots": len(s["offending_lots"]),
                "solve_time_s": s["solve_time_s"],
            }
        ]
    )
    util = outcome.kpis.get("utilisation", {})
    utilisation = pl.DataFrame(
        [
            {
                "plan_id": outcome.plan_id,
                "machine_id": m,
                "utilisation": u,
                "bottleneck": m == outcome.kpis.get("bottleneck"),
            }
            for m, u in util.items()
        ]
    )
    return {
        "fact_schedule_slot": replace_partition(wh, "fact_schedule_slot", day, slots),
        "fact_plan_run": replace_partition(wh, "fact_plan_run", day, run),
        "fact_plan_utilisation": replace_partition(wh, "fact_plan_utilisation", day, utilisation),
    }
