"""The validator maps each kind of bad message to its reason, and accepts good ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingestion.stream.machines import MachineInfo
from ingestion.stream.validate import REJECT_KINDS, Accepted, Ignored, MessageValidator, Rejected
from tests.integration.ingest_support import bad_corpus, good_messages, now_ms

MACHINES = {m: a for m, a in [("ETCH-01", "ETCH"), ("INSP-01", "INSP"), ("LITHO-01", "LITHO")]}
SITE = "FAB1"
BASE = now_ms()
NOW = datetime.fromtimestamp(BASE / 1000, UTC)


@pytest.fixture(scope="module")
def validator() -> MessageValidator:
    return MessageValidator(MACHINES, retention_days=90)


def test_corpus_has_at_least_20_kinds():
    kinds = {kind for kind, _t, _p in bad_corpus(SITE, BASE)}
    assert len(kinds) >= 20
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
