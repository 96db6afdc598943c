"""Pieces of the ingestor on their own: spool, interlock debounce, lot tracking, backoff, config."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from fabstack.errors import FabError
from ingestion.stream.backoff import Backoff
from ingestion.stream.config import InterlockConfig, InterlockRule, load_interlocks, load_opcua
from ingestion.stream.interlock import InterlockEngine, LotTracker
from ingestion.stream.machines import MachineInfo
from ingestion.stream.opcua import Handoff, LoopThread
from ingestion.stream.routing import rows_for
from ingestion.stream.spool import Spool, SpoolBatch, SpoolError, SpoolFull
from ingestion.stream.validate import MessageValidator
from tests.integration.ingest_support import good_messages, now_ms

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
MACHINES = {
    "ETCH-01": MachineInfo("ETCH-01", "FAB1", "ETCH", "ETCH"),
    "DEP-01": MachineInfo("DEP-01", "FAB1", "DEP", "DEP"),
}


def _batch(i: int) -> SpoolBatch:
    return SpoolBatch(
        {"sensor_reading": [(T0 + timedelta(seconds=i), "ETCH-01", "t", 1.5, 0)]},
        [("mqtt", "fab/v1/x", "{", "malformed_json: x", f"k{i}")],
    )


def test_spool_keeps_order_and_survives_reopen(tmp_path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    for i in range(3):
        spool.append(_batch(i))
    (tmp_path / "000000000099.tmp").write_bytes(b"torn")  # a crash mid-write
    reopened = Spool(tmp_path)
    assert reopened.depth == 3
    assert not list(tmp_path.glob("*.tmp"))
    batches = [b for _p, b in reopened.pending()]
    assert [b.rows["sensor_reading"][0][0] for b in batches] == [
        T0,
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=2),
    ]
    assert batches[0].dead_letters[0][4] == "k0"
    path, _ = next(reopened.pending())
    reopened.remove(path)
    assert reopened.depth == 2
    reopened.append(_batch(3))
    assert [p.name for p, _ in reopened.pending()][-1] == "000000000004.seg"


def test_spool_is_bounded_and_warns(tmp_path):
    messages: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logging.getLogger("fab.ingest.spool").addHandler(handler)
    try:
        spool = Spool(tmp_path, max_bytes=600)
        with pytest.raises(SpoolFull):
            for i in range(100):
                spool.append(_batch(i))
    finally:
        logging.getLogger("fab.ingest.spool").removeHandler(handler)
    assert any(m.startswith("SPOOL 50% FULL") for m in messages)
    assert any(m.startswith("SPOOL 90% FULL") for m in messages)
    assert any(m.startswith("SPOOL FULL") for m in messages)
    assert spool.bytes <= 600


def test_spool_sets_aside_a_corrupt_segment(tmp_path):
    spool = Spool(tmp_path)
    path = spool.append(_batch(0))
    path.write_bytes(path.read_bytes()[:-3])
    assert [b for _p, b in spool.pending()] == [None]


def test_interlock_fires_once_per_excursion_and_rearms():
    rule = InterlockRule(
        id="R",
        machine_type="ETCH",
        metric="temperature",
        op=">",
        threshold=188.0,
        rearm_margin=1.0,
        cooldown_s=0,
    )
    lots = LotTracker({"ETCH-01": "LOTA"})
    engine = InterlockEngine(InterlockConfig(rules=[rule]), MACHINES, lots)
    values = [187.0, 188.5, 190.0, 187.5, 189.0, 186.9, 188.1]
    fired = [
        bool(engine.check("ETCH-01", "temperature", v, T0 + timedelta(seconds=i)))
        for i, v in enumerate(values)
    ]
    assert fired == [False, True, False, False, False, False, True]
    assert engine.check("DEP-01", "temperature", 500.0, T0) == []  # not an ETCH tool
    lots.observe("ETCH-01", "LOTB", T0 + timedelta(hours=1))
    engine.check("ETCH-01", "temperature", 100.0, T0)
    trip = engine.check("ETCH-01", "temperature", 199.0, T0 + timedelta(hours=2))[0]
    assert trip.quarantine_row()[1] == "LOTB"
    assert trip.interlock_row()[2:] == ("R", "temperature", 199.0, 188.0, "stop")


def test_interlock_cooldown_debounces_flapping():
    rule = InterlockRule(
        id="R", machines=["ETCH-01"], metric="temperature", op=">", threshold=188.0, cooldown_s=60
    )
    engine = InterlockEngine(InterlockConfig(rules=[rule]), MACHINES)
    hits = sum(
        bool(
            engine.check(
                "ETCH-01", "temperature", 189.0 if i % 2 else 100.0, T0 + timedelta(seconds=i)
            )
        )
        for i in range(50)
    )
    assert hits == 1


def test_backoff_grows_with_jitter_and_caps():
    b = Backoff(initial=0.1, maximum=1.0)
    delays = [b.next_delay() for _ in range(10)]
    assert 0.05 <= delays[0] <= 0.1
    assert all(d <= 1.0 for d in delays) and max(delays) >= 0.5
    b.reset()
    assert b.next_delay() <= 0.1


def test_count_message_routes_to_four_tables():
    validator = MessageValidator({"ETCH-01": "ETCH", "INSP-01": "INSP"})
    topic, payload = good_messages("FAB1", now_ms())[2]
    verdict = validator.check(topic, payload, datetime.now(UTC))
    rows = rows_for(verdict.machine_id, verdict.payload)
    assert {t: len(r) for t, r in rows.items()} == {
        "production_count": 1,
        "lot_move": 2,
        "process_measurement": 2,
    }


def test_shipped_configs_load_and_bad_ones_name_the_field(tmp_path):
    assert load_interlocks().rules and load_opcua().servers
    bad = tmp_path / "interlocks.yaml"
    bad.write_text("rules:\n  - {id: X, metric: t, op: '>>', threshold: 1, machine_type: ETCH}\n")
    with pytest.raises(FabError, match=r"rules\.0\.op"):
        load_interlocks(bad)
    bad.write_text("rules: [\n")
    with pytest.raises(FabError, match="not valid YAML"):
        load_interlocks(bad)
    sec = tmp_path / "opc.yaml"
    sec.write_text(
        "servers:\n  - name: a\n    variables: {T: {}}\n"
        "    security: {mode: Sign, policy: Basic256Sha256, certificate: c.der}\n"
    )
    with pytest.raises(FabError, match="both certificate and private_key"):
        load_opcua(sec)
    sec.write_text("servers:\n  - name: a\n    variables: {T: {}}\n    security: {mode: None}\n")
    with pytest.raises(FabError, match="mode None does not go with policy Basic256Sha256"):
        load_opcua(sec)
    shipped = load_opcua().servers[0].security
    assert (shipped.mode, shipped.policy) == ("SignAndEncrypt", "Basic256Sha256")


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["mqtt", "--interlocks", "/nonexistent/rules.yaml"],
            "/nonexistent/rules.yaml: no such file",
        ),
        (["opcua", "--config", "/nonexistent/opc.yaml"], "/nonexistent/opc.yaml: no such file"),
        (["opcua", "--server", "nope"], "--server: 'nope' is not in the config"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, message):
    import subprocess
    import sys

    from tests.conftest import REPO

    proc = subprocess.run(
        [sys.executable, "-m", "fabcli.main", "ingest", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"fab: error: {message} (have: sim)" if "--server" in message else f"fab: error: {message}"
    ]


def test_opcua_handoff_crosses_threads_and_holds_the_client_while_behind():
    """Data changes go from the client's own loop thread to the ingest loop in chunks; past
    the limit the client side waits until the ingest loop has handled enough."""

    async def scenario() -> None:
        handoff = Handoff(asyncio.get_running_loop(), limit=3)
        client = LoopThread("test-opcua-client")

        async def client_side() -> tuple[str, int]:
            handoff.put([1, 2])
            handoff.put([3])
            assert handoff.behind()
            await handoff.room()
            return threading.current_thread().name, handoff.done

        try:
            waiting = asyncio.ensure_future(client.run(client_side()))
            assert await handoff.chunks.get() == [1, 2]
            assert await handoff.chunks.get() == [3]
            done, _ = await asyncio.wait({waiting}, timeout=0.3)
            assert not done  # held: 3 changes handed over, none handled
            handoff.handled(3)
            assert await asyncio.wait_for(waiting, 5) == ("test-opcua-client", 3)
            handoff.close()
            assert await handoff.chunks.get() is None
        finally:
            client.close()
        assert not client.loop.is_running() and client.loop.is_closed()

    asyncio.run(scenario())


# --- a spool that cannot write: nothing half-written, nothing acknowledged (issue 18 break 2) --

_SHORT_WRITE = """
import resource, signal, sys
from datetime import UTC, datetime
from ingestion.stream.spool import Spool, SpoolBatch, SpoolError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the kernel then cuts writes short (EFBIG)
spool = Spool(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
rows = [(datetime.now(UTC), "ETCH-01", f"m{i}", 1.5, 0) for i in range(2000)]
try:
    spool.append(SpoolBatch({"sensor_reading": rows}, []))
except SpoolError as exc:
    print("refused:", exc)
spool.append(SpoolBatch({"sensor_reading": rows[:3]}, []))  # a small one still fits
print("depth", spool.depth)
"""


def test_a_segment_cut_short_is_refused_and_removed(tmp_path):
    """A file-size limit makes the kernel cut the segment short, as a full disk does. Before,
    the short segment was fsync'd, renamed and acknowledged, then failed its CRC on replay."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _SHORT_WRITE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "refused: spool" in out and "segment not written" in out, out
    assert out.strip().endswith("depth 1")
    segments = list(tmp_path.glob("*.seg"))
    assert len(segments) == 1 and not list(tmp_path.glob("*.tmp"))
    assert [len(b.rows["sensor_reading"]) for _p, b in Spool(tmp_path).pending()] == [3]


def test_an_unwritable_spool_raises_spool_error(tmp_path):
    spool = Spool(tmp_path / "spool")
    (tmp_path / "spool").rmdir()
    (tmp_path / "spool").write_text("not a directory")  # unwritable, even for root
    with pytest.raises(SpoolError, match="segment not written"):
        spool.append(_batch(0))
    assert spool.depth == 0


def test_integers_beyond_64_bits_spool_exactly(tmp_path):
    """orjson cannot write 2**70 (it killed the flusher); the segment falls back to json."""
    spool = Spool(tmp_path)
    row = (T0, "ETCH-01", "IDLE", "X", 2**70)
    spool.append(SpoolBatch({"machine_state": [row]}, []))
    [(_path, batch)] = list(Spool(tmp_path).pending())
    assert batch.rows["machine_state"] == [row]


def test_backoff_survives_a_long_outage():
    """2.0 ** 1100 overflowed after ~1000 retries and killed the retry loop."""
    backoff = Backoff(initial=0.1, maximum=5.0)
    delays = [backoff.next_delay() for _ in range(5000)]
    assert 2.5 <= delays[-1] <= 5.0
