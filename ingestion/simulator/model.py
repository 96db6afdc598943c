"""The discrete-event model of the fab: machine states, lots flowing along routes, failures.

One ``FabModel`` holds every machine and lot; ``advance(t)`` processes events up to ``t`` and
appends what happened to ``self.out`` (landing rows) and ``self.truth`` (what was injected).
All randomness comes from one seeded generator consumed in event order, so a run is a pure
function of (plant, seed, origin); advancing in small steps or one big step gives the same
events. Times are epoch seconds (float), rounded to milliseconds when events are scheduled.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ingestion.payloads import make_wafer_id
from ingestion.plant import PlantSpec, RecipeSpec
from ingestion.simulator import calendar as cal
from ingestion.simulator.sort import SortMapper
from ingestion.simulator.wafermaps import WaferMapGenerator

WAFERS_PER_LOT = 25
INSPECTED_WAFERS_PER_LOT = 5
WARMUP_S = 12 * 3600.0
# wear shows in the sensors this long before a wear-out failure (the P-F interval), so a 7-day
# horizon has something to see; the rise is quadratic, so the last days stand out most
PRECURSOR_MAX_S = 10 * 86400.0
EXCURSION_TYPES = ("ETCH",)
EXCURSION_EVERY_S = 2.5 * 86400.0  # mean time between temperature excursions per machine
SPC_EVERY_S = 3 * 86400.0  # mean time between injected mean shifts/trends per machine+parameter
QUEUE_LIMIT = 6  # lots waiting for (or moving to) a machine type before upstream is BLOCKED
INTERLOCK_RULE = "ETCH_CHAMBER_OVERTEMP"  # same id as ingestion/config/interlocks.yaml


@dataclass
class Lot:
    lot_id: str
    product: str
    route: list[tuple[str, RecipeSpec]]
    priority: int
    hot: bool
    release: float
    due: float
    alive: list[int] = field(default_factory=lambda: list(range(1, WAFERS_PER_LOT + 1)))
    step: int = 0  # index of the next/current step
    status: str = "released"

    def sort_key(self) -> tuple:
        return (not self.hot, self.priority, self.due, self.lot_id)


@dataclass
class WearCycle:
    onset: float
    planned: float
    failed: float = float("inf")


@dataclass
class Excursion:
    metric: str
    start: float
    peak: float
    delta: float
    crossing: float
    tau: float = 600.0


@dataclass
class Fault:
    """A chaos fault window on one machine (truth.chaos_fault)."""

    machine: str
    fault: str
    start: float
    end: float


@dataclass
class Machine:
    id: str
    index: int
    type: str
    area: str
    efficiency: float
    calendar: list[tuple[float, str]]
    blocks: dict[str, str] = field(default_factory=dict)
    state: tuple[str, str] | None = None
    lot: Lot | None = None
    held: Lot | None = None  # a finished lot with nowhere to go (IDLE/BLOCKED)
    recipe: RecipeSpec | None = None
    phase: str | None = None  # "setup" | "process"
    remaining: float = 0.0
    work_started: float | None = None
    token: int = 0
    last_family: str | None = None
    track_in: float = 0.0
    seq: int = 0
    part_count: int = 0
    good_count: int = 0
    scrap_count: int = 0
    last_cycle_s: float = 0.0
    wear: list[WearCycle] = field(default_factory=list)
    excursions: list[Excursion] = field(default_factory=list)
    # processing intervals (start, end, recipe_id): sensors follow the recipe's setpoints
    runs: list[tuple[float, float, str]] = field(default_factory=list)
    state_times: list[float] = field(default_factory=list)
    state_codes: list[tuple[str, str]] = field(default_factory=list)
    emitted: int = 0  # state events already drained

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


class FabModel:
    """The whole fab as a discrete-event simulation from ``origin`` (epoch s)."""

    def __init__(
        self,
        plant: PlantSpec,
        seed: int,
        origin: float,
        *,
        auto_interlock: bool = True,
        horizon: float | None = None,
    ) -> None:
        self.plant = plant
        self.seed = seed
        self.origin = origin
        self.auto_interlock = auto_interlock
        self.rng = np.random.default_rng([seed, 0])
        self.now = origin - WARMUP_S
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self.recipes = {r.id: r for r in plant.recipes}
        self.reasons = {r.code: r for r in plant.state_reasons}
        self.types = plant.machine_types
        self.setup_min = {
            (s.machine_type, s.from_family, s.to_family): s.minutes for s in plant.setup_times
        }
        horizon = horizon or origin + 400 * 86400.0
        self.windows = cal.shift_windows(plant, self.now, horizon)
        self.machines: dict[str, Machine] = {}
        for i, m in enumerate(plant.machines):
            self.machines[m.id] = Machine(
                id=m.id,
                index=i,
                type=m.type,
                area=m.area,
                efficiency=m.efficiency,
                calendar=cal.machine_calendar(plant, m.id, self.windows, self.now, horizon),
            )
        self.by_type: dict[str, list[Machine]] = defaultdict(list)
        for m in self.machines.values():
            self.by_type[m.type].append(m)
        self.queues: dict[str, list[Lot]] = defaultdict(list)
        self.inbound: dict[str, int] = defaultdict(int)  # lots moving to a machine type
        self.blocked: dict[str, list[Machine]] = defaultdict(list)
        self.lots: dict[str, Lot] = {}
        self._lot_counter: dict[str, int] = defaultdict(int)
        self.maps = WaferMapGenerator(plant, self.rng)
        self.sorter = SortMapper(plant, seed)
        self.inspected: dict[str, tuple[str, list[tuple]]] = {}  # wafer -> last inspection
        self.sort_out: list[tuple] = []  # (ts, lot_id, wafer_id, product, signature, bins)
        self.faults: list[Fault] = []
        self._efficiency_factor: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        self.out: dict[str, list[tuple]] = defaultdict(list)
        self.truth: dict[str, list[tuple]] = defaultdict(list)
        self.spc_active: dict[tuple[str, str], list[tuple[float, float, str, float]]] = defaultdict(
            list
        )
        self.machine_offset = {
            (m.id, p): float(self.rng.normal(0, 0.3))
            for m in plant.machines
            for p in self._parameters(m.type)
        }
        self._start()

    # --- event plumbing ---------------------------------------------------------------------
    def at(self, t: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._heap, (round(max(t, self.now), 3), next(self._counter), fn))

    def advance(self, until: float) -> None:
        """Process every event at or before ``until``."""
        while self._heap and self._heap[0][0] <= until:
            t, _, fn = heapq.heappop(self._heap)
            self.now = t
            fn()
        self.now = max(self.now, until)

    def _parameters(self, mtype: str) -> list[str]:
        """Per-wafer measured parameters: recipe setpoints that are not sensor metrics."""
        sensors = self.plant.machine_types[mtype].sensors
        params: list[str] = []
        for r in self.plant.recipes:
            if r.machine_type == mtype:
                params += [p for p in r.setpoints if p not in sensors and p not in params]
        return params

    # --- set-up -------------------------------------------------------------------------------
    def _start(self) -> None:
        rng = self.rng
        for m in self.machines.values():
            mtype = self.types[m.type]
            for t, status in m.calendar:
                self.at(t, lambda m=m, s=status: self._calendar(m, s))
            self._schedule_random_failure(m)
            # the first component is part-way through its life at the start
            self._new_wear_cycle(m, self.now - rng.uniform(0, mtype.wear_life_h * 3600))
            if mtype.pm_every_days:
                first = self.origin + rng.uniform(0, mtype.pm_every_days * 86400)
                self.at(first, lambda m=m: self._pm_start(m))
            if m.type in EXCURSION_TYPES and "temperature" in mtype.sensors:
                self.at(
                    self.now + rng.exponential(EXCURSION_EVERY_S), lambda m=m: self._excursion(m)
                )
            for p in self._parameters(m.type):
                self.at(
                    self.now + rng.exponential(SPC_EVERY_S),
                    lambda m=m, p=p: self._spc_injection(m, p),
                )
            self._refresh(m)
        self.release_interval = self._release_interval()
        self.at(self.now, self._release)

    def _release_interval(self) -> float:
        """Mean seconds between lot releases: 85% of the bottleneck's expected capacity."""
        per_lot: dict[str, float] = defaultdict(float)
        for p in self.plant.products:
            for step in p.route:
                recipe = self.recipes[step.recipe]
                per_lot[step.machine_type] += (
                    WAFERS_PER_LOT * recipe.process_time_s / len(self.plant.products)
                )
        worst = 0.0
        for mtype, seconds in per_lot.items():
            machines = self.by_type[mtype]
            eff = float(np.mean([m.efficiency for m in machines]))
            spec = self.types[mtype]
            # mtbf_h is the mean time between failures of any kind (random + wear-out)
            avail = (1 - spec.mttr_h / (spec.mtbf_h + spec.mttr_h)) * 0.85 / (1 + spec.speed_loss)
            worst = max(worst, seconds / (len(machines) * eff * avail))
        return worst / 0.85

    # --- machine state ------------------------------------------------------------------------
    def _display(self, m: Machine) -> tuple[str, str]:
        b = m.blocks
        if "stop" in b:
            return "DOWN", b["stop"]
        if "down" in b:
            return "DOWN", b["down"]
        if "pm" in b:
            return "MAINTENANCE", "PM"
        status = b.get("calendar")
        if status == cal.PM_EXC:
            return "MAINTENANCE", "PM"
        if status == cal.NO_SHIFT:
            return "OFFLINE", "NO_SHIFT"
        if status == cal.BREAK:
            return "OFFLINE", "BREAK"
        if m.held is not None:
            return "IDLE", "BLOCKED"
        if m.lot is not None:
            if "small_stop" in b:
                return "RUNNING", "SMALL_STOP"
            if m.phase == "setup":
                return "SETUP", "SETUP"
            return "RUNNING", "RUN"
        return "IDLE", "STARVED"

    @staticmethod
    def _working(state: tuple[str, str] | None) -> bool:
        return state in (("SETUP", "SETUP"), ("RUNNING", "RUN"))

    def _refresh(self, m: Machine) -> None:
        """Recompute the shown state; pause or resume work; emit a state event on change."""
        new = self._display(m)
        old = m.state
        if new == old:
            return
        now = self.now
        if self._working(old) and m.work_started is not None:
            m.remaining = max(0.0, m.remaining - (now - m.work_started))
            m.work_started = None
            m.token += 1
        m.state = new
        if m.state_times and m.state_times[-1] == now:
            # several changes in one instant: keep only where the machine ends up
            m.state_times.pop()
            m.state_codes.pop()
        if not m.state_codes or m.state_codes[-1] != new:
            m.state_times.append(now)
            m.state_codes.append(new)
        if self._working(new):
            m.work_started = now
            token = m.token
            self.at(now + m.remaining, lambda: self._work_done(m, token))
            if new == ("RUNNING", "RUN"):
                rate = self.types[m.type].small_stop_rate_per_h
                if rate > 0:
                    self.at(
                        now + self.rng.exponential(3600 / rate), lambda: self._small_stop(m, token)
                    )
        if new == ("IDLE", "STARVED"):
            self._dispatch_machine(m)

    def _calendar(self, m: Machine, status: str) -> None:
        if status == cal.WORK:
            m.blocks.pop("calendar", None)
        else:
            m.blocks["calendar"] = status
        self._refresh(m)

    def _small_stop(self, m: Machine, token: int) -> None:
        if token != m.token or m.state != ("RUNNING", "RUN"):
            return
        m.blocks["small_stop"] = "SMALL_STOP"
        self._refresh(m)
        self.at(self.now + self.rng.uniform(30, 240), lambda: self._unblock(m, "small_stop"))

    def _unblock(self, m: Machine, key: str) -> None:
        m.blocks.pop(key, None)
        self._refresh(m)

    def _scheduled(self, m: Machine) -> bool:
        return "calendar" not in m.blocks

    # --- failures, maintenance, excursions ------------------------------------------------------
    def _schedule_random_failure(self, m: Machine) -> None:
        """Random (unannounced) failures: the part of the failure rate wear-out leaves over."""
        mean_h = self.types[m.type].random_mtbf_h
        if mean_h != float("inf"):
            self.at(self.now + self.rng.exponential(mean_h * 3600), lambda: self._random_failure(m))

    def _random_failure(self, m: Machine) -> None:
        spec = self.types[m.type]
        if self._scheduled(m) and "down" not in m.blocks and "stop" not in m.blocks:
            reasons = [c for c in ("ELECTRICAL", "VACUUM_LEAK") if c in self.reasons]
            reason = reasons[int(self.rng.integers(len(reasons)))] if reasons else "DOWN"
            repair = max(300.0, self.rng.exponential(spec.mttr_h * 3600))
            self._fail(m, reason, repair, onset=self.now)
        else:
            self._schedule_random_failure(m)

    def _fail(self, m: Machine, reason: str, repair: float, onset: float) -> None:
        m.blocks["down"] = reason
        if self.now >= self.origin:
            self.truth["failure"].append(
                (m.id, reason, onset, self.now, self.now + repair, reason == "WEAR_OUT")
            )
        self._refresh(m)
        self.at(self.now + repair, lambda: self._repaired(m, reason))

    def _repaired(self, m: Machine, reason: str) -> None:
        m.blocks.pop("down", None)
        if reason == "WEAR_OUT":
            self._new_wear_cycle(m, self.now)
        else:
            self._schedule_random_failure(m)
        self._refresh(m)

    def _new_wear_cycle(self, m: Machine, start: float) -> None:
        """Wear-out failures every ``wear_life_h`` on average, with sensor precursors from
        ``onset`` (the last PRECURSOR_MAX_S of the component's life)."""
        spec = self.types[m.type]
        length = spec.wear_life_h * 3600 * self.rng.uniform(0.6, 1.4)
        planned = start + length
        onset = planned - min(PRECURSOR_MAX_S, 0.6 * length)
        m.wear.append(WearCycle(onset=onset, planned=planned))
        self.at(planned, lambda: self._wear_out(m))

    def _wear_out(self, m: Machine) -> None:
        if not self._scheduled(m) or "down" in m.blocks or "stop" in m.blocks:
            self.at(self.now + 900, lambda: self._wear_out(m))
            return
        cycle = m.wear[-1]
        cycle.failed = self.now
        spec = self.types[m.type]
        self._fail(
            m,
            "WEAR_OUT",
            max(600.0, self.rng.exponential(spec.mttr_h * 3600 * 1.5)),
            onset=cycle.onset,
        )

    def _pm_start(self, m: Machine) -> None:
        spec = self.types[m.type]
        if "down" in m.blocks or "stop" in m.blocks:
            self.at(self.now + 900, lambda: self._pm_start(m))
            return
        m.blocks["pm"] = "PM"
        self._refresh(m)
        self.at(self.now + spec.pm_duration_min * 60, lambda: self._unblock(m, "pm"))
        self.at(self.now + (spec.pm_every_days or 7) * 86400, lambda: self._pm_start(m))

    def _excursion(self, m: Machine) -> None:
        """Chamber temperature ramps past its limit; the interlock stops the machine."""
        rng = self.rng
        self.at(self.now + rng.exponential(EXCURSION_EVERY_S), lambda: self._excursion(m))
        if m.state != ("RUNNING", "RUN") or self.now < self.origin:
            return
        sensor = self.types[m.type].sensors["temperature"]
        threshold = float(sensor.max)
        base = self.sensor_level(m, "temperature", self.now)
        ramp = rng.uniform(300, 900)
        delta = (threshold - base) + rng.uniform(2.0, 6.0)
        crossing = self.now + ramp * (threshold - base) / delta
        exc = Excursion("temperature", self.now, self.now + ramp, delta, round(crossing, 3))
        m.excursions.append(exc)
        self.truth["interlock_trigger"].append(
            (m.id, exc.crossing, "temperature", threshold + 0.0, threshold, INTERLOCK_RULE)
        )
        if self.auto_interlock:
            self.at(exc.crossing, lambda: self._interlock(m, threshold))

    def _interlock(self, m: Machine, threshold: float) -> None:
        now = self.now
        self.out["interlock_event"].append(
            (now, m.id, INTERLOCK_RULE, "temperature", threshold, threshold, "stop")
        )
        if m.lot is not None:
            self.out["quarantine_log"].append(
                (now, m.lot.lot_id, m.id, f"interlock {INTERLOCK_RULE}: temperature > {threshold}")
            )
            self._abort_lot(m, "quarantined")
        self.stop(m.id, "INTERLOCK", self.rng.uniform(1200, 2700))

    def stop(self, machine: str, reason: str, duration: float | None = None) -> None:
        """Stop a machine (DOWN with ``reason``); ``duration`` None waits for ``resume``."""
        m = self.machines[machine]
        m.blocks["stop"] = reason
        self._refresh(m)
        if duration is not None:
            self.at(self.now + duration, lambda: self.resume(machine, reason))

    def resume(self, machine: str, reason: str | None = None) -> None:
        m = self.machines[machine]
        if reason is None or m.blocks.get("stop") == reason:
            m.blocks.pop("stop", None)
            self._refresh(m)

    def inject_fault(self, machine: str, fault: str, duration: float) -> Fault:
        """Chaos: machine_down, sensor_spike, efficiency_drop; a network_partition is only
        recorded here (the live publisher holds the messages)."""
        f = Fault(machine, fault, self.now, self.now + duration)
        self.faults.append(f)
        self.truth["chaos_fault"].append((machine, fault, f.start, f.end))
        if fault == "machine_down":
            self.stop(
                machine, "ELECTRICAL" if "ELECTRICAL" in self.reasons else "OPERATOR_STOP", duration
            )
        elif fault == "efficiency_drop":
            self._efficiency_factor[machine].append((f.start, f.end, 0.5))
        return f

    def _spc_injection(self, m: Machine, parameter: str) -> None:
        rng = self.rng
        kind = "shift" if rng.random() < 0.6 else "trend"
        size = float(rng.uniform(1.5, 3.0) if kind == "shift" else rng.uniform(2.0, 4.0))
        size *= 1 if rng.random() < 0.5 else -1
        duration = float(rng.uniform(6, 24) * 3600)
        self.spc_active[(m.id, parameter)].append((self.now, self.now + duration, kind, size))
        if self.now >= self.origin:
            self.truth["spc_shift"].append(
                (m.id, parameter, kind, self.now, self.now + duration, size)
            )
        self.at(
            self.now + duration + rng.exponential(SPC_EVERY_S),
            lambda: self._spc_injection(m, parameter),
        )

    def _spc_offset(self, machine: str, parameter: str, t: float) -> float:
        for start, end, kind, size in self.spc_active.get((machine, parameter), ()):
            if start <= t < end:
                return size if kind == "shift" else size * (t - start) / (end - start)
        return 0.0

    # --- lots ---------------------------------------------------------------------------------
    def _release(self) -> None:
        rng = self.rng
        self.at(self.now + rng.exponential(self.release_interval), self._release)
        product = self.plant.products[int(rng.integers(len(self.plant.products)))]
        day = _utc_day_code(self.now)
        self._lot_counter[day] += 1
        lot_id = f"L{day}{self._lot_counter[day]:04d}"
        hot = bool(rng.random() < 0.05)
        priority = 1 if hot else int(rng.choice([1, 2, 3, 3, 3, 4, 4, 5]))
        route = [(s.machine_type, self.recipes[s.recipe]) for s in product.route]
        ideal = sum(WAFERS_PER_LOT * r.process_time_s for _, r in route)
        xfactor = rng.uniform(1.5, 2.5) if hot else rng.uniform(3.0, 6.0)
        lot = Lot(
            lot_id,
            product.id,
            route,
            priority,
            hot,
            self.now,
            round(self.now + ideal * xfactor + 4 * 3600, 0),
        )
        self.lots[lot_id] = lot
        self._enqueue(lot)

    def _move(self, lot: Lot) -> None:
        mtype = lot.route[lot.step][0]
        lot.status = "moving"
        self.inbound[mtype] += 1
        self.at(self.now + self.rng.uniform(120, 600), lambda: self._arrive(lot))

    def _arrive(self, lot: Lot) -> None:
        self.inbound[lot.route[lot.step][0]] -= 1
        self._enqueue(lot)

    def _waiting(self, mtype: str) -> int:
        return len(self.queues[mtype]) + self.inbound[mtype]

    def _release_blocked(self, mtype: str) -> None:
        """Space freed in front of ``mtype``: blocked upstream machines hand their lots on."""
        while self.blocked[mtype] and self._waiting(mtype) < QUEUE_LIMIT:
            m = self.blocked[mtype].pop(0)
            lot, m.held = m.held, None
            self._move(lot)
            self._refresh(m)

    def _enqueue(self, lot: Lot) -> None:
        mtype = lot.route[lot.step][0]
        self.queues[mtype].append(lot)
        lot.status = "queued"
        idle = [m for m in self.by_type[mtype] if m.lot is None and m.state == ("IDLE", "STARVED")]
        if idle:  # the machine idle longest takes it
            self._dispatch_machine(min(idle, key=lambda m: (m.state_times[-1], m.index)))

    def _dispatch_machine(self, m: Machine) -> None:
        queue = self.queues[m.type]
        if not queue or m.lot is not None:
            return
        # hot lots first, then avoid a recipe-family change, then priority and due date
        lot = min(
            queue,
            key=lambda lot: (
                not lot.hot,
                lot.route[lot.step][1].family != m.last_family,
                *lot.sort_key()[1:],
            ),
        )
        queue.remove(lot)
        self._release_blocked(m.type)
        recipe = lot.route[lot.step][1]
        m.lot, m.recipe, m.track_in = lot, recipe, self.now
        lot.status = "in_process"
        setup = 0.0
        if m.last_family is not None and m.last_family != recipe.family:
            setup = self.setup_min.get((m.type, m.last_family, recipe.family), 0.0) * 60
        m.last_family = recipe.family
        if setup > 0:
            m.phase, m.remaining = "setup", setup
        else:
            m.phase, m.remaining = "process", self._process_time(m, recipe, lot)
        if self.now >= self.origin:
            self.out["lot_move"].append(
                (self.now, lot.lot_id, lot.step + 1, m.id, recipe.id, "track_in", len(lot.alive))
            )
        self._refresh(m)

    def _process_time(self, m: Machine, recipe: RecipeSpec, lot: Lot) -> float:
        spec = self.types[m.type]
        speed = 1 + spec.speed_loss * self.rng.uniform(0, 2)
        factor = 1.0
        for start, end, f in self._efficiency_factor.get(m.id, ()):
            if start <= self.now < end:
                factor = f
        return len(lot.alive) * recipe.process_time_s / m.efficiency * speed / factor

    def _work_done(self, m: Machine, token: int) -> None:
        if token != m.token or m.lot is None:
            return
        if m.phase == "setup":
            m.token += 1
            m.work_started = None
            m.phase, m.remaining = "process", self._process_time(m, m.recipe, m.lot)
            self._refresh(m)
            return
        self._track_out(m)

    def _track_out(self, m: Machine) -> None:
        lot, recipe, now = m.lot, m.recipe, self.now
        spec = self.types[m.type]
        n = len(lot.alive)
        scrap = int(self.rng.binomial(n, spec.scrap_rate)) if n else 0
        scrapped: set[int] = set()
        if scrap:
            scrapped = set(self.rng.choice(lot.alive, size=scrap, replace=False).tolist())
        lot.alive = [s for s in lot.alive if s not in scrapped]
        good = n - scrap
        step_no = lot.step + 1
        m.part_count += n
        m.good_count += good
        m.scrap_count += scrap
        m.last_cycle_s = (now - m.track_in) / max(n, 1)
        m.runs.append((m.track_in, now, recipe.id))
        if now >= self.origin:
            seq = m.next_seq()
            self.out["lot_move"].append(
                (now, lot.lot_id, step_no, m.id, recipe.id, "track_out", good)
            )
            self.out["production_count"].append((now, m.id, lot.lot_id, step_no, good, scrap, seq))
            self.truth["count"].append((m.id, now, lot.lot_id, step_no, good, scrap))
            self._measure(m, lot, recipe, now)
            if m.type == "INSP" or lot.step == len(lot.route) - 1:
                self._inspect(m, lot, step_no, now)
        m.lot, m.recipe, m.phase, m.work_started = None, None, None, None
        m.token += 1
        lot.step += 1
        if lot.step >= len(lot.route):
            lot.status = "completed"
            if now >= self.origin:
                self._sort(lot, now)
        elif self._waiting(lot.route[lot.step][0]) >= QUEUE_LIMIT:
            lot.status = "blocked"
            m.held = lot
            self.blocked[lot.route[lot.step][0]].append(m)
        else:
            self._move(lot)
        self._refresh(m)
        if m.state == ("IDLE", "STARVED"):
            self._dispatch_machine(m)

    def _abort_lot(self, m: Machine, status: str) -> None:
        lot = m.lot
        lot.status = status
        m.runs.append((m.track_in, self.now, m.recipe.id))
        m.lot, m.recipe, m.phase, m.work_started = None, None, None, None
        m.token += 1

    def _measure(self, m: Machine, lot: Lot, recipe: RecipeSpec, now: float) -> None:
        params = [p for p in recipe.setpoints if p in self._parameters(m.type)]
        if not params or not lot.alive:
            return
        rng = self.rng
        for p in params:
            target = recipe.setpoints[p]
            sigma = 0.01 * abs(target) or 0.01
            shift = self._spc_offset(m.id, p, now) + self.machine_offset[(m.id, p)]
            lot_effect = rng.normal(0, 0.5)
            values = target + sigma * (shift + lot_effect + rng.normal(0, 0.85, len(lot.alive)))
            for slot, v in zip(lot.alive, values, strict=True):
                self.out["process_measurement"].append(
                    (
                        now,
                        m.id,
                        lot.lot_id,
                        make_wafer_id(lot.lot_id, slot),
                        recipe.id,
                        p,
                        round(float(v), 4),
                    )
                )

    def _inspect(self, m: Machine, lot: Lot, step_no: int, now: float) -> None:
        if not lot.alive:
            return
        k = min(INSPECTED_WAFERS_PER_LOT, len(lot.alive))
        slots = sorted(self.rng.choice(lot.alive, size=k, replace=False).tolist())
        for slot in slots:
            wafer_id = make_wafer_id(lot.lot_id, slot)
            inspection_id = f"I{lot.lot_id}{slot:02d}S{step_no}"
            signature, defects = self.maps.generate(inspection_id)
            self.out["inspection"].append(
                (now, inspection_id, m.id, lot.lot_id, wafer_id, step_no, len(defects))
            )
            for d in defects:
                self.out["defect"].append((now, inspection_id, *d[:1], wafer_id, *d[1:]))
            self.truth["wafer_map"].append(
                (inspection_id, wafer_id, m.id, now, signature, len(defects))
            )
            self.inspected[wafer_id] = (signature, defects)

    def _sort(self, lot: Lot, now: float) -> None:
        """Wafer sort of a finished lot: a bin map per wafer, its signature as truth."""
        for slot in lot.alive:
            wafer_id = make_wafer_id(lot.lot_id, slot)
            result = self.sorter.bin_map(lot.product, wafer_id, self.inspected.pop(wafer_id, None))
            if result is None:
                continue
            signature, bins = result
            self.sort_out.append((now, lot.lot_id, wafer_id, lot.product, signature, bins))
            self.truth["sort_map"].append((wafer_id, now, signature, int((bins == 2).sum())))

    def drain_sort(self) -> list[tuple]:
        """Sort maps produced since the last call."""
        out, self.sort_out = self.sort_out, []
        return out

    # --- sensors: the deterministic level (noise is added by sensors.py) ----------------------
    def sensor_level(self, m: Machine, metric: str, t: float) -> float:
        """Noise-free value of ``metric`` at ``t`` while running (setpoint + drift + wear)."""
        spec = self.types[m.type].sensors[metric]
        level = spec.setpoint
        for start, end, rid in reversed(m.runs[-3:]):
            if start <= t < end and metric in self.recipes[rid].setpoints:
                level = self.recipes[rid].setpoints[metric]
        if m.lot is not None and metric in (m.recipe.setpoints if m.recipe else {}):
            level = m.recipe.setpoints[metric]
        level += spec.drift_per_day * (t - self.origin) / 86400
        for c in m.wear:
            if c.onset <= t < c.failed:
                level += spec.wear_gain * min(1.0, (t - c.onset) / (c.planned - c.onset)) ** 2
        return level

    def drain(self, upto: float) -> dict[str, list[tuple]]:
        """Landing rows produced since the last drain, with state events before ``upto``."""
        rows, self.out = self.out, defaultdict(list)
        for m in self.machines.values():
            i = m.emitted
            while i < len(m.state_times) and m.state_times[i] < upto:
                t, (state, reason) = m.state_times[i], m.state_codes[i]
                i += 1
                if t < self.origin:
                    # the state held at the origin opens the history as an event there
                    if i < len(m.state_times) and m.state_times[i] <= self.origin:
                        continue
                    if upto <= self.origin:
                        i -= 1
                        break
                    t = self.origin
                rows["machine_state"].append((t, m.id, state, reason, m.next_seq()))
                if state == "DOWN":
                    text = self.reasons[reason].description if reason in self.reasons else reason
                    rows["alarm"].append(
                        (t, m.id, reason, 5 if reason == "INTERLOCK" else 4, text, m.next_seq())
                    )
            m.emitted = i
        return rows


def _utc_day_code(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).strftime("%y%m%d")
