"""Lower bounds computed outside the solver, so a reported gap means something.

- Calendar-aware job path: each operation starts no earlier than its predecessor's earliest end
  and, on its best eligible machine, no earlier than the first free window long enough for it.
- Machine-group load: the operations that can only run inside a group of machines need their
  (shortest) work done on the group's available minutes, after the earliest of their heads and
  before the least of their tails.
- Weighted tardiness by capacity relaxation: per machine group, a single machine as fast as the
  whole group, preemptive, without setups. Its SRPT schedule (shortest remaining work first)
  completes its i-th operation as early as any schedule can (Schrage), so the i-th finishing
  lot of any real plan finishes no earlier; the cheapest matching of lots to those completion
  ranks (an assignment problem) bounds the weighted tardiness. The best group is reported.

Every bound ignores setups (a relaxation) and is valid for any schedule the model accepts.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from assets.planning.greedy import first_free_start, merge_windows
from assets.planning.problem import Operation, OpKey, Problem


@dataclass(frozen=True)
class Bounds:
    job_path: int  # makespan >= calendar-aware longest job path
    machine_load: int  # makespan >= best machine-group load bound
    weighted_tardiness: int  # capacity relaxation of the tightest machine group (or job paths)
    head: dict[OpKey, int]  # earliest start of each operation
    tail: dict[OpKey, int]  # shortest work after each operation in its job

    @property
    def makespan(self) -> int:
        return max(self.job_path, self.machine_load)


def _eligible(op: Operation) -> tuple[tuple[str, int], ...]:
    return ((op.fixed[0], op.duration_on(op.fixed[0]) or 0),) if op.fixed else op.alternatives


def compute_bounds(problem: Problem) -> Bounds:
    windows = {m: merge_windows(problem.downtime.get(m, [])) for m in problem.machines}
    starts = {m: [a for a, _ in w] for m, w in windows.items()}
    head: dict[OpKey, int] = {}
    tail: dict[OpKey, int] = {}
    job_end: dict[str, int] = {}
    for job in problem.jobs:
        ready = job.release
        for op in job.operations:
            if op.fixed:
                head[op.key] = op.fixed[1]
                ready = op.fixed[1] + (op.duration_on(op.fixed[0]) or 0)
                continue
            begins = [
                (first_free_start(windows[m], starts[m], ready, d), d) for m, d in _eligible(op)
            ]
            head[op.key] = min(b for b, _ in begins)
            ready = min(b + d for b, d in begins)
        job_end[job.job_id] = ready
        after = 0
        for op in reversed(job.operations):
            tail[op.key] = after
            after += min(d for _, d in _eligible(op))
    job_path = max(job_end.values(), default=0)
    groups = _groups(problem)
    load = max(
        (_load_bound(ops, group, windows, head, tail) for group, ops in groups.items()), default=0
    )
    tardiness = max(
        [_path_tardiness(problem, job_end)]
        + [
            _capacity_tardiness(problem, group, ops, head, tail, job_end, windows)
            for group, ops in groups.items()
        ]
    )
    return Bounds(job_path, max(load, 0), tardiness, head, tail)


def _groups(problem: Problem) -> dict[frozenset[str], list[tuple[Operation, int]]]:
    """Each distinct eligible-machine set (and all machines) with the operations confined to it."""
    ops = [(op, min(d for _, d in _eligible(op))) for op in problem.operations]
    sets = {frozenset(m for m, _ in _eligible(op)) for op, _ in ops}
    sets.add(frozenset(problem.machines))
    return {g: [(op, d) for op, d in ops if {m for m, _ in _eligible(op)} <= g] for g in sets}


def _available(windows: list[tuple[int, int]], a: int, b: int) -> int:
    off = sum(max(0, min(y, b) - max(x, a)) for x, y in windows)
    return (b - a) - off


def _load_bound(ops, group, windows, head, tail) -> int:
    if not ops:
        return 0
    work = sum(d for _, d in ops)
    begin = min(head[op.key] for op, _ in ops)
    after = min(tail[op.key] for op, _ in ops)

    def capacity(t: int) -> int:
        return sum(_available(windows[m], begin, t) for m in group)

    lo, hi = begin + -(-work // len(group)), begin + work + 1
    while capacity(hi) < work:  # calendars: look further out
        hi = begin + 2 * (hi - begin)
    while lo < hi:
        mid = (lo + hi) // 2
        if capacity(mid) >= work:
            hi = mid
        else:
            lo = mid + 1
    return lo + after


def _path_tardiness(problem: Problem, job_end: dict[str, int]) -> int:
    return sum(
        job.weight * max(0, job_end[job.job_id] - job.due)
        for job in problem.jobs
        if job.due is not None
    )


def _capacity_profile(group, windows) -> list[tuple[int, int]]:
    """(time, machines available from then on) breakpoints of a machine group."""
    events: dict[int, int] = {}
    for m in group:
        for a, b in windows[m]:
            events[a] = events.get(a, 0) - 1
            events[b] = events.get(b, 0) + 1
    level, out = len(group), [(-(1 << 40), len(group))]
    for t in sorted(events):
        level += events[t]
        out.append((t, level))
    return out


def _srpt_completions(items: list[tuple[float, float]], profile: list[tuple[int, int]]):
    """Completion times, in order, of a preemptive single machine whose speed is the number of
    the group's machines available at the time (``profile``), running the shortest remaining
    work first over (release, work) items."""
    items = sorted(items)
    out: list[float] = []
    ready: list[float] = []
    t, i, p = -float("inf"), 0, 0
    while i < len(items) or ready:
        if not ready:
            t = max(t, items[i][0])
        while i < len(items) and items[i][0] <= t:
            heapq.heappush(ready, items[i][1])
            i += 1
        while p + 1 < len(profile) and profile[p + 1][0] <= t:
            p += 1
        rate = profile[p][1]
        next_change = profile[p + 1][0] if p + 1 < len(profile) else float("inf")
        next_event = min(items[i][0] if i < len(items) else float("inf"), next_change)
        if rate <= 0:
            t = next_event
            continue
        rest = heapq.heappop(ready)
        if t + rest / rate <= next_event:
            t += rest / rate
            out.append(t)
        else:
            heapq.heappush(ready, rest - (next_event - t) * rate)
            t = next_event
    return out


def _capacity_tardiness(problem, group, ops, head, tail, job_end, windows) -> int:
    profile = _capacity_profile(group, windows)
    completions = _srpt_completions([(head[op.key], float(d)) for op, d in ops], profile)
    last_in_group: dict[str, tuple[Operation, int]] = {}
    for op, d in ops:
        last_in_group[op.job] = (op, d)  # operations come in route order
    jobs = [j for j in problem.jobs if j.due is not None and j.job_id in last_in_group]
    if not jobs:
        return _path_tardiness(problem, job_end)
    ranks = np.array(completions, dtype=float)[: len(ops)]
    cost = np.empty((len(jobs), len(ranks)))
    for r, job in enumerate(jobs):
        op, d = last_in_group[job.job_id]
        own = max(job_end[job.job_id], head[op.key] + d + tail[op.key])
        finish = np.maximum(np.ceil(ranks - 1e-9) + tail[op.key], own)
        cost[r] = job.weight * np.maximum(0, finish - job.due)
    rows, cols = linear_sum_assignment(cost)
    inside = {j.job_id for j in jobs}
    outside = sum(
        job.weight * max(0, job_end[job.job_id] - job.due)
        for job in problem.jobs
        if job.due is not None and job.job_id not in inside
    )
    return int(cost[rows, cols].sum()) + outside
