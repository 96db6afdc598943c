"""Verify a schedule against its problem: every rule the plan must respect, as readable findings."""

from __future__ import annotations

from collections import defaultdict

from assets.planning.greedy import merge_windows
from assets.planning.problem import Problem, Slot


def check_schedule(
    problem: Problem, slots: list[Slot], *, hard_due_dates: bool = False, max_findings: int = 50
) -> list[str]:
    """Return the violations found (empty = valid): coverage, eligibility and durations,
    precedence, release, machine overlap, setups between neighbours, calendars, fixed slots."""
    found: list[str] = []
    by_key: dict = {}
    for s in slots:
        if s.key in by_key:
            found.append(f"{s.job} step {s.step}: scheduled twice")
        by_key[s.key] = s
    for job in problem.jobs:
        previous = None
        for op in job.operations:
            s = by_key.get(op.key)
            if s is None:
                found.append(f"{op.job} step {op.step}: not scheduled")
                previous = None
                continue
            d = op.duration_on(s.machine)
            if d is None:
                found.append(f"{op.job} step {op.step}: machine {s.machine} is not eligible")
            elif s.end - s.start != d:
                found.append(
                    f"{op.job} step {op.step}: lasts {s.end - s.start}, expected {d} on {s.machine}"
                )
            if op.fixed and (s.machine, s.start) != op.fixed:
                found.append(
                    f"{op.job} step {op.step}: fixed at {op.fixed} but moved to "
                    f"({s.machine}, {s.start})"
                )
            if previous is None and s.start < job.release and not op.fixed:
                found.append(
                    f"{op.job} step {op.step}: starts {s.start} before release {job.release}"
                )
            if previous is not None and s.start < previous.end:
                found.append(
                    f"{op.job} step {op.step}: starts {s.start} before step "
                    f"{previous.step} ends at {previous.end}"
                )
            previous = s
        last = by_key.get(job.operations[-1].key) if job.operations else None
        if hard_due_dates and job.due is not None and last and last.end > job.due:
            found.append(f"{job.job_id}: ends {last.end} after due {job.due}")
    on_machine: dict[str, list[Slot]] = defaultdict(list)
    for s in slots:
        on_machine[s.machine].append(s)
    for machine, items in on_machine.items():
        if machine not in problem.machines:
            found.append(f"{machine}: unknown machine")
        items.sort(key=lambda s: (s.start, s.end))
        family = problem.initial_family.get(machine, "")
        previous_end = 0
        for k, s in enumerate(items):
            setup = problem.setup_time(machine, family, s.family)
            if k and s.start < previous_end:
                found.append(
                    f"{machine}: {s.job} step {s.step} at {s.start} overlaps "
                    f"{items[k - 1].job} step {items[k - 1].step} ending {previous_end}"
                )
            elif s.start < previous_end + setup and not (s.frozen and k == 0):
                found.append(
                    f"{machine}: {s.job} step {s.step} at {s.start} leaves no room for "
                    f"the {setup} setup {family}->{s.family} after {previous_end}"
                )
            previous_end, family = max(previous_end, s.end), s.family
        windows = merge_windows(problem.downtime.get(machine, []))
        for s in items:
            for a, b in windows:
                if a < s.end and s.start < b:
                    found.append(
                        f"{machine}: {s.job} step {s.step} [{s.start}, {s.end}) runs in "
                        f"unavailable window [{a}, {b})"
                    )
                    break
    return found[:max_findings]
