"""The MQTT wire contract: topics, per-channel payload models and the wafer-id format.

Topic: ``fab/v1/{site}/{area}/{machine}/{channel}``. Payloads are JSON objects with the
machine's own timestamp ``ts`` (RFC 3339 with offset, or epoch milliseconds) and a per-machine
sequence number ``seq``. The simulator publishes these models; the ingestors validate them.

Wafer ids: ``{lot_id}-{slot:02d}{check}`` where ``lot_id`` is 4-20 of ``[A-Z0-9]``, slot 01-25,
and ``check`` is the Luhn mod 36 check character over ``lot_id + slot`` (alphabet 0-9A-Z).
Example: ``make_wafer_id("L2611210001", 7)``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from fabstack.calendar import NaiveTime, parse_instant

TOPIC_PREFIX = "fab/v1"
CHANNELS = ("telemetry", "state", "count", "alarm", "inspection", "command")
Channel = Literal["telemetry", "state", "count", "alarm", "inspection", "command"]
MAX_PAYLOAD_BYTES = 256 * 1024
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_READINGS = 10_000  # per telemetry message
MAX_METRIC_CHARS = 64
QUALITY_RANGE = (-(1 << 31), (1 << 31) - 1)  # sensor_reading.quality is int4
INT4_MAX = (1 << 31) - 1  # integer columns (step_no, counts, defect_no)
INT8_MAX = (1 << 63) - 1  # bigint columns (seq)

_TOPIC = re.compile(
    r"^fab/v1/(?P<site>[^/]+)/(?P<area>[^/]+)/(?P<machine>[^/]+)/(?P<channel>[^/]+)$"
)


def topic_for(site: str, area: str, machine: str, channel: Channel) -> str:
    return f"{TOPIC_PREFIX}/{site}/{area}/{machine}/{channel}"


def parse_topic(topic: str) -> tuple[str, str, str, str]:
    """(site, area, machine, channel) or ValueError naming the topic."""
    match = _TOPIC.match(topic)
    if not match or match["channel"] not in CHANNELS:
        raise ValueError(f"topic: not fab/v1/{{site}}/{{area}}/{{machine}}/{{channel}}: {topic!r}")
    return match["site"], match["area"], match["machine"], match["channel"]


# --- timestamps -------------------------------------------------------------------------------


def to_datetime(value: object) -> object:
    """Epoch milliseconds (int/float) or RFC 3339 with an offset; naive times are refused."""
    if isinstance(value, bool):
        raise ValueError(f"expected RFC 3339 or epoch ms, got {value!r}")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000.0, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"epoch ms {value!r} is outside the datetime range") from None
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except NaiveTime:
            raise ValueError(f"timestamp needs a UTC offset, got {value!r}") from None
        except ValueError:
            raise ValueError(f"expected RFC 3339 or epoch ms, got {value!r}") from None
    if isinstance(value, datetime):
        return value
    raise ValueError(f"expected RFC 3339 or epoch ms, got {value!r}")


Timestamp = Annotated[datetime, BeforeValidator(to_datetime)]


# --- wafer ids -------------------------------------------------------------------------------

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WAFER = re.compile(r"^(?P<lot>[A-Z0-9]{4,20})-(?P<slot>\d{2})(?P<check>[0-9A-Z])$")


def wafer_check_char(body: str) -> str:
    """Luhn mod 36 check character over ``body`` (characters of 0-9A-Z)."""
    n = len(_ALPHABET)
    total, factor = 0, 2
    for ch in reversed(body):
        addend = factor * _ALPHABET.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return _ALPHABET[(n - total % n) % n]


def make_wafer_id(lot_id: str, slot: int) -> str:
    if not 1 <= slot <= 25:
        raise ValueError(f"slot: must be 1-25, got {slot}")
    body = f"{lot_id}{slot:02d}"
    return f"{lot_id}-{slot:02d}{wafer_check_char(body)}"


def validate_wafer_id(wafer_id: str) -> str:
    match = _WAFER.match(wafer_id)
    if not match:
        raise ValueError(f"wafer_id: not LOT-NNC format: {wafer_id!r}")
    slot = int(match["slot"])
    if not 1 <= slot <= 25:
        raise ValueError(f"wafer_id: slot {slot} outside 1-25 in {wafer_id!r}")
    if wafer_check_char(match["lot"] + match["slot"]) != match["check"]:
        raise ValueError(f"wafer_id: bad check character in {wafer_id!r}")
    return wafer_id


WaferId = Annotated[str, BeforeValidator(lambda v: validate_wafer_id(str(v)))]


# --- payloads -------------------------------------------------------------------------------


class _Payload(BaseModel):
    # strict: "77", "12.5" and true are not numbers, 1.0 is not a seq (JSON ints still fill floats)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Reading(_Payload):
    metric: str = Field(min_length=1, max_length=MAX_METRIC_CHARS)
    value: float = Field(allow_inf_nan=False)
    ts: Timestamp | None = None  # defaults to the message's ts
    quality: int = Field(0, ge=QUALITY_RANGE[0], le=QUALITY_RANGE[1])  # OPC UA status; 0 = Good


class TelemetryPayload(_Payload):
    """Many readings in one message (the simulator sends one per machine per second)."""

    ts: Timestamp
    seq: int = Field(ge=0, le=INT8_MAX)
    readings: list[Reading] = Field(min_length=1, max_length=MAX_READINGS)


class StatePayload(_Payload):
    ts: Timestamp
    seq: int = Field(ge=0, le=INT8_MAX)
    state: Literal["RUNNING", "IDLE", "SETUP", "DOWN", "MAINTENANCE", "OFFLINE"]
    reason_code: str = Field(min_length=1)


class Measurement(_Payload):
    wafer_id: WaferId
    parameter: str = Field(min_length=1)  # e.g. critical_dimension_nm, film_thickness_nm
    value: float = Field(allow_inf_nan=False)


class CountPayload(_Payload):
    """A lot step finished on the machine (track-out): counts, and per-wafer measurements."""

    ts: Timestamp
    seq: int = Field(ge=0, le=INT8_MAX)
    lot_id: str = Field(pattern=r"^[A-Z0-9]{4,20}$")
    step_no: int = Field(ge=1, le=INT4_MAX)
    recipe_id: str
    good: int = Field(ge=0, le=INT4_MAX)
    scrap: int = Field(ge=0, le=INT4_MAX)
    track_in_ts: Timestamp | None = None
    measurements: list[Measurement] = []


class AlarmPayload(_Payload):
    ts: Timestamp
    seq: int = Field(ge=0, le=INT8_MAX)
    alarm_code: str = Field(min_length=1)
    severity: int = Field(ge=1, le=5)
    message: str = ""


class DefectPayload(_Payload):
    defect_no: int = Field(ge=1, le=INT4_MAX)
    x_mm: float = Field(ge=-150, le=150)
    y_mm: float = Field(ge=-150, le=150)
    size_um: float = Field(gt=0, le=300_000)  # at most the wafer
    defect_type: str
    sem_image_ref: str | None = None
    edx_spectrum: dict | None = None  # {"elements": [...], "peaks_kev": [...]}


class InspectionPayload(_Payload):
    ts: Timestamp
    seq: int = Field(ge=0, le=INT8_MAX)
    inspection_id: str = Field(min_length=1)
    lot_id: str = Field(pattern=r"^[A-Z0-9]{4,20}$")
    wafer_id: WaferId
    step_no: int | None = Field(None, ge=1, le=INT4_MAX)
    defects: list[DefectPayload] = []

    @field_validator("defects")
    @classmethod
    def _numbered_once(cls, v: list[DefectPayload]) -> list[DefectPayload]:
        numbers = [d.defect_no for d in v]
        if len(set(numbers)) != len(numbers):
            raise ValueError("defects: defect_no repeats")
        return v


class CommandPayload(_Payload):
    """Sent to a machine (``.../command``): stop or resume, with the reason."""

    ts: Timestamp
    command: Literal["stop", "resume"]
    reason: str = ""
    rule_id: str | None = None


PAYLOAD_MODELS: dict[str, type[_Payload]] = {
    "telemetry": TelemetryPayload,
    "state": StatePayload,
    "count": CountPayload,
    "alarm": AlarmPayload,
    "inspection": InspectionPayload,
    "command": CommandPayload,
}
