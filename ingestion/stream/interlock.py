"""In-stream safety interlocks: rule matching, excursion debounce and the lot in process."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ingestion.stream.config import InterlockConfig, InterlockRule
from ingestion.stream.machines import MachineInfo

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True, slots=True)
class Trip:
    """One interlock firing: what to stop, what to record."""

    rule: InterlockRule
    machine_id: str
    ts: datetime
    value: float
    lot_id: str | None

    @property
    def reason(self) -> str:
        r = self.rule
        return f"interlock {r.id}: {r.metric} {self.value:g} {r.op} {r.threshold:g}"

    def interlock_row(self) -> tuple:
        r = self.rule
        return (self.ts, self.machine_id, r.id, r.metric, self.value, r.threshold, r.action)

    def quarantine_row(self) -> tuple | None:
        if self.lot_id is None:
            return None
        return (self.ts, self.lot_id, self.machine_id, self.reason)


class LotTracker:
    """Which lot each machine is working on, from the count/lot_move stream.

    A count message is a track-out; with ``track_in_ts`` it also tells when the lot came in.
    The lot in process is the last lot seen on the machine (the one exposed to the excursion).
    """

    def __init__(self, seed: Mapping[str, str] | None = None) -> None:
        self._lot: dict[str, tuple[datetime | None, str]] = {
            m: (None, lot) for m, lot in (seed or {}).items()
        }

    def observe(self, machine_id: str, lot_id: str, ts: datetime) -> None:
        known = self._lot.get(machine_id)
        if known is None or known[0] is None or ts >= known[0]:
            self._lot[machine_id] = (ts, lot_id)

    def lot_in_process(self, machine_id: str) -> str | None:
        known = self._lot.get(machine_id)
        return known[1] if known else None


class InterlockEngine:
    """Evaluates readings against the configured rules; one trip per excursion."""

    def __init__(
        self,
        config: InterlockConfig,
        machines: Mapping[str, MachineInfo],
        lots: LotTracker | None = None,
    ) -> None:
        self.lots = lots or LotTracker()
        # (machine, metric) -> rules, resolved once so the hot path is a dict lookup.
        self._rules: dict[tuple[str, str], list[InterlockRule]] = {}
        for rule in config.rules:
            for m in machines.values():
                if m.machine_id in rule.machines or m.machine_type == rule.machine_type:
                    self._rules.setdefault((m.machine_id, rule.metric), []).append(rule)
        self._metrics = {metric for _m, metric in self._rules}
        self._in_excursion: set[tuple[str, str]] = set()
        self._last_trip: dict[tuple[str, str], datetime] = {}

    @property
    def watched_metrics(self) -> set[str]:
        return self._metrics

    def check(self, machine_id: str, metric: str, value: float, ts: datetime) -> list[Trip]:
        rules = self._rules.get((machine_id, metric))
        if not rules:
            return []
        trips: list[Trip] = []
        for rule in rules:
            key = (machine_id, rule.id)
            compare = _OPS[rule.op]
            if compare(value, rule.threshold):
                if key in self._in_excursion:
                    continue
                last = self._last_trip.get(key)
                if last is not None and (ts - last).total_seconds() < rule.cooldown_s:
                    continue
                self._in_excursion.add(key)
                self._last_trip[key] = ts
                lot = self.lots.lot_in_process(machine_id)
                trips.append(Trip(rule, machine_id, ts, value, lot))
            elif key in self._in_excursion:
                # Re-arm only once the value is back inside the margin (hysteresis).
                margin = rule.rearm_margin if rule.op in (">", ">=") else -rule.rearm_margin
                if not compare(value, rule.threshold - margin):
                    self._in_excursion.discard(key)
        return trips
