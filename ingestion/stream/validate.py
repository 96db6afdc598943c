"""Turn one raw MQTT message into a validated payload, or a dead-letter reason.

Every rejection is ``"<kind>: <detail>"`` where ``kind`` is one of ``REJECT_KINDS``, so the
dead-letter table can be grouped by kind and the detail names the field and the value.
Validation never raises: whatever arrives is either accepted or rejected with a reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from pydantic import BaseModel, ValidationError

from ingestion.payloads import (
    CHANNELS,
    FUTURE_TOLERANCE,
    INT8_MAX,
    MAX_METRIC_CHARS,
    MAX_PAYLOAD_BYTES,
    MAX_READINGS,
    PAYLOAD_MODELS,
    QUALITY_RANGE,
    CountPayload,
    InspectionPayload,
    TelemetryPayload,
    to_datetime,
)

REJECT_KINDS = (
    "bad_topic",
    "unknown_channel",
    "oversize",
    "empty_payload",
    "not_utf8",
    "malformed_json",
    "not_an_object",
    "missing_field",
    "extra_field",
    "wrong_type",
    "bad_timestamp",
    "future_timestamp",
    "expired_timestamp",
    "unknown_machine",
    "area_mismatch",
    "negative_count",
    "negative_seq",
    "non_finite",
    "out_of_range",
    "unknown_state",
    "invalid_wafer_id",
    "invalid_lot_id",
    "wafer_lot_mismatch",
    "empty_readings",
    "too_many_readings",
    "duplicate_defect_no",
    "track_in_after_track_out",
    "invalid_value",
    "string_as_number",
    "bool_as_number",
    "null_value",
    "integer_overflow",
    "bad_quality",
    "bad_severity",
    "off_wafer",
    "bad_defect_size",
    "empty_string",
    "string_too_long",
    "bad_step_no",
    "naive_timestamp",
    "timestamp_out_of_range",
    "unknown_metric",
    "implausible_value",
    "duplicate_reading",
    "nul_character",
    # filed by the committer, not the validator
    "conflicting_duplicate",
    "db_refused",
)

# Bound on any reading or measurement value with no plant limits: beyond every physical unit
# the fab uses (Pa, W, sccm, nm...), so 1e308 or a 30-digit integer is refused by name.
PHYSICAL_BOUND = 1e12

_TOPIC = re.compile(r"^fab/v1/([^/+#]+)/([^/+#]+)/([^/+#]+)/([^/+#]+)$")
_SHOW = 80  # characters of an offending value quoted in a reason


@dataclass(slots=True, frozen=True)
class Telemetry:
    """An accepted telemetry message as landing needs it: plain tuples, no object per reading
    (a message carries up to 10,000 readings)."""

    ts: datetime
    seq: int
    readings: list[tuple[str, float, datetime | None, int]]  # metric, value, ts, quality

    @classmethod
    def of(cls, p: TelemetryPayload) -> Telemetry:
        return cls(p.ts, p.seq, [(r.metric, r.value, r.ts, r.quality) for r in p.readings])


@dataclass(slots=True, frozen=True)
class Accepted:
    channel: str
    machine_id: str
    payload: BaseModel | Telemetry


@dataclass(slots=True, frozen=True)
class Rejected:
    kind: str
    detail: str

    @property
    def error(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(slots=True, frozen=True)
class Ignored:
    """Not landing data (our own outbound commands on ``.../command``)."""

    reason: str


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."


_NUMBER_TYPES = {"float_type", "int_type", "float_parsing", "int_parsing"}
_RANGE_TYPES = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_FIELD_RANGE_KINDS = {
    "quality": "bad_quality",
    "severity": "bad_severity",
    "x_mm": "off_wafer",
    "y_mm": "off_wafer",
    "size_um": "bad_defect_size",
    "step_no": "bad_step_no",
}


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _kind_of(error: dict) -> str:
    """Map one pydantic error to a reject kind."""
    etype = error["type"]
    loc = [str(p) for p in error["loc"]]
    field = loc[-1] if loc else ""
    msg = str(error.get("msg", ""))
    given = error.get("input")
    if etype == "missing":
        return "missing_field"
    if etype == "extra_forbidden":
        return "extra_field"
    if etype == "model_type" and not loc:
        return "not_an_object"
    if etype == "json_invalid":
        return "malformed_json"
    if etype == "finite_number":
        return "non_finite"
    if etype in _NUMBER_TYPES:
        if given is None:
            return "null_value"
        if isinstance(given, bool):
            return "bool_as_number"
        if isinstance(given, str) and _numeric(given):
            return "string_as_number"
        return "wrong_type"
    if etype == "literal_error" and field == "state":
        return "unknown_state"
    if etype == "string_pattern_mismatch" and field == "lot_id":
        return "invalid_lot_id"
    if etype == "value_error":
        if "wafer_id" in msg:
            return "invalid_wafer_id"
        if "outside the datetime range" in msg:
            return "timestamp_out_of_range"
        if "needs a UTC offset" in msg:
            return "naive_timestamp"
        if "timestamp" in msg or "RFC 3339" in msg:
            return "bad_timestamp"
        if "defect_no repeats" in msg:
            return "duplicate_defect_no"
        return "invalid_value"
    if field == "readings" and etype == "too_short":
        return "empty_readings"
    if field == "readings" and etype == "too_long":
        return "too_many_readings"
    if etype == "string_too_short":
        return "empty_string"
    if etype == "string_too_long":
        return "string_too_long"
    if etype in _RANGE_TYPES:
        if field in _FIELD_RANGE_KINDS:
            return _FIELD_RANGE_KINDS[field]
        below = etype.startswith("greater")
        if below and field in {"good", "scrap"}:
            return "negative_count"
        if below and field == "seq":
            return "negative_seq"
        return "out_of_range" if below else "integer_overflow"
    if etype in {"too_short", "too_long", "literal_error", "string_pattern_mismatch"}:
        return "out_of_range"
    return "wrong_type"


_TELEMETRY_KEYS = {"ts", "seq", "readings"}
_READING_KEYS = {"metric", "value", "ts", "quality"}
_EXACT_FLOAT_INT = 1 << 53


def _stamp(value: object) -> datetime:
    if type(value) not in (int, float, str):  # bool, null, objects: pydantic names the error
        raise ValueError(value)
    return to_datetime(value)  # what the payload models' Timestamp does


def fast_telemetry(payload: bytes) -> Telemetry | None:
    """The common, well-formed telemetry message without pydantic (about half the CPU, and no
    object per reading). Anything unusual returns None and ``TelemetryPayload`` decides: this
    only accepts what the model accepts, with the same values (tests/unit compares the two)."""
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or obj.keys() != _TELEMETRY_KEYS:
        return None
    seq, readings = obj["seq"], obj["readings"]
    if type(seq) is not int or not 0 <= seq <= INT8_MAX or type(readings) is not list:
        return None
    if not 0 < len(readings) <= MAX_READINGS:
        return None
    out: list[tuple[str, float, datetime | None, int]] = []
    append = out.append
    try:
        ts = _stamp(obj["ts"])
        for r in readings:
            if type(r) is not dict:
                return None
            metric, value = r.get("metric"), r.get("value")
            if type(metric) is not str or not 0 < len(metric) <= MAX_METRIC_CHARS:
                return None
            if type(value) is float:
                if not math.isfinite(value):
                    return None
            elif type(value) is int and -_EXACT_FLOAT_INT <= value <= _EXACT_FLOAT_INT:
                value = float(value)
            else:
                return None
            if len(r) == 2:
                append((metric, value, None, 0))
                continue
            if not r.keys() <= _READING_KEYS:
                return None
            quality, rts = r.get("quality", 0), r.get("ts")
            if type(quality) is not int or not QUALITY_RANGE[0] <= quality <= QUALITY_RANGE[1]:
                return None
            append((metric, value, None if rts is None else _stamp(rts), quality))
    except (ValueError, OverflowError, OSError):  # a timestamp to_datetime refuses
        return None
    return Telemetry(ts, seq, out)


def _holds_nul(payload: bytes) -> bool:
    """Whether a string of the JSON holds U+0000 (malformed JSON is left to the model)."""
    try:
        return _nul_in(orjson.loads(payload))
    except orjson.JSONDecodeError:
        return False


def _nul_in(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_nul_in(k) or _nul_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_in(v) for v in value)
    return False


def _rejection(exc: ValidationError) -> Rejected:
    error = exc.errors(include_url=False)[0]
    path = ".".join(str(p) for p in error["loc"]) or "payload"
    msg = str(error.get("msg", "")).removeprefix("Value error, ")
    kind = _kind_of(error)
    if kind == "malformed_json":
        return Rejected(kind, msg)
    shown = "" if kind == "missing_field" else f" (got {_show(error.get('input'))})"
    return Rejected(kind, f"{path}: {msg}{shown}")


class MessageValidator:
    """Checks topic, size, JSON, schema, machine and time window of each message.

    ``machines`` maps machine_id -> area_id (from ``landing.machine``); ``now`` is passed in so
    a replay judges the time window as of the moment the message arrived. ``metrics`` maps
    machine_id -> metric -> plausible (low, high) (``machines.load_metric_bounds``): a machine
    listed there accepts only those metrics; any other machine accepts any metric name within
    ``PHYSICAL_BOUND``.
    """

    def __init__(
        self,
        machines: Mapping[str, str],
        retention_days: int = 90,
        max_bytes: int = MAX_PAYLOAD_BYTES,
        metrics: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
    ) -> None:
        self.machines = dict(machines)
        self.metrics = {m: dict(b) for m, b in (metrics or {}).items()}
        self.retention = timedelta(days=retention_days)
        self.retention_days = retention_days
        self.max_bytes = max_bytes

    def check(self, topic: str, payload: bytes, now: datetime) -> Accepted | Rejected | Ignored:
        match = _TOPIC.match(topic)
        if not match:
            return Rejected(
                "bad_topic", f"not fab/v1/{{site}}/{{area}}/{{machine}}/{{channel}}: {_show(topic)}"
            )
        _site, area, machine, channel = match.groups()
        if channel not in CHANNELS:
            return Rejected("unknown_channel", f"channel {channel!r} not one of {CHANNELS}")
        if channel == "command":
            return Ignored("outbound command")
        if len(payload) > self.max_bytes:
            return Rejected("oversize", f"payload is {len(payload)} bytes, limit {self.max_bytes}")
        if not payload.strip():
            return Rejected("empty_payload", "payload is empty")
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejected("not_utf8", f"byte {exc.start} is not UTF-8")
        if machine not in self.machines:
            return Rejected(
                "unknown_machine", f"machine {_show(machine)} is not in landing.machine"
            )
        if self.machines[machine] != area:
            return Rejected(
                "area_mismatch",
                f"machine {machine} is in area {self.machines[machine]!r}, topic says {area!r}",
            )
        if b"\\u0000" in payload and _holds_nul(payload):
            return Rejected(
                "nul_character", "a string holds U+0000, which PostgreSQL text cannot store"
            )
        model = fast_telemetry(payload) if channel == "telemetry" else None
        if model is None:
            try:
                model = PAYLOAD_MODELS[channel].model_validate_json(payload)
            except ValidationError as exc:
                return _rejection(exc)
            if isinstance(model, TelemetryPayload):
                model = Telemetry.of(model)
        reason = self._semantic(model, now)
        if reason is None and isinstance(model, Telemetry):
            reason = self._readings(machine, model)
        if reason:
            return reason
        return Accepted(channel, machine, model)

    def _readings(self, machine: str, model: Telemetry) -> Rejected | None:
        """Known metric names, plausible values, one reading per metric and time."""
        known = self.metrics.get(machine)
        for i, (metric, value, _ts, _quality) in enumerate(model.readings):
            if known is None:
                low, high = -PHYSICAL_BOUND, PHYSICAL_BOUND
            elif metric in known:
                low, high = known[metric]
            else:
                return Rejected(
                    "unknown_metric",
                    f"readings.{i}.metric: {_show(metric)} is not a metric of {machine} "
                    "in landing.machine_metric_limit",
                )
            if not low <= value <= high:
                return Rejected(
                    "implausible_value",
                    f"readings.{i}.value: {value!r} for {metric} is outside the plausible "
                    f"range [{low:g}, {high:g}]",
                )
        keys = {(metric, ts) for metric, _v, ts, _q in model.readings}
        if len(keys) != len(model.readings):
            seen: set = set()
            for i, (metric, _v, ts, _q) in enumerate(model.readings):
                if (metric, ts) in seen:
                    return Rejected(
                        "duplicate_reading",
                        f"readings.{i}: {_show(metric)} appears twice at the same time",
                    )
                seen.add((metric, ts))
        return None

    def _window(self, field: str, ts: datetime | None, now: datetime) -> Rejected | None:
        if ts is None:
            return None
        if ts > now + FUTURE_TOLERANCE:
            return Rejected(
                "future_timestamp",
                f"{field}: {ts.isoformat()} is more than 5 minutes "
                f"ahead of arrival {now.isoformat()}",
            )
        if ts < now - self.retention:
            return Rejected(
                "expired_timestamp",
                f"{field}: {ts.isoformat()} is older than the {self.retention_days}-day retention",
            )
        return None

    def _semantic(self, model: BaseModel | Telemetry, now: datetime) -> Rejected | None:
        bad = self._window("ts", model.ts, now)
        if bad:
            return bad
        if isinstance(model, Telemetry):
            for i, (_metric, _value, ts, _quality) in enumerate(model.readings):
                if ts is not None:
                    bad = self._window(f"readings.{i}.ts", ts, now)
                    if bad:
                        return bad
        elif isinstance(model, CountPayload):
            for i, m in enumerate(model.measurements):
                if not -PHYSICAL_BOUND <= m.value <= PHYSICAL_BOUND:
                    return Rejected(
                        "implausible_value",
                        f"measurements.{i}.value: {m.value!r} is beyond ±{PHYSICAL_BOUND:g}",
                    )
            if model.track_in_ts is not None:
                bad = self._window("track_in_ts", model.track_in_ts, now)
                if bad:
                    return bad
                if model.track_in_ts > model.ts:
                    return Rejected(
                        "track_in_after_track_out",
                        f"track_in_ts {model.track_in_ts.isoformat()} is after "
                        f"ts {model.ts.isoformat()}",
                    )
            for i, m in enumerate(model.measurements):
                if not m.wafer_id.startswith(model.lot_id + "-"):
                    return Rejected(
                        "wafer_lot_mismatch",
                        f"measurements.{i}.wafer_id {m.wafer_id!r} is not of lot {model.lot_id}",
                    )
        elif isinstance(model, InspectionPayload) and not model.wafer_id.startswith(
            model.lot_id + "-"
        ):
            return Rejected(
                "wafer_lot_mismatch", f"wafer_id {model.wafer_id!r} is not of lot {model.lot_id}"
            )
        return None
