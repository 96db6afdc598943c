"""Shared parts of the planning benchmarks: reference data, a fixed deterministic budget, and the
plain CP-SAT model the fab model is compared against in the same run.

The plain model is the textbook one and nothing else: per operation a start and an end, one
optional interval per eligible machine (a single mandatory one in the classic job shop), route
precedences, a NoOverlap per machine, minimise the makespan. No hints, no redundant constraints.
Both models get the same deterministic budget, seed and worker count, so the figures do not
depend on machine load.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from ortools.sat.python import cp_model

from assets.planning.problem import Problem

REFERENCE = Path(
    os.environ.get("FAB_REFERENCE", Path(__file__).resolve().parents[2].parent / "shared/reference")
)


@dataclass(frozen=True)
class PlainResult:
    status: str
    makespan: int | None
    bound: float
    deterministic_time: float
    wall_s: float


def solve_plain(problem: Problem, det_time: float, workers: int, seed: int) -> PlainResult:
    began = time.perf_counter()
    model = cp_model.CpModel()
    horizon = sum(max(d for _, d in op.alternatives) for op in problem.operations)
    per_machine: dict[str, list] = {m: [] for m in problem.machines}
    lasts = []
    for job in problem.jobs:
        previous = None
        for op in job.operations:
            s = model.new_int_var(0, horizon, "s")
            e = model.new_int_var(0, horizon, "e")
            if len(op.alternatives) == 1:
                machine, d = op.alternatives[0]
                per_machine[machine].append(model.new_interval_var(s, d, e, "i"))
            else:
                presences = []
                for machine, d in op.alternatives:
                    p = model.new_bool_var("p")
                    per_machine[machine].append(model.new_optional_interval_var(s, d, e, p, "o"))
                    presences.append(p)
                model.add_exactly_one(presences)
            if previous is not None:
                model.add(s >= previous)
            previous = e
        lasts.append(previous)
    for intervals in per_machine.values():
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, lasts)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = det_time
    solver.parameters.max_time_in_seconds = 3600.0  # a safety net only: det_time binds
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return PlainResult(
        solver.status_name(code),
        round(solver.objective_value) if found else None,
        solver.best_objective_bound,
        solver.deterministic_time,
        time.perf_counter() - began,
    )


def gap_pct(value: float | None, reference: float) -> float | None:
    return None if value is None else round(100 * (value - reference) / reference, 2)
