"""Plan KPIs: makespan, weighted tardiness, on-time lots, utilisation per machine, bottleneck."""

from __future__ import annotations

from collections import defaultdict

from assets.planning.greedy import merge_windows
from assets.planning.problem import Problem, Slot


def plan_kpis(problem: Problem, slots: list[Slot]) -> dict:
    """Utilisation = busy minutes / available minutes of each machine over [0, makespan]."""
    makespan = max((s.end for s in slots), default=0)
    end = {s.key: s.end for s in slots}
    on_time = late = 0
    tardiness = 0
    lot_end = {}
    for job in problem.jobs:
        if not job.operations or job.operations[-1].key not in end:
            continue
        finish = end[job.operations[-1].key]
        lot_end[job.job_id] = finish
        if job.due is None:
            continue
        if finish <= job.due:
            on_time += 1
        else:
            late += 1
            tardiness += job.weight * (finish - job.due)
    busy: dict[str, int] = defaultdict(int)
    setup: dict[str, int] = defaultdict(int)
    for s in slots:
        busy[s.machine] += s.end - s.start
        setup[s.machine] += s.setup
    utilisation = {}
    for m in problem.machines:
        off = sum(
            max(0, min(b, makespan) - max(a, 0))
            for a, b in merge_windows(problem.downtime.get(m, []))
        )
        available = max(makespan - off, 1)
        utilisation[m] = round(min((busy[m] + setup[m]) / available, 1.0), 4)
    bottleneck = max(utilisation, key=lambda m: (utilisation[m], m)) if utilisation else None
    return {
        "makespan": makespan,
        "weighted_tardiness": tardiness,
        "lots": len(lot_end),
        "on_time_lots": on_time,
        "late_lots": late,
        "operations": len(slots),
        "setup_total": sum(setup.values()),
        "utilisation": utilisation,
        "bottleneck": bottleneck,
        "lot_end": lot_end,
    }
