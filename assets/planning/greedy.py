"""A fast list-scheduling heuristic: a feasible schedule that bounds the horizon and seeds CP-SAT.

Jobs are taken in order of the time their next operation becomes ready (ties: heavier weight, then
earlier due date); each operation goes to the eligible machine where it finishes first, appended
after that machine's earlier work, pushed past unavailable windows and past the setup from every
other family already run there (the same pairwise setup rule the CP-SAT model uses).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right

from assets.planning.problem import Operation, Problem, Slot


def first_free_start(
    windows: list[tuple[int, int]], starts: list[int], t: int, duration: int
) -> int:
    """Earliest start >= t such that [start, start + duration) misses every window (sorted)."""
    i = max(bisect_right(starts, t) - 1, 0)
    while i < len(windows):
        a, b = windows[i]
        if a >= t + duration:
            break
        if b > t:
            t = b
        i += 1
    return t


def merge_windows(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping windows (touching ones joined)."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(w for w in windows if w[1] > w[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


class _MachineState:
    def __init__(self, machine: str, problem: Problem) -> None:
        self.windows = merge_windows(problem.downtime.get(machine, []))
        self.starts = [a for a, _ in self.windows]
        self.last_end = 0
        init = problem.initial_family.get(machine, "")
        # family -> latest end of an operation of that family on this machine
        self.family_end: dict[str, int] = {init: 0} if init else {}

    def earliest(self, problem: Problem, machine: str, op: Operation, ready: int, d: int) -> int:
        t = max(ready, self.last_end)
        for fam, end in self.family_end.items():
            t = max(t, end + problem.setup_time(machine, fam, op.family))
        return first_free_start(self.windows, self.starts, t, d)

    def place(self, op: Operation, start: int, end: int) -> None:
        self.last_end = max(self.last_end, end)
        self.family_end[op.family] = max(self.family_end.get(op.family, 0), end)


def greedy_schedule(problem: Problem) -> list[Slot]:
    """The best of a few list-scheduling orders (pure ready time, then due-date buckets)."""
    best, best_score = None, None
    for bucket in (0, 60, 240):
        slots = _list_schedule(problem, bucket)
        end = {s.key: s.end for s in slots}
        tardiness = sum(
            job.weight * max(0, end[job.operations[-1].key] - job.due)
            for job in problem.jobs
            if job.due is not None and job.operations
        )
        score = (tardiness, max((s.end for s in slots), default=0))
        if best_score is None or score < best_score:
            best, best_score = slots, score
    assert best is not None
    return best


def _list_schedule(problem: Problem, bucket: int) -> list[Slot]:
    """Jobs in order of ready time; within a ``bucket``-minute window, by due date / weight."""

    def key(ready: int, i: int) -> tuple:
        job = problem.jobs[i]
        due = job.due if job.due is not None else 1 << 40
        coarse = ready // bucket if bucket else ready
        return (coarse, due / job.weight if bucket else -job.weight, ready, i)

    states = {m: _MachineState(m, problem) for m in problem.machines}
    # fixed operations (in progress, frozen) are placed first: others queue behind them
    for op in problem.operations:
        if op.fixed:
            machine, start = op.fixed
            d = op.duration_on(machine) or 0
            states[machine].place(op, start, start + d)
    slots: list[Slot] = []
    heap = [
        (key(job.release, i), job.release, i, 0)
        for i, job in enumerate(problem.jobs)
        if job.operations
    ]
    heapq.heapify(heap)
    while heap:
        _, ready, i, k = heapq.heappop(heap)
        op = problem.jobs[i].operations[k]
        if op.fixed:
            machine, start = op.fixed
            end = start + (op.duration_on(machine) or 0)
            slots.append(Slot(op.job, op.step, machine, start, end, 0, op.family, True))
        else:
            best: tuple[int, int, str] | None = None
            for machine, d in op.alternatives:
                start = states[machine].earliest(problem, machine, op, ready, d)
                if best is None or (start + d, start) < (best[0], best[1]):
                    best = (start + d, start, machine)
            assert best is not None
            end, start, machine = best
            states[machine].place(op, start, end)
            slots.append(Slot(op.job, op.step, machine, start, end, 0, op.family, False))
        if k + 1 < len(problem.jobs[i].operations):
            heapq.heappush(heap, (key(end, i), end, i, k + 1))
    return slots
