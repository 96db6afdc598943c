"""The CP-SAT model: one code path for the classic job shop and the flexible fab job shop.

Each operation has a start, an end and a duration tied by one master interval; a flexible
operation also has one optional interval per eligible machine, whose presence fixes the master
duration (so CP-SAT reasons through flexible steps, and its bound is at least a plain flexible
model's). Per machine a NoOverlap holds its intervals and its unavailable windows as fixed
intervals; per group of machines sharing operations a redundant Cumulative holds the master
intervals. Makespan and weighted tardiness are bounded below by `assets.planning.bounds`.
Sequence-dependent setups are pairwise disjunctions between operations of different families on
the same machine (exact when the setup matrix obeys the triangle inequality, otherwise
conservative).

Objectives are lexicographic and reported separately: weighted tardiness first (its bound is the
best of CP-SAT's and the capacity relaxation), then makespan with the tardiness held at its best
value (its bound is the best of CP-SAT's, the calendar-aware job path and the machine-group load).
The time limit covers the whole solve: greedy start, bounds, model build and both phases.
A deterministic budget (CP-SAT ``max_deterministic_time`` with a fixed seed and worker count)
makes figures independent of machine load.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from itertools import combinations

from ortools.sat.python import cp_model

from assets.planning.bounds import Bounds, compute_bounds
from assets.planning.greedy import greedy_schedule, merge_windows
from assets.planning.problem import OpKey, Problem, Slot

RELAXABLE_GROUPS = ("frozen", "calendar", "release", "due_dates", "setups")
# share of the budget for the first (weighted tardiness) phase; the makespan phase gets the rest
TARDINESS_SHARE = 0.7


@dataclass
class SolveOptions:
    time_limit_s: float = 60.0  # wall clock for the whole solve, greedy start and build included
    workers: int = 2
    hint: dict[OpKey, tuple[str, int]] | None = None  # warm start: (machine, start) per op
    hard_due_dates: bool = False  # due dates as constraints (infeasible when one cannot be met)
    relax: frozenset[str] = frozenset()  # constraint groups left out (used by the diagnosis)
    seed: int = 0
    diagnose: bool = True  # on INFEASIBLE, find the constraint group(s) responsible
    log: bool = False
    # CP-SAT deterministic time for the whole solve (both phases); with a fixed seed and worker
    # count the figures repeat whatever the machine load (the wall limit still applies)
    deterministic_time: float | None = None


@dataclass
class PlanResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN (no CP-SAT solution: greedy slots)
    slots: list[Slot]
    makespan: int | None
    weighted_tardiness: int | None
    # makespan, its bound and gap: the level whose bound is never trivial (job path, machine load);
    # weighted tardiness has its own bound and gap below
    objective: float | None
    best_bound: float | None
    gap: float | None
    solve_time_s: float
    horizon: int
    source: str = "cp-sat"  # or "greedy" when CP-SAT found nothing within the limit
    infeasible_groups: list[str] = field(default_factory=list)
    makespan_bound: float | None = None  # best of CP-SAT's, the job-path and machine-load bounds
    tardiness_bound: float | None = None  # best of CP-SAT's and the capacity relaxation
    makespan_gap: float | None = None
    tardiness_gap: float | None = None
    cp_sat_bound: float | None = None  # CP-SAT's own bound of the last phase's objective
    deterministic_time: float = 0.0  # CP-SAT deterministic time spent (both phases)


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
    jobs = [
        replace(j, operations=tuple(replace(o, fixed=None) for o in j.operations))
        for j in problem.jobs
    ]
    return replace(problem, jobs=jobs)


def relative_gap(value: float, bound: float) -> float:
    return 0.0 if value <= bound else (value - bound) / max(abs(value), 1e-9)


def _solver(options: SolveOptions, wall_s: float, det_s: float | None, big: bool, classic: bool):
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(wall_s, 0.05)
    if det_s is not None:
        p.max_deterministic_time = max(det_s, 0.01)
    p.num_workers = int(options.workers)
    if classic and options.workers == 1:
        # one worker alone runs no LNS; interleaving CP-SAT's subsolvers (LNS included) in that
        # one thread stays deterministic and was ahead on la21-la25 at equal deterministic time
        p.interleave_search = True
    p.random_seed = int(options.seed)
    p.log_search_progress = options.log
    if big:
        # probing tens of thousands of setup literals ate the whole limit in presolve at fab50
        # size (27 s of 30 s, then "stopped after presolve"): skip it on large setup models
        p.cp_model_probing_level = 0
        p.symmetry_level = 0
        # presolve alone took the whole first phase at fab50 size on a loaded 2-core machine
        # ("stopped after presolve"); the complete hint then starts the search at once
        p.cp_model_presolve = False
    return solver


def _hint_solution(model: cp_model.CpModel, solver: cp_model.CpSolver) -> None:
    """Replace the hints by the solver's last solution: a complete, feasible warm start."""
    model.clear_hints()
    values = solver.response_proto.solution
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


def solve(problem: Problem, options: SolveOptions | None = None) -> PlanResult:
    """Build and solve the model; never raises on an infeasible plan (see infeasible_groups)."""
    options = options or SolveOptions()
    t0 = time.perf_counter()
    deadline = t0 + float(options.time_limit_s)
    base = _drop_fixed(problem) if "frozen" in options.relax else problem
    greedy = greedy_schedule(base)
    bounds = compute_bounds(base)
    # with due dates, room above the greedy makespan so makespan can be traded for tardiness;
    # without, the greedy makespan is a valid upper bound and the tightest domain
    greedy_makespan = schedule_makespan(greedy)
    slack = greedy_makespan // 10 if base.has_due_dates else 0
    horizon = max(greedy_makespan + slack, bounds.makespan, 1)
    model, h = _build(base, options, horizon, greedy, bounds)
    big = len(h.order) + len(h.arcs) > 5_000
    det_left = options.deterministic_time
    tardiness = sum(job.weight * t for job, t in h.tardiness.values()) if h.tardiness else None
    spent_det = 0.0
    t_value = t_bound = first = None
    if tardiness is not None:
        model.minimize(tardiness)
        wall = (deadline - time.perf_counter()) * TARDINESS_SHARE
        det = det_left * TARDINESS_SHARE if det_left is not None else None
        solver = _solver(options, wall, det, big, h.classic)
        status = _status_name(solver.solve(model))
        spent_det += solver.deterministic_time
        if status in ("INFEASIBLE", "MODEL_INVALID"):
            return _no_solution(problem, base, options, status, greedy, horizon, t0, bounds)
        if status in ("OPTIMAL", "FEASIBLE"):
            t_value = round(solver.objective_value)
            t_bound = max(solver.best_objective_bound, bounds.weighted_tardiness)
            if status == "OPTIMAL":
                t_bound = t_value
            _hint_solution(model, solver)
            first = solver
        else:  # nothing better within the first share: hold the greedy start's tardiness
            t_value = weighted_tardiness(base, greedy)
            t_bound = bounds.weighted_tardiness
        model.add(tardiness <= t_value)
        if det_left is not None:
            det_left = max(det_left - solver.deterministic_time, 0.01)
    model.minimize(h.makespan)
    solver = _solver(options, deadline - time.perf_counter(), det_left, big, h.classic)
    status = _status_name(solver.solve(model))
    spent_det += solver.deterministic_time
    if status not in ("OPTIMAL", "FEASIBLE"):
        if first is None:
            if tardiness is not None:
                status = "UNKNOWN"  # the held greedy tardiness may be what made it infeasible
            return _no_solution(problem, base, options, status, greedy, horizon, t0, bounds)
        solver, status = first, "FEASIBLE"  # the makespan phase found nothing: keep phase 1
        cp_bound = None
    else:
        cp_bound = solver.best_objective_bound
    slots = h.read(solver, base)
    makespan = schedule_makespan(slots)
    wt = weighted_tardiness(base, slots)
    t_gap = relative_gap(wt, t_bound) if t_bound is not None else None
    # CP-SAT's makespan bound holds given the tardiness it was held to: a lexicographic bound
    # only once that tardiness is proven; otherwise only the path and load bounds count
    ms_bound = bounds.makespan
    if cp_bound is not None and not t_gap:
        ms_bound = max(ms_bound, makespan if status == "OPTIMAL" else cp_bound)
    ms_gap = relative_gap(makespan, ms_bound)
    proven = ms_gap == 0 and (t_gap is None or t_gap == 0)
    return PlanResult(
        "OPTIMAL" if proven else "FEASIBLE",
        slots,
        makespan,
        wt,
        float(makespan),
        float(ms_bound),
        ms_gap,
        time.perf_counter() - t0,
        horizon,
        makespan_bound=float(ms_bound),
        tardiness_bound=float(t_bound) if t_bound is not None else None,
        makespan_gap=ms_gap,
        tardiness_gap=t_gap,
        cp_sat_bound=cp_bound,
        deterministic_time=spent_det,
    )


def _no_solution(problem, base, options, status, greedy, horizon, t0, bounds) -> PlanResult:
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
    # no solution within the limit: the greedy schedule is still a valid plan to fall back on,
    # with gaps against the bounds computed outside the solver
    makespan, wt = schedule_makespan(greedy), weighted_tardiness(base, greedy)
    return PlanResult(
        status,
        _with_setups(base, greedy),
        makespan,
        wt,
        float(makespan),
        float(bounds.makespan),
        relative_gap(makespan, bounds.makespan),
        time.perf_counter() - t0,
        horizon,
        source="greedy",
        makespan_bound=float(bounds.makespan),
        tardiness_bound=float(bounds.weighted_tardiness),
        makespan_gap=relative_gap(makespan, bounds.makespan),
        tardiness_gap=relative_gap(wt, bounds.weighted_tardiness),
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
        self.duration: dict[OpKey, cp_model.IntVar] = {}  # flexible operations only
        self.master: dict[OpKey, cp_model.IntervalVar] = {}
        self.presence: dict[OpKey, list[tuple[str, object]]] = {}
        self.order: list[tuple[object, OpKey, OpKey, str]] = []  # setup disjunction literals
        self.arcs: list[tuple[object, OpKey | None, OpKey | None]] = []  # route arcs (None: depot)
        self.firsts: list[tuple[object, OpKey, str]] = []  # operation opens machine's route
        self.which: dict[OpKey, tuple[cp_model.IntVar, dict[str, int]]] = {}  # routed: machine
        self.classic = False  # a classic job shop: one machine per step, nothing else
        self.makespan: cp_model.IntVar | None = None
        self.tardiness: dict[str, tuple[object, cp_model.IntVar]] = {}  # job id -> (job, var)

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
    out, previous_family = [], dict(problem.initial_family)
    for s in sorted(slots, key=lambda s: (s.machine, s.start, s.end)):
        setup = problem.setup_time(s.machine, previous_family.get(s.machine, ""), s.family)
        out.append(replace(s, setup=setup))
        previous_family[s.machine] = s.family
    return sorted(out, key=lambda s: (s.start, s.machine))


def _build(
    problem: Problem, options: SolveOptions, horizon: int, greedy: list[Slot], bounds: Bounds
) -> tuple[cp_model.CpModel, _Handles]:
    model = cp_model.CpModel()
    h = _Handles()
    relax = options.relax
    per_machine: dict[str, list[tuple[OpKey, object, str, int]]] = {m: [] for m in problem.machines}
    # without calendars CP-SAT derives the heads itself, and tighter domains alone made its
    # single-worker job-shop search worse at equal deterministic time (measured on la21-la30)
    calendar_heads = not relax and any(problem.downtime.values())
    for job in problem.jobs:
        previous_end = None
        for op in job.operations:
            key = op.key
            alts = op.alternatives
            if op.fixed:
                alts = tuple((m, d) for m, d in alts if m == op.fixed[0])
            lo = job.release if (previous_end is None and "release" not in relax) else 0
            if calendar_heads:  # the calendar-aware head holds only with every constraint group
                lo = max(lo, bounds.head[key])
            dmin = min(d for _, d in alts)
            s = model.new_int_var(min(lo, horizon - dmin), max(horizon - dmin, 0), f"s{key}")
            e = model.new_int_var(0, horizon, f"e{key}")
            if op.fixed:
                model.add(s == op.fixed[1])
            if len(alts) == 1:  # the classic job shop: one mandatory interval
                machine, d = alts[0]
                h.master[key] = model.new_interval_var(s, d, e, f"i{key}")
                lits: list[tuple[str, object]] = [(machine, True)]
                per_machine[machine].append((key, True, op.family, d))
            else:
                # master interval: start, duration and end tied for every choice of machine
                durations = sorted({d for _, d in alts})
                dur = model.new_int_var_from_domain(
                    cp_model.Domain.from_values(durations), f"d{key}"
                )
                h.master[key] = model.new_interval_var(s, dur, e, f"i{key}")
                h.duration[key] = dur
                lits = []
                for machine, d in alts:
                    p = model.new_bool_var(f"p{key}{machine}")
                    model.add(dur == d).only_enforce_if(p)
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
    _add_group_cumulatives(model, problem, h, horizon, relax)
    hint = _hint_map(problem, options, greedy)
    h.classic = classic = all(len(op.alternatives) == 1 for op in problem.operations) and not (
        problem.has_due_dates or problem.setup or any(problem.downtime.values())
    )
    if "setups" not in relax:
        _add_setups(model, problem, h, per_machine, hint)
    _objective_terms(model, problem, h, options, horizon, bounds)
    if not classic or options.hint:
        # a classic job shop's greedy list schedule is a poor start that steers the search
        # (la21-la25 at equal deterministic time: worse with it on 4 of 5)
        _add_hints(model, problem, h, hint)
    return model, h


def _machine_intervals(model, problem, h, per_machine, horizon, relax) -> dict[str, list]:
    out: dict[str, list] = {}
    for machine, entries in per_machine.items():
        ivs = []
        for key, lit, _family, d in entries:
            s = h.start[key]
            if lit is True:
                ivs.append(h.master[key])
            else:
                ivs.append(
                    model.new_optional_fixed_size_interval_var(s, d, lit, f"m{key}{machine}")
                )
        if "calendar" not in relax:
            for a, b in _windows(problem, machine, horizon):
                if entries:
                    ivs.append(model.new_fixed_size_interval_var(a, b - a, f"off{machine}{a}"))
        out[machine] = ivs
    return out


def _windows(problem: Problem, machine: str, horizon: int) -> list[tuple[int, int]]:
    out = []
    for a, b in merge_windows(problem.downtime.get(machine, [])):
        a, b = max(a, 0), min(b, horizon)
        if b > a:
            out.append((a, b))
    return out


def _add_group_cumulatives(model, problem: Problem, h: _Handles, horizon: int, relax) -> None:
    """Redundant machine-group load: the master intervals of the flexible operations whose
    machines all lie in a group share that group's capacity (minus its unavailable windows)."""
    groups: dict[frozenset[str], list[OpKey]] = {}
    for op in problem.operations:
        machines = frozenset(m for m, _ in h.presence[op.key])
        if len(machines) > 1:
            groups.setdefault(machines, []).append(op.key)
    everything = frozenset(problem.machines)
    if groups and everything not in groups:
        groups[everything] = []
    for group in groups:
        inside = [
            op.key for op in problem.operations if set(m for m, _ in h.presence[op.key]) <= group
        ]
        if len(inside) < 3:
            continue
        ivs = [h.master[k] for k in inside]
        demands = [1] * len(ivs)
        if "calendar" not in relax:
            for m in sorted(group):
                for a, b in _windows(problem, m, horizon):
                    ivs.append(model.new_fixed_size_interval_var(a, b - a, f"g{m}{a}"))
                    demands.append(1)
        model.add_cumulative(ivs, demands, len(group))


def _enforce(ct, lits) -> None:
    real = [lit for lit in lits if lit is not True]
    if real:
        ct.only_enforce_if(real)


def _add_setups(model, problem: Problem, h: _Handles, per_machine, hint_starts) -> None:
    routed = _route_groups(problem, h, per_machine)
    for group, keys in routed.items():
        _add_setup_routes(model, problem, h, group, keys, hint_starts)
    done = {m for group in routed for m in group}
    job_order = {op.key: i for job in problem.jobs for i, op in enumerate(job.operations)}
    for machine, entries in per_machine.items():
        if machine in done:
            continue
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


def _route_groups(problem: Problem, h: _Handles, per_machine) -> dict[frozenset[str], list[OpKey]]:
    """Machine groups sequenced as routes: machines with setups whose operations all have the
    same eligible machines (a machine type under full eligibility); others stay pairwise."""
    eligible = {k: frozenset(m for m, _ in h.presence[k]) for k in h.presence}
    candidates: set[frozenset[str]] = set()
    for machine, entries in per_machine.items():
        families = {family for _, _, family, _ in entries}
        if any(problem.setup_time(machine, a, b) for a in families for b in families):
            candidates |= {eligible[key] for key, *_ in entries if len(eligible[key]) > 1}
    groups = {}
    for group in candidates:
        keys = sorted({key for m in group for key, *_ in per_machine[m]})
        overlapping = any(other != group and other & group for other in candidates)
        if not overlapping and all(eligible[k] <= group for k in keys):
            groups[group] = keys
    return groups


def _is_fixed(h: _Handles, key: OpKey) -> bool:
    return len(h.presence[key]) == 1


# Route arcs join each operation to this many neighbours per machine of the group, on each side
# in the warm start's start order: linear in the operations instead of quadratic pairs.
ROUTE_NEIGHBOURS_PER_MACHINE = 3


def _add_setup_routes(model, problem, h: _Handles, group, keys, hint_starts) -> None:
    """Sequence-dependent setups of a group of parallel machines as vehicle routes (CP-SAT's
    multiple circuit): node 0 is the depot, each route is one machine's sequence, an arc i -> j
    keeps both operations on the same machine and puts the setup between them."""
    machines = sorted(group)
    index = {m: i for i, m in enumerate(machines)}
    family = {op.key: op.family for op in problem.operations}
    order = sorted(keys, key=lambda k: (hint_starts.get(k, (None, 0))[1], k))
    rank = {k: r for r, k in enumerate(order)}
    node = {k: r + 1 for r, k in enumerate(order)}
    which = {}  # machine index of each operation: arcs compare two integers, not two sums
    for k in keys:
        lits = h.presence[k]
        which[k] = model.new_int_var(0, len(machines) - 1, f"w{k}")
        model.add(which[k] == sum(index[m] * (1 if lit is True else lit) for m, lit in lits))
        h.which[k] = (which[k], index)

    def setup(a: OpKey, b: OpKey) -> int:
        return max(problem.setup_time(m, family[a], family[b]) for m in machines)

    # the warm start's own sequences, so the hint is a solution of the restricted arcs
    hinted: set[tuple[OpKey, OpKey]] = set()
    by_machine: dict[str, list[OpKey]] = {}
    for k in order:
        m = hint_starts.get(k, (None, 0))[0]
        if m in index:
            by_machine.setdefault(m, []).append(k)
    for seq in by_machine.values():
        hinted.update(zip(seq, seq[1:], strict=False))
    reach = ROUTE_NEIGHBOURS_PER_MACHINE * len(machines)
    pairs = {
        (a, b)
        for a in order
        for b in order[max(rank[a] - reach, 0) : rank[a] + reach + 1]
        if a != b
    }
    arcs = []
    for a, b in sorted(pairs | hinted):
        lit = model.new_bool_var(f"r{a}{b}")
        model.add(which[a] == which[b]).only_enforce_if(lit)
        model.add(h.start[b] >= h.end[a] + setup(a, b)).only_enforce_if(lit)
        arcs.append((node[a], node[b], lit))
        h.arcs.append((lit, a, b))
    first_on = {m: [] for m in machines}
    for k in keys:
        go, back = model.new_bool_var(f"go{k}"), model.new_bool_var(f"back{k}")
        arcs += [(0, node[k], go), (node[k], 0, back)]
        h.arcs.append((go, None, k))
        h.arcs.append((back, k, None))
        for m, lit in h.presence[k]:
            first = model.new_bool_var(f"first{k}{m}")  # k opens the route of machine m
            model.add_bool_or([go.Not(), first] + ([] if lit is True else [lit.Not()]))
            first_on[m].append(first)
            h.firsts.append((first, k, m))
            init = problem.setup_time(m, problem.initial_family.get(m, ""), family[k])
            if init:
                _enforce(model.add(h.start[k] >= init), [first, lit])
    for lits in first_on.values():
        model.add_at_most_one(lits)  # one route per machine
    model.add_multiple_circuit(arcs)


def _objective_terms(model, problem: Problem, h: _Handles, options, horizon, bounds) -> None:
    """Makespan and tardiness variables with their redundant lower bounds; the objective itself
    is set per phase by ``solve``."""
    lasts = [h.end[job.operations[-1].key] for job in problem.jobs if job.operations]
    # the makespan's own floor (path, load bounds) is reported from outside the model: inside it,
    # it only changed CP-SAT's search for the worse on classic job shops
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, lasts)
    h.makespan = makespan
    for job in problem.jobs:
        if job.due is None or not job.operations:
            continue
        end = h.end[job.operations[-1].key]
        if options.hard_due_dates and "due_dates" not in options.relax:
            model.add(end <= job.due)
        t = model.new_int_var(0, horizon + max(0, -job.due), f"t{job.job_id}")
        model.add(t >= end - job.due)
        h.tardiness[job.job_id] = (job, t)
    if h.tardiness and not options.relax and bounds.weighted_tardiness > 0:
        model.add(
            sum(job.weight * t for job, t in h.tardiness.values()) >= bounds.weighted_tardiness
        )


def _hint_map(problem: Problem, options: SolveOptions, greedy: list[Slot]) -> dict:
    """(machine, start) per operation: the previous plan (warm start) or else the greedy one."""
    hint = {s.key: (s.machine, s.start) for s in greedy}
    if options.hint:
        # previous-plan slots override the greedy ones where the operation still exists and the
        # machine is still eligible; the rest of the hint stays greedy
        for op in problem.operations:
            prev = options.hint.get(op.key)
            if prev and op.duration_on(prev[0]) is not None and not op.fixed:
                hint[op.key] = prev
    return hint


def _add_hints(model, problem: Problem, h: _Handles, hint: dict) -> None:
    """Hint every variable from the (machine, start) map."""
    ends = {}
    for op in problem.operations:
        machine, start = hint[op.key]
        d = op.duration_on(machine) or 0
        model.add_hint(h.start[op.key], start)
        ends[op.key] = start + d
        model.add_hint(h.end[op.key], start + d)
        if op.key in h.duration:
            model.add_hint(h.duration[op.key], d)
        for m, lit in h.presence[op.key]:
            if lit is not True:
                model.add_hint(lit, m == machine)
    starts = {k: v[1] for k, v in hint.items()}
    for before, ka, kb, _machine in h.order:
        model.add_hint(before, starts[ka] <= starts[kb])
    _hint_routes(model, h, hint)
    lasts = [ends[job.operations[-1].key] for job in problem.jobs if job.operations]
    model.add_hint(h.makespan, max(lasts, default=0))
    for job, t in h.tardiness.values():
        model.add_hint(t, max(0, ends[job.operations[-1].key] - job.due))


def _hint_routes(model, h: _Handles, hint: dict) -> None:
    routed = {k for _, a, b in h.arcs for k in (a, b) if k is not None}
    sequences: dict[str, list[OpKey]] = {}
    for k in sorted(routed, key=lambda k: (hint[k][1], k)):
        sequences.setdefault(hint[k][0], []).append(k)
    used: set[tuple] = set()
    for seq in sequences.values():
        used |= {(None, seq[0]), (seq[-1], None)} | set(zip(seq, seq[1:], strict=False))
    for lit, a, b in h.arcs:
        model.add_hint(lit, (a, b) in used)
    for k, (var, index) in h.which.items():
        model.add_hint(var, index[hint[k][0]])
    openers = {(seq[0], m) for m, seq in sequences.items()}
    for lit, k, m in h.firsts:
        model.add_hint(lit, (k, m) in openers)
