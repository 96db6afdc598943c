"""The validator maps each kind of bad message to its reason, and accepts good ones."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

from ingestion.payloads import TelemetryPayload
from ingestion.stream.machines import MachineInfo, plausible_band
from ingestion.stream.validate import (
    REJECT_KINDS,
    Accepted,
    Ignored,
    MessageValidator,
    Rejected,
    Telemetry,
    fast_telemetry,
)
from tests.integration.ingest_support import bad_corpus, good_messages, now_ms

MACHINES = {m: a for m, a in [("ETCH-01", "ETCH"), ("INSP-01", "INSP"), ("LITHO-01", "LITHO")]}
SITE = "FAB1"
BASE = now_ms()
NOW = datetime.fromtimestamp(BASE / 1000, UTC)


# ETCH-01's metrics as the demo plant defines them; INSP-01 and LITHO-01 have none here.
ETCH_METRICS = {
    "temperature": plausible_band(175.0, 160.0, 188.0),
    "pressure": plausible_band(30.0, 20.0, 40.0),
    "rf_power": plausible_band(1500.0, 1300.0, 1700.0),
}


@pytest.fixture(scope="module")
def validator() -> MessageValidator:
    return MessageValidator(MACHINES, retention_days=90, metrics={"ETCH-01": ETCH_METRICS})


def test_corpus_has_at_least_40_kinds():
    """Issue 18: >= 40 kinds of bad message, each with its own reason kind. The validator
    files all but two; the sink files conflicting_duplicate (tests/integration)."""
    kinds = {kind for kind, _t, _p in bad_corpus(SITE, BASE)}
    assert len(kinds | {"conflicting_duplicate"}) >= 40
    assert kinds <= set(REJECT_KINDS)


@pytest.mark.parametrize("case", bad_corpus(SITE, BASE), ids=lambda c: c[0])
def test_bad_message_gets_its_reason(validator, case):
    kind, topic, payload = case
    verdict = validator.check(topic, payload, NOW)
    assert isinstance(verdict, Rejected), verdict
    assert verdict.kind == kind, verdict.error
    assert verdict.error.startswith(f"{kind}: ")


@pytest.mark.parametrize("index", range(5))
def test_good_messages_are_accepted(validator, index):
    topic, payload = good_messages(SITE, BASE)[index]
    verdict = validator.check(topic, payload, NOW)
    assert isinstance(verdict, Accepted), getattr(verdict, "error", verdict)


def test_commands_are_ignored_not_dead_lettered(validator):
    verdict = validator.check(
        "fab/v1/FAB1/ETCH/ETCH-01/command", b'{"ts": 1, "command": "stop"}', NOW
    )
    assert isinstance(verdict, Ignored)


def test_reason_names_field_and_value(validator):
    verdict = validator.check(
        "fab/v1/FAB1/ETCH/ETCH-01/count",
        b'{"ts": %d, "seq": 1, "lot_id": "LOT1", "step_no": 1, '
        b'"recipe_id": "R", "good": -3, "scrap": 0}' % BASE,
        NOW,
    )
    assert verdict.error == (
        "negative_count: good: Input should be greater than or equal to 0 (got -3)"
    )


def test_machine_info_type():
    assert MachineInfo("A", "S", "AR", "T").area_id == "AR"


# --- the telemetry fast path agrees with the payload model --------------------------------


def _reading(**kv) -> dict:
    return {"metric": "temperature", "value": 175.25, **kv}


FAST_CASES = {
    # taken by the fast path (the common shapes)
    "plain": {"ts": BASE, "seq": 1, "readings": [_reading(), _reading(metric="p", value=3)]},
    "rfc3339": {"ts": "2026-11-20T10:00:00.5Z", "seq": 0, "readings": [_reading()]},
    "offset": {"ts": "2026-11-20T11:00:00+01:00", "seq": 2, "readings": [_reading()]},
    "float_epoch": {"ts": BASE + 0.5, "seq": 3, "readings": [_reading(value=-1e300)]},
    "reading_extras": {
        "ts": BASE,
        "seq": 4,
        "readings": [
            _reading(ts=BASE - 500, quality=0x40000000),
            _reading(ts=None, quality=-(1 << 31)),
            _reading(ts="2026-11-20T10:00:00Z", quality=0),
        ],
    },
    "metric_64": {"ts": BASE, "seq": 5, "readings": [_reading(metric="m" * 64)]},
    "big_int_value": {"ts": BASE, "seq": 6, "readings": [_reading(value=1 << 53)]},
    # left to the model (accepted or rejected there)
    "str_value": {"ts": BASE, "seq": 1, "readings": [_reading(value="1.5")]},
    "bool_value": {"ts": BASE, "seq": 1, "readings": [_reading(value=True)]},
    "huge_int_value": {"ts": BASE, "seq": 1, "readings": [_reading(value=(1 << 53) + 1)]},
    "float_seq": {"ts": BASE, "seq": 1.0, "readings": [_reading()]},
    "negative_seq": {"ts": BASE, "seq": -1, "readings": [_reading()]},
    "bool_ts": {"ts": True, "seq": 1, "readings": [_reading()]},
    "naive_ts": {"ts": "2026-11-20T10:00:00", "seq": 1, "readings": [_reading()]},
    "bad_ts": {"ts": "yesterday", "seq": 1, "readings": [_reading()]},
    "null_ts": {"ts": None, "seq": 1, "readings": [_reading()]},
    "huge_ts": {"ts": 10**18, "seq": 1, "readings": [_reading()]},
    "extra_key": {"ts": BASE, "seq": 1, "readings": [_reading()], "x": 1},
    "reading_extra_key": {"ts": BASE, "seq": 1, "readings": [_reading(unit="C")]},
    "missing_metric": {"ts": BASE, "seq": 1, "readings": [{"value": 1.0}]},
    "empty_metric": {"ts": BASE, "seq": 1, "readings": [_reading(metric="")]},
    "long_metric": {"ts": BASE, "seq": 1, "readings": [_reading(metric="m" * 65)]},
    "quality_too_big": {"ts": BASE, "seq": 1, "readings": [_reading(quality=1 << 31)]},
    "bool_quality": {"ts": BASE, "seq": 1, "readings": [_reading(quality=False)]},
    "no_readings": {"ts": BASE, "seq": 1, "readings": []},
    "too_many_readings": {"ts": BASE, "seq": 1, "readings": [_reading()] * 10_001},
    "reading_not_object": {"ts": BASE, "seq": 1, "readings": [[1, 2]]},
    "not_object": [1, 2, 3],
    "str_int_value": {"ts": BASE, "seq": 1, "readings": [_reading(value="77")]},
    "null_value": {"ts": BASE, "seq": 1, "readings": [_reading(value=None)]},
    "str_seq": {"ts": BASE, "seq": "7", "readings": [_reading()]},
    "seq_beyond_bigint": {"ts": BASE, "seq": 1 << 63, "readings": [_reading()]},
    "seq_at_bigint": {"ts": BASE, "seq": (1 << 63) - 1, "readings": [_reading()]},
    "overflowing_ts": {"ts": 1e300, "seq": 1, "readings": [_reading()]},
    "overflowing_reading_ts": {"ts": BASE, "seq": 1, "readings": [_reading(ts=-1e300)]},
    "str_quality": {"ts": BASE, "seq": 1, "readings": [_reading(quality="0")]},
}
FAST = {
    "plain",
    "rfc3339",
    "offset",
    "float_epoch",
    "reading_extras",
    "metric_64",
    "big_int_value",
    "seq_at_bigint",
}


@pytest.mark.parametrize("name", sorted(FAST_CASES))
def test_fast_telemetry_accepts_only_what_the_model_accepts_with_the_same_values(name):
    payload = orjson.dumps(FAST_CASES[name])
    fast = fast_telemetry(payload)
    assert (fast is not None) == (name in FAST)
    try:
        model = Telemetry.of(TelemetryPayload.model_validate_json(payload))
    except ValidationError:
        model = None
    if fast is not None:
        assert fast == model
    # what the model refuses, the fast path never takes
    assert model is not None or fast is None


@pytest.mark.parametrize("name", sorted(set(FAST_CASES) - FAST))
def test_what_the_fast_path_declines_gets_a_one_line_reason_or_is_accepted(validator, name):
    """Never an "unexpected OverflowError": every verdict is a known kind on one line."""
    verdict = validator.check(
        "fab/v1/FAB1/ETCH/ETCH-01/telemetry", orjson.dumps(FAST_CASES[name]), NOW
    )
    if isinstance(verdict, Rejected):
        assert verdict.kind in REJECT_KINDS and verdict.kind != "invalid_value", verdict.error
        assert "\n" not in verdict.error


def test_fast_telemetry_declines_what_orjson_and_the_model_read_differently():
    for raw in (
        b'{"ts": 1, "seq": 1, "readings": [{"metric": "t", "value": NaN}]}',
        b'\xef\xbb\xbf{"ts": 1, "seq": 1, "readings": []}',
        b'{"ts": 1, "seq": 99999999999999999999999, "readings": []}',
    ):
        assert fast_telemetry(raw) is None


def test_quality_beyond_int4_is_rejected_by_name(validator):
    payload = orjson.dumps({"ts": BASE, "seq": 1, "readings": [_reading(quality=1 << 31)]})
    verdict = validator.check("fab/v1/FAB1/ETCH/ETCH-01/telemetry", payload, NOW)
    assert isinstance(verdict, Rejected)
    assert verdict.error.startswith("bad_quality: readings.0.quality: ")


def test_slow_and_fast_path_give_the_same_verdict_on_the_good_telemetry(validator):
    topic, payload = good_messages(SITE, BASE)[0]
    assert fast_telemetry(payload) is not None
    verdict = validator.check(topic, payload, NOW)
    assert isinstance(verdict, Accepted)
    assert verdict.payload == Telemetry.of(TelemetryPayload.model_validate_json(payload))
