"""The nightly (or on-demand) fab plan: load, build, solve, check, KPIs, store.

``plan_fab`` is pure (data in, outcome out); ``run_plan`` wires it to the landing zone and is what
the CLI (`fab plan run`) and the Dagster asset call.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from assets.planning.checker import check_schedule
from assets.planning.fab import FabData, Offense, PreviousSlot, build_problem, check_lots
from assets.planning.kpis import plan_kpis
from assets.planning.model import PlanResult, SolveOptions, solve
from assets.planning.problem import Problem
from assets.planning.sql import q


@dataclass
class PlanRunOptions:
    time_limit_s: float = 60.0
    workers: int = 2
    frozen_hours: float = 0.0
    warm_start: bool = True
    strict: bool = False  # True: the first offending lot is an error; else report, plan the rest
    max_alternatives: int | None = None  # None or 0: every eligible machine, k: at most k
    seed: int = 0
    deterministic_time: float | None = None  # CP-SAT budget that repeats whatever the load


@dataclass
class PlanOutcome:
    plan_id: str
    plan_start: datetime
    result: PlanResult
    problem: Problem
    kpis: dict
    offenses: list[Offense]
    violations: list[str]
    options: PlanRunOptions
    warm_start_from: str | None = None
    slot_rows: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        r = self.result
        return {
            "plan_id": self.plan_id,
            "plan_start": self.plan_start.isoformat(),
            "status": r.status,
            "source": r.source,
            "objective": r.objective,
            "best_bound": r.best_bound,
            "gap": r.gap,
            "makespan_bound": r.makespan_bound,
            "makespan_gap": r.makespan_gap,
            "tardiness_bound": r.tardiness_bound,
            "tardiness_gap": r.tardiness_gap,
            "solve_time_s": round(r.solve_time_s, 2),
            "makespan_min": self.kpis.get("makespan"),
            "weighted_tardiness": self.kpis.get("weighted_tardiness"),
            "lots": len(self.problem.jobs),
            "operations": len(self.problem.operations),
            "on_time_lots": self.kpis.get("on_time_lots"),
            "late_lots": self.kpis.get("late_lots"),
            "bottleneck": self.kpis.get("bottleneck"),
            "offending_lots": [{"lot_id": o.lot_id, "reason": o.reason} for o in self.offenses],
            "infeasible_groups": r.infeasible_groups,
            "violations": len(self.violations),
            "warm_start_from": self.warm_start_from,
        }


def plan_id_for(plan_start: datetime) -> str:
    return f"plan-{plan_start.astimezone(UTC):%Y%m%dT%H%MZ}"


def plan_fab(
    data: FabData,
    options: PlanRunOptions | None = None,
    previous: list[PreviousSlot] | None = None,
    warm_start_from: str | None = None,
    started: float | None = None,
) -> PlanOutcome:
    """``started``: perf_counter() when the plan began (loading included); the time limit
    covers everything from then on."""
    started = time.perf_counter() if started is None else started
    options = options or PlanRunOptions()
    if options.strict:
        check_lots(data)
    problem, offenses, hint = build_problem(
        data,
        previous=previous if options.warm_start or options.frozen_hours else None,
        frozen_hours=options.frozen_hours,
        max_alternatives=options.max_alternatives,
    )
    result = solve(
        problem,
        SolveOptions(
            # 2 % of the limit stays for the checker, KPIs and slot rows after the solve
            time_limit_s=0.98 * options.time_limit_s - (time.perf_counter() - started),
            workers=options.workers,
            hint=hint if options.warm_start else None,
            seed=options.seed,
            deterministic_time=options.deterministic_time,
        ),
    )
    kpis = plan_kpis(problem, result.slots) if result.slots else {}
    violations = check_schedule(problem, result.slots) if result.slots else []
    t0 = data.plan_start
    ops = {op.key: op for op in problem.operations}
    due = {job.job_id: job.due for job in problem.jobs}
    rows = [
        {
            "lot_id": s.job,
            "step_no": s.step,
            "machine_id": s.machine,
            "recipe_id": ops[s.key].recipe,
            "start_ts": t0 + timedelta(minutes=s.start),
            "end_ts": t0 + timedelta(minutes=s.end),
            "setup_min": s.setup,
            "wafers": ops[s.key].wafers,
            "frozen": s.frozen,
            "due_ts": t0 + timedelta(minutes=due[s.job]) if due[s.job] is not None else None,
        }
        for s in result.slots
    ]
    return PlanOutcome(
        plan_id_for(t0),
        t0,
        result,
        problem,
        kpis,
        offenses,
        violations,
        options,
        warm_start_from,
        rows,
    )


def run_plan(
    conn: psycopg.Connection,
    plan_start: datetime,
    options: PlanRunOptions | None = None,
    *,
    store: bool = True,
) -> PlanOutcome:
    """Plan from the landing zone at ``plan_start`` and (by default) store it, replacing a plan
    with the same id, so a re-run changes nothing but the solve itself."""
    from assets.planning.loader import load_fab_data, load_previous_plan

    started = time.perf_counter()
    options = options or PlanRunOptions()
    plan_start = plan_start.astimezone(UTC).replace(second=0, microsecond=0)
    data = load_fab_data(conn, plan_start)
    prev_id, previous = (
        load_previous_plan(conn, plan_start, plan_id_for(plan_start))
        if options.warm_start or options.frozen_hours
        else (None, [])
    )
    outcome = plan_fab(data, options, previous, prev_id, started)
    if store:
        store_plan(conn, outcome)
    return outcome


def store_plan(conn: psycopg.Connection, outcome: PlanOutcome) -> None:
    r, k, o = outcome.result, outcome.kpis, outcome.options
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(q("delete_plan"), {"plan_id": outcome.plan_id})
        cur.execute(
            q("insert_plan"),
            {
                "plan_id": outcome.plan_id,
                "plan_start": outcome.plan_start,
                "status": r.status,
                "source": r.source,
                "objective": r.objective,
                "best_bound": r.best_bound,
                "gap": r.gap,
                "makespan_min": k.get("makespan"),
                "weighted_tardiness": k.get("weighted_tardiness"),
                "lots": len(outcome.problem.jobs),
                "operations": len(outcome.problem.operations),
                "on_time_lots": k.get("on_time_lots"),
                "late_lots": k.get("late_lots"),
                "bottleneck": k.get("bottleneck"),
                "utilisation": json.dumps(k.get("utilisation", {})),
                "offending_lots": json.dumps(
                    [{"lot_id": x.lot_id, "reason": x.reason} for x in outcome.offenses]
                ),
                "infeasible_groups": r.infeasible_groups,
                "time_limit_s": o.time_limit_s,
                "workers": o.workers,
                "frozen_hours": o.frozen_hours,
                "warm_start_from": outcome.warm_start_from,
                "solve_time_s": r.solve_time_s,
            },
        )
        cur.executemany(
            q("insert_slot"),
            [
                (
                    outcome.plan_id,
                    s["lot_id"],
                    s["step_no"],
                    s["machine_id"],
                    s["recipe_id"],
                    s["start_ts"],
                    s["end_ts"],
                    s["setup_min"],
                    s["wafers"],
                    s["frozen"],
                    s["due_ts"],
                )
                for s in outcome.slot_rows
            ],
        )
