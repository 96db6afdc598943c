"""The CP-SAT model: one code path for the classic job shop and the flexible fab job shop.

Each operation has a start and an end and one optional interval per eligible machine (a single
mandatory interval when only one machine is eligible, which is the classic job shop). Per machine
a NoOverlap holds its intervals and its unavailable windows as fixed intervals. Sequence-dependent
setups are pairwise disjunctions between operations of different families on the same machine
(exact when the setup matrix obeys the triangle inequality, otherwise conservative).

Objective: weighted tardiness first, then makespan, as one weighted sum
``(horizon + 1) * sum(weight * tardiness) + makespan``. Because the makespan can never exceed the
horizon, one unit of weighted tardiness always outweighs any makespan gain, so this is exactly the
lexicographic order, solved in one run that shares the time limit and reports one bound and gap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import combinations

from ortools.sat.python import cp_model

from assets.planning.greedy import greedy_schedule, merge_windows
from assets.planning.problem import OpKey, Problem, Slot

RELAXABLE_GROUPS = ("frozen", "calendar", "release", "due_dates", "setups")


@dataclass
class SolveOptions:
    time_limit_s: float = 60.0
    workers: int = 2
    hint: dict[OpKey, tuple[str, int]] | None = None  # warm start: (machine, start) per op
    hard_due_dates: bool = False  # due dates as constraints (infeasible when one cannot be met)
    relax: frozenset[str] = frozenset()  # constraint groups left out (used by the diagnosis)
    seed: int = 0
    diagnose: bool = True  # on INFEASIBLE, find the constraint group(s) responsible
    log: bool = False


@dataclass
class PlanResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN (no CP-SAT solution: greedy slots)
    slots: list[Slot]
    makespan: int | None
    weighted_tardiness: int | None
    objective: float | None
    best_bound: float | None
    gap: float | None
    solve_time_s: float
    horizon: int
    source: str = "cp-sat"  # or "greedy" when CP-SAT found nothing within the limit
    infeasible_groups: list[str] = field(default_factory=list)
    makespan_bound: float | None = None


def _status_name(code: int) -> str:
    return {
        cp_model.OPTIMAL: "OPTIMAL",
        cp_model.FEASIBLE: "FEASIBLE",
        cp_model.INFEASIBLE: "INFEASIBLE",
        cp_model.MODEL_INVALID: "MODEL_INVALID",
    }.get(code, "UNKNOWN")


def schedule_makespan(slots: list[Slot]) -> int:
    return max((s.end for s in slots), default=0)


def weighted_tardiness(problem: Problem, slots: list[Slot]) -> int:
    end = {s.key: s.end for s in slots}
    total = 0
    for job in problem.jobs:
        if job.due is not None and job.operations:
            total += job.weight * max(0, end[job.operations[-1].key] - job.due)
    return total


def _drop_fixed(problem: Problem) -> Problem:
    from dataclasses import replace

    jobs = [
        replace(j, operations=tuple(replace(o, fixed=None) for o in j.operations))
        for j in problem.jobs
    ]
    return replace(problem, jobs=jobs)


def solve(problem: Problem, options: SolveOptions | None = None) -> PlanResult:
    """Build and solve the model; never raises on an infeasible plan (see infeasible_groups)."""
    options = options or SolveOptions()
    t0 = time.perf_counter()
    base = _drop_fixed(problem) if "frozen" in options.relax else problem
    greedy = greedy_schedule(base)
    # with due dates, room above the greedy makespan so makespan can be traded for tardiness;
    # without, the greedy makespan is a valid upper bound and the tightest domain
    greedy_makespan = schedule_makespan(greedy)
    slack = greedy_makespan // 10 if base.has_due_dates else 0
    horizon = max(greedy_makespan + slack, 1)
    model, handles = _build(base, options, horizon, greedy)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(options.time_limit_s)
    solver.parameters.num_workers = int(options.workers)
    solver.parameters.random_seed = int(options.seed)
    solver.parameters.log_search_progress = options.log
    if len(handles.order) > 5_000:
        # probing tens of thousands of setup literals ate the whole limit in presolve at fab50
        # size (27 s of 30 s, then "stopped after presolve"): skip it on large setup models
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
    code = solver.solve(model)
    status = _status_name(code)
    elapsed = time.perf_counter() - t0
    if status in ("OPTIMAL", "FEASIBLE"):
        slots = handles.read(solver, base)
        objective = solver.objective_value
        bound = solver.best_objective_bound
        gap = 0.0 if status == "OPTIMAL" else (objective - bound) / max(abs(objective), 1e-9)
        ms_bound = bound if not handles.has_tardiness else None
        return PlanResult(
            status,
            slots,
            schedule_makespan(slots),
            weighted_tardiness(base, slots),
            objective,
            bound,
            max(gap, 0.0),
            elapsed,
            horizon,
            makespan_bound=ms_bound,
        )
    if status == "INFEASIBLE":
        groups = _diagnose(problem, options) if options.diagnose else []
        return PlanResult(
            status,
            [],
            None,
            None,
            None,
            None,
            None,
            time.perf_counter() - t0,
            horizon,
            infeasible_groups=groups,
        )
    # no solution within the limit: the greedy schedule is still a valid plan to fall back on
    return PlanResult(
        status,
        _with_setups(base, greedy),
        schedule_makespan(greedy),
        weighted_tardiness(base, greedy),
        None,
        None,
        None,
        elapsed,
        horizon,
        source="greedy",
    )


def _diagnose(problem: Problem, options: SolveOptions) -> list[str]:
    """Solve with each constraint group left out; the groups whose removal helps are to blame."""
    culprits = []
    for group in RELAXABLE_GROUPS:
        if group == "due_dates" and not options.hard_due_dates:
            continue
        trial = SolveOptions(
            time_limit_s=min(10.0, options.time_limit_s),
            workers=options.workers,
            hard_due_dates=options.hard_due_dates,
            relax=frozenset({group}),
            seed=options.seed,
            diagnose=False,
        )
        if solve(problem, trial).status in ("OPTIMAL", "FEASIBLE"):
            culprits.append(group)
    return culprits or ["combination of groups (no single group relaxation is feasible)"]


class _Handles:
    def __init__(self) -> None:
        self.start: dict[OpKey, cp_model.IntVar] = {}
        self.end: dict[OpKey, cp_model.IntVar] = {}
        self.presence: dict[OpKey, list[tuple[str, object]]] = {}
        self.has_tardiness = False
        self.order: list[tuple[object, OpKey, OpKey, str]] = []  # setup disjunction literals
        self.makespan: cp_model.IntVar | None = None
        self.tardiness: dict[str, cp_model.IntVar] = {}

    def read(self, solver: cp_model.CpSolver, problem: Problem) -> list[Slot]:
        raw = []
        for op in problem.operations:
            machine = next(
                m for m, lit in self.presence[op.key] if lit is True or solver.boolean_value(lit)
            )
            raw.append(
                Slot(
                    op.job,
                    op.step,
                    machine,
                    solver.value(self.start[op.key]),
                    solver.value(self.end[op.key]),
                    0,
                    op.family,
                    op.fixed is not None,
                )
            )
        return _with_setups(problem, raw)


def _with_setups(problem: Problem, slots: list[Slot]) -> list[Slot]:
    """Fill each slot's setup time from its predecessor on the same machine."""
    from dataclasses import replace

    out, previous_family = [], dict(problem.initial_family)
    for s in sorted(slots, key=lambda s: (s.machine, s.start, s.end)):
        setup = problem.setup_time(s.machine, previous_family.get(s.machine, ""), s.family)
        out.append(replace(s, setup=setup))
        previous_family[s.machine] = s.family
    return sorted(out, key=lambda s: (s.start, s.machine))


def _build(
    problem: Problem, options: SolveOptions, horizon: int, greedy: list[Slot]
) -> tuple[cp_model.CpModel, _Handles]:
    model = cp_model.CpModel()
    h = _Handles()
    relax = options.relax
    per_machine: dict[str, list[tuple[OpKey, object, str, int]]] = {m: [] for m in problem.machines}
    for job in problem.jobs:
        previous_end = None
        for op in job.operations:
            key = op.key
            alts = op.alternatives
            if op.fixed:
                alts = tuple((m, d) for m, d in alts if m == op.fixed[0])
            lo = job.release if (previous_end is None and "release" not in relax) else 0
            dmin = min(d for _, d in alts)
            s = model.new_int_var(min(lo, horizon), max(horizon - dmin, 0), f"s{key}")
            e = model.new_int_var(0, horizon, f"e{key}")
            if op.fixed:
                model.add(s == op.fixed[1])
            if len(alts) == 1:  # the classic job shop: one mandatory interval
                machine, d = alts[0]
                model.new_fixed_size_interval_var(s, d, f"i{key}")
                model.add(e == s + d)
                lits: list[tuple[str, object]] = [(machine, True)]
                per_machine[machine].append((key, True, op.family, d))
            else:
                lits = []
                for machine, d in alts:
                    p = model.new_bool_var(f"p{key}{machine}")
                    model.add(e == s + d).only_enforce_if(p)
                    lits.append((machine, p))
                    per_machine[machine].append((key, p, op.family, d))
                model.add_exactly_one(p for _, p in lits)
            h.start[key], h.end[key], h.presence[key] = s, e, lits
            if previous_end is not None:
                model.add(s >= previous_end)
            previous_end = e
    intervals = _machine_intervals(model, problem, h, per_machine, horizon, relax)
    for ivs in intervals.values():
        if len(ivs) > 1:
            model.add_no_overlap(ivs)
    if "setups" not in relax:
        _add_setups(model, problem, h, per_machine)
    _objective(model, problem, h, options, horizon)
    _add_hints(model, problem, h, options, greedy)
    return model, h


def _machine_intervals(model, problem, h, per_machine, horizon, relax) -> dict[str, list]:
    out: dict[str, list] = {}
    for machine, entries in per_machine.items():
        ivs = []
        for key, lit, _family, d in entries:
            s = h.start[key]
            if lit is True:
                ivs.append(model.new_fixed_size_interval_var(s, d, f"m{key}{machine}"))
            else:
                ivs.append(
                    model.new_optional_fixed_size_interval_var(s, d, lit, f"m{key}{machine}")
                )
        if "calendar" not in relax:
            for a, b in merge_windows(problem.downtime.get(machine, [])):
                a, b = max(a, 0), min(b, horizon)
                if b > a and entries:
                    ivs.append(model.new_fixed_size_interval_var(a, b - a, f"off{machine}{a}"))
        out[machine] = ivs
    return out


def _enforce(ct, lits) -> None:
    real = [lit for lit in lits if lit is not True]
    if real:
        ct.only_enforce_if(real)


def _add_setups(model, problem: Problem, h: _Handles, per_machine) -> None:
    job_order = {op.key: i for job in problem.jobs for i, op in enumerate(job.operations)}
    for machine, entries in per_machine.items():
        init = problem.initial_family.get(machine, "")
        for key, lit, family, _d in entries:
            first = problem.setup_time(machine, init, family)
            if first:
                _enforce(model.add(h.start[key] >= first), [lit])
        for (ka, la, fa, _), (kb, lb, fb, _) in combinations(entries, 2):
            sab = problem.setup_time(machine, fa, fb)
            sba = problem.setup_time(machine, fb, fa)
            if fa == fb or (sab == 0 and sba == 0):
                continue  # NoOverlap already covers it
            if ka[0] == kb[0]:  # same job: the route fixes the order
                (k1, f1), (k2, f2) = sorted([(ka, fa), (kb, fb)], key=lambda x: job_order[x[0]])
                gap = problem.setup_time(machine, f1, f2)
                _enforce(model.add(h.start[k2] >= h.end[k1] + gap), [la, lb])
                continue
            before = model.new_bool_var(f"o{ka}{kb}{machine}")
            _enforce(model.add(h.start[kb] >= h.end[ka] + sab), [before, la, lb])
            _enforce(model.add(h.start[ka] >= h.end[kb] + sba), [before.Not(), la, lb])
            h.order.append((before, ka, kb, machine))


def _objective(model, problem: Problem, h: _Handles, options: SolveOptions, horizon: int) -> None:
    lasts = [h.end[job.operations[-1].key] for job in problem.jobs if job.operations]
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, lasts)
    h.makespan = makespan
    terms, tard_vars = [], {}
    for job in problem.jobs:
        if job.due is None or not job.operations:
            continue
        end = h.end[job.operations[-1].key]
        if options.hard_due_dates and "due_dates" not in options.relax:
            model.add(end <= job.due)
        t = model.new_int_var(0, horizon + max(0, -job.due), f"t{job.job_id}")
        model.add(t >= end - job.due)
        tard_vars[job.job_id] = t
        terms.append(job.weight * t)
    h.tardiness = tard_vars
    if terms:
        h.has_tardiness = True
        model.minimize((horizon + 1) * sum(terms) + makespan)
    else:
        model.minimize(makespan)


def _add_hints(
    model, problem: Problem, h: _Handles, options: SolveOptions, greedy: list[Slot]
) -> None:
    """Hint every variable from the previous plan (warm start) or else the greedy schedule."""
    hint = {s.key: (s.machine, s.start) for s in greedy}
    if options.hint:
        # previous-plan slots override the greedy ones where the operation still exists and the
        # machine is still eligible; the rest of the hint stays greedy
        for op in problem.operations:
            prev = options.hint.get(op.key)
            if prev and op.duration_on(prev[0]) is not None and not op.fixed:
                hint[op.key] = prev
    ends = {}
    for op in problem.operations:
        machine, start = hint[op.key]
        model.add_hint(h.start[op.key], start)
        end = start + (op.duration_on(machine) or 0)
        ends[op.key] = end
        model.add_hint(h.end[op.key], end)
        for m, lit in h.presence[op.key]:
            if lit is not True:
                model.add_hint(lit, m == machine)
    starts = {k: v[1] for k, v in hint.items()}
    for before, ka, kb, _machine in h.order:
        model.add_hint(before, starts[ka] <= starts[kb])
    lasts = [ends[job.operations[-1].key] for job in problem.jobs if job.operations]
    model.add_hint(h.makespan, max(lasts, default=0))
    for job in problem.jobs:
        t = h.tardiness.get(job.job_id)
        if t is not None:
            model.add_hint(t, max(0, ends[job.operations[-1].key] - job.due))
