"""What a GEM message means for the landing zone: rows, or a dead letter with the reason.

Plain functions over decoded message bodies (``SecsStreamFunction.get()``), no I/O, so each
rule is testable alone. Every reject is ``"<kind>: <detail>"`` like the MQTT validator's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingestion.plant import GemToolSpec

STATES = {"RUNNING", "IDLE", "SETUP", "DOWN", "MAINTENANCE", "OFFLINE"}


@dataclass
class Decoded:
    rows: dict[str, list[tuple]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # dead-letter reasons
    machine_ts: list[float] = field(default_factory=list)

    def add(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)


def parse_time(value: object) -> datetime:
    """E5 TIME: extended ISO 8601 with zone, or 16 characters YYYYMMDDhhmmsscc (UTC)."""
    if not isinstance(value, str):
        raise ValueError(f"STIME: expected text, got {value!r}")
    text = value.strip()
    if len(text) == 16 and text.isdigit():
        return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(
            tzinfo=UTC, microsecond=int(text[14:]) * 10_000
        )
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone")
    return parsed


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class ToolMap:
    """One tool's maps, plus the reports the host defined on it (RPTID -> DVIDs)."""

    def __init__(self, spec: GemToolSpec) -> None:
        self.spec = spec
        self.machine = spec.machine
        self.reports: dict[int, list[int]] = {}
        self.trace_svids: list[int] = list(spec.svids)
        self._dv_name = {dvid: name for name, dvid in spec.dvids.items()}

    def _reading(self, out: Decoded, svid: int, raw: object, ts: datetime, where: str) -> None:
        spec = self.spec.svids.get(svid)
        if spec is None:
            out.errors.append(f"unknown_svid: {where}: SVID {svid} is not in the map")
            return
        value = _number(raw)
        if value is None:
            kind = "a list" if isinstance(raw, list) else repr(raw)[:60]
            out.errors.append(f"wrong_type: {where}: SVID {svid} expected a number, got {kind}")
            return
        if not math.isfinite(value):
            out.errors.append(f"non_finite: {where}: SVID {svid} is {value}")
            return
        if (spec.min is not None and value < spec.min) or (
            spec.max is not None and value > spec.max
        ):
            out.errors.append(
                f"out_of_range: {where}: SVID {svid} ({spec.metric}) {value:g} outside "
                f"[{spec.min}, {spec.max}]"
            )
            return
        out.add("sensor_reading", (ts, self.machine, spec.metric, value, 0))
        out.machine_ts.append(ts.timestamp())

    def trace(self, body: dict) -> Decoded:
        """S6F1: one sample of the traced SVIDs, in the order S2F23 named them."""
        out = Decoded()
        try:
            ts = parse_time(body.get("STIME"))
        except ValueError as exc:
            out.errors.append(f"bad_timestamp: S6F1 {exc}")
            return out
        values = body.get("SV")
        if not isinstance(values, list) or len(values) != len(self.trace_svids):
            out.errors.append(
                f"wrong_type: S6F1 SV has {len(values) if isinstance(values, list) else values!r}"
                f" values, the trace has {len(self.trace_svids)} SVIDs"
            )
            return out
        for i, (svid, raw) in enumerate(zip(self.trace_svids, values, strict=True)):
            self._reading(out, svid, raw, ts, f"S6F1 SV[{i}]")
        return out

    def poll(self, svids: list[int], values: list, ts: datetime) -> Decoded:
        """S1F4: the polled SVIDs' values, stamped with the poll time (equipment clock)."""
        out = Decoded()
        if not isinstance(values, list) or len(values) != len(svids):
            got = len(values) if isinstance(values, list) else repr(values)[:60]
            out.errors.append(f"wrong_type: S1F4 has {got} values for {len(svids)} SVIDs")
            return out
        for i, (svid, raw) in enumerate(zip(svids, values, strict=True)):
            self._reading(out, svid, raw, ts, f"S1F4 SV[{i}]")
        return out

    def event(self, body: dict) -> Decoded:
        """S6F11: a collection event with its reports -> a state change or an alarm."""
        out = Decoded()
        ceid = body.get("CEID")
        kind = self.spec.ceids.get(ceid) if isinstance(ceid, int) else None
        if kind is None:
            out.errors.append(f"unknown_ceid: S6F11 CEID {ceid!r} is not in the map")
            return out
        values: dict[str, object] = {}
        for report in body.get("RPT") or []:
            rptid = report.get("RPTID")
            dvids = self.reports.get(rptid)
            if dvids is None:
                out.errors.append(f"undefined_report: S6F11 RPTID {rptid!r} was never defined")
                return out
            got = report.get("V") or []
            if len(got) != len(dvids):
                out.errors.append(
                    f"wrong_type: S6F11 RPTID {rptid} has {len(got)} values for {len(dvids)} DVs"
                )
                return out
            for dvid, value in zip(dvids, got, strict=True):
                values[self._dv_name.get(dvid, str(dvid))] = value
        try:
            ts = parse_time(values.get("time"))
        except ValueError as exc:
            out.errors.append(f"bad_timestamp: S6F11 CEID {ceid}: {exc}")
            return out
        seq = values.get("seq")
        seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
        if kind == "state_changed":
            state, reason = values.get("state"), values.get("reason")
            if state not in STATES:
                out.errors.append(f"unknown_state: S6F11 CEID {ceid}: state {state!r}")
                return out
            out.add("machine_state", (ts, self.machine, state, str(reason or "GEM"), seq))
        else:
            alid = values.get("alid")
            alarm = self.spec.alarms.get(alid) if isinstance(alid, int) else None
            if alarm is None:
                out.errors.append(f"unknown_alid: S6F11 CEID {ceid}: ALID {alid!r} not in map")
                return out
            out.add("alarm", (ts, self.machine, alarm.code, alarm.severity, alarm.text or "", seq))
        out.machine_ts.append(ts.timestamp())
        return out

    def alarm_report(self, body: dict) -> str | None:
        """S5F1 (the alarm lands from its collection event, which carries the time): a reason
        when the ALID is not in the map."""
        alid = body.get("ALID")
        if not isinstance(alid, int) or alid not in self.spec.alarms:
            return f"unknown_alid: S5F1 ALID {alid!r} is not in the map"
        return None
