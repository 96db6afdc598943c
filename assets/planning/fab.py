"""The fab's planning input as plain data, and its translation into the scheduling problem.

Every open lot's remaining route steps become operations. Each may run on any machine of the
step's type; its duration is wafers x recipe seconds per wafer / machine efficiency, in whole
minutes. Machines are unavailable outside shifts, in breaks, on calendar exceptions (holidays,
shutdowns, planned maintenance). Priority 1 is the most urgent: a lot's weight is (6 - priority),
times ``HOT_LOT_FACTOR`` for a hot lot. Times are minutes from the plan start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from assets.planning.problem import Job, Operation, Problem
from fabstack.errors import FabError

HOT_LOT_FACTOR = 10


@dataclass(frozen=True)
class Lot:
    lot_id: str
    product_id: str
    wafer_count: int
    priority: int
    hot_lot: bool
    release: datetime
    due: datetime
    next_step: int = 1  # first step not yet tracked out
    in_progress: tuple[str, datetime] | None = None  # (machine, track-in time) of next_step


@dataclass(frozen=True)
class Machine:
    machine_id: str
    machine_type: str
    area_id: str
    efficiency: float = 1.0
    current_family: str = ""  # family of the last recipe run, for the first setup
    status: str = "IDLE"


@dataclass(frozen=True)
class Recipe:
    recipe_id: str
    machine_type: str
    family: str
    process_time_s: float


@dataclass(frozen=True)
class RouteStep:
    step_no: int
    machine_type: str
    recipe_id: str


@dataclass(frozen=True)
class Shift:
    code: str
    start_local: time
    duration_min: int
    breaks: tuple[tuple[int, int], ...] = ()  # (offset_min, duration_min)


@dataclass(frozen=True)
class CalendarException:
    start: datetime
    end: datetime
    kind: str = "maintenance"
    machine_id: str | None = None  # None: the whole site


@dataclass
class FabData:
    plan_start: datetime
    timezone: str
    lots: list[Lot]
    machines: list[Machine]
    recipes: dict[str, Recipe]
    routes: dict[str, list[RouteStep]]  # product -> steps in order
    setup_minutes: dict[tuple[str, str, str], float] = field(default_factory=dict)  # type,from,to
    shifts: list[Shift] = field(default_factory=list)  # empty: round the clock
    exceptions: list[CalendarException] = field(default_factory=list)
    calendar_days: int = 30


@dataclass(frozen=True)
class Offense:
    lot_id: str
    reason: str


@dataclass(frozen=True)
class PreviousSlot:
    lot_id: str
    step_no: int
    machine_id: str
    start: datetime


def minutes_from(t0: datetime, t: datetime, *, up: bool = False) -> int:
    m = (t - t0).total_seconds() / 60
    return math.ceil(m - 1e-9) if up else math.floor(m + 1e-9)


def lot_weight(lot: Lot) -> int:
    return (6 - lot.priority) * (HOT_LOT_FACTOR if lot.hot_lot else 1)


def duration_min(wafers: int, recipe: Recipe, machine: Machine) -> int:
    return max(1, math.ceil(wafers * recipe.process_time_s / max(machine.efficiency, 1e-6) / 60))


def validate_lots(data: FabData) -> list[Offense]:
    """Lots the plan cannot take: unknown product, a step no machine runs, due before release."""
    types = {m.machine_type for m in data.machines if m.efficiency > 0}
    out = []
    for lot in data.lots:
        route = data.routes.get(lot.product_id)
        if not route:
            out.append(Offense(lot.lot_id, f"product {lot.product_id!r} has no route"))
        elif lot.due < lot.release:
            out.append(
                Offense(
                    lot.lot_id,
                    f"due {lot.due.isoformat()} is before release {lot.release.isoformat()}",
                )
            )
        elif not 1 <= lot.priority <= 5:
            out.append(Offense(lot.lot_id, f"priority {lot.priority} is not in 1..5"))
        else:
            for step in route:
                if step.step_no < lot.next_step:
                    continue
                if step.machine_type not in types:
                    out.append(
                        Offense(
                            lot.lot_id,
                            f"route step {step.step_no} needs a "
                            f"{step.machine_type} machine and none can run "
                            "it",
                        )
                    )
                    break
                if step.recipe_id not in data.recipes:
                    out.append(
                        Offense(
                            lot.lot_id,
                            f"route step {step.step_no}: unknown recipe {step.recipe_id!r}",
                        )
                    )
                    break
    return out


def check_lots(data: FabData) -> None:
    """Strict mode for the CLI: the first offending lot is a FabError naming it."""
    offenses = validate_lots(data)
    if offenses:
        first = offenses[0]
        more = f" (and {len(offenses) - 1} more lots)" if len(offenses) > 1 else ""
        raise FabError(f"lot {first.lot_id}: {first.reason}{more}")


def off_shift_windows(data: FabData) -> list[tuple[int, int]]:
    """Site-wide unavailable windows in minutes from the plan start: off-shift time and breaks."""
    t0 = data.plan_start
    end = data.calendar_days * 1440
    if not data.shifts:
        return []
    tz = ZoneInfo(data.timezone)
    local0: date = t0.astimezone(tz).date()
    available: list[tuple[int, int]] = []
    for day in range(-2, data.calendar_days + 2):
        d = local0 + timedelta(days=day)
        for shift in data.shifts:
            start = datetime.combine(d, shift.start_local, tzinfo=tz).astimezone(UTC)
            s = minutes_from(t0, start)
            cursor = s
            for offset, length in sorted(shift.breaks):
                available.append((cursor, s + offset))
                cursor = s + offset + length
            available.append((cursor, s + shift.duration_min))
    available = sorted((a, b) for a, b in available if b > a)
    windows, cursor = [], -3 * 1440
    for a, b in available:
        if a > cursor:
            windows.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < end:
        windows.append((cursor, end + 1440))
    return [(max(a, 0), b) for a, b in windows if b > 0 and a < end]


def build_problem(
    data: FabData,
    *,
    previous: list[PreviousSlot] | None = None,
    frozen_hours: float = 0.0,
    strict: bool = False,
    max_alternatives: int | None = None,
) -> tuple[Problem, list[Offense], dict[tuple[str, int], tuple[str, int]]]:
    """Problem, offending lots left out, and the warm-start hint from the previous plan.

    ``max_alternatives``: None or 0 = every eligible machine (the model sequences setups as
    routes, linear in the operations), k = at most k eligible machines per step, rotated by lot."""
    offenses = validate_lots(data)
    if strict and offenses:
        check_lots(data)
    bad = {o.lot_id for o in offenses}
    t0 = data.plan_start
    machines = {m.machine_id: m for m in data.machines if m.efficiency > 0}
    by_type: dict[str, list[Machine]] = {}
    for m in machines.values():
        by_type.setdefault(m.machine_type, []).append(m)
    prev = {(p.lot_id, p.step_no): p for p in previous or []}
    frozen_until = frozen_hours * 60
    off_shift = off_shift_windows(data)
    downtime: dict[str, list[tuple[int, int]]] = {m: list(off_shift) for m in machines}
    for exc in data.exceptions:
        window = (max(minutes_from(t0, exc.start), 0), minutes_from(t0, exc.end, up=True))
        if window[1] <= 0:
            continue
        for m in [exc.machine_id] if exc.machine_id else list(machines):
            if m in downtime:
                downtime[m].append(window)
    jobs, hint = [], {}
    for lot in sorted(data.lots, key=lambda lot: lot.lot_id):
        if lot.lot_id in bad:
            continue
        ops = []
        chain_fixed = True  # a step is frozen only if every earlier remaining step is fixed too
        for step in data.routes[lot.product_id]:
            if step.step_no < lot.next_step:
                continue
            recipe = data.recipes[step.recipe_id]
            eligible = sorted(by_type[step.machine_type], key=lambda m: -m.efficiency)
            alts = tuple((m.machine_id, duration_min(lot.wafer_count, recipe, m)) for m in eligible)
            fixed = None
            p = prev.get((lot.lot_id, step.step_no))
            if lot.in_progress and step.step_no == lot.next_step and lot.in_progress[0] in machines:
                machine, track_in = lot.in_progress
                full = duration_min(lot.wafer_count, recipe, machines[machine])
                remaining = max(1, full - max(0, minutes_from(track_in, t0)))
                alts, fixed = ((machine, remaining),), (machine, 0)
                # a lot on a tool finishes even across a break: free the machine's windows
                downtime[machine] = [
                    (max(a, remaining), b) for a, b in downtime[machine] if b > remaining
                ]
            elif p is not None and p.machine_id in {m for m, _ in alts}:
                start = minutes_from(t0, p.start)
                if 0 <= start < frozen_until and chain_fixed:
                    fixed = (p.machine_id, start)
                hint[(lot.lot_id, step.step_no)] = (p.machine_id, max(start, 0))
            chain_fixed = chain_fixed and fixed is not None
            if max_alternatives and not fixed and len(alts) > max_alternatives:
                alts = _spread(alts, lot.lot_id, step.step_no, max_alternatives, hint)
            ops.append(
                Operation(
                    lot.lot_id,
                    step.step_no,
                    alts,
                    recipe.family,
                    fixed,
                    recipe.recipe_id,
                    lot.wafer_count,
                )
            )
        if not ops:
            continue
        jobs.append(
            Job(
                lot.lot_id,
                tuple(ops),
                release=max(0, minutes_from(t0, lot.release, up=True)),
                due=minutes_from(t0, lot.due),
                weight=lot_weight(lot),
            )
        )
    setup = {}
    for m in machines.values():
        for (mtype, a, b), minutes in data.setup_minutes.items():
            if mtype == m.machine_type and minutes > 0:
                setup[(m.machine_id, a, b)] = math.ceil(minutes)
    problem = Problem(
        jobs=jobs,
        machines=sorted(machines),
        downtime=downtime,
        setup=setup,
        initial_family={
            m.machine_id: m.current_family for m in machines.values() if m.current_family
        },
    )
    return problem, offenses, hint


def _spread(alts, lot_id: str, step_no: int, k: int, hint) -> tuple[tuple[str, int], ...]:
    """Keep k eligible machines, rotated by lot so the load spreads (and the hinted one)."""
    n = len(alts)
    offset = (sum(map(ord, lot_id)) + step_no) % n
    keep = [alts[(offset + i) % n] for i in range(k)]
    hinted = hint.get((lot_id, step_no))
    if hinted and hinted[0] not in {m for m, _ in keep}:
        keep[-1] = next(a for a in alts if a[0] == hinted[0])
    return tuple(keep)
