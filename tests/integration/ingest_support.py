"""Helpers for the ingestion tests: a running ingestor, publishers, a TCP proxy, DB polls."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import psycopg
import pytest

from ingestion.payloads import (
    AlarmPayload,
    CountPayload,
    DefectPayload,
    InspectionPayload,
    Measurement,
    Reading,
    StatePayload,
    TelemetryPayload,
    make_wafer_id,
    topic_for,
)
from ingestion.stream.config import InterlockConfig
from ingestion.stream.machines import load_machines, load_metric_bounds
from ingestion.stream.mqtt import MqttIngestor, MqttOptions
from ingestion.stream.pipeline import BatchLimits
from tests.conftest import REPO, broker_address

BROKER = broker_address()  # FAB_TEST_MQTT_URL
AREA = {
    "ETCH-01": "ETCH",
    "ETCH-02": "ETCH",
    "LITHO-01": "LITHO",
    "INSP-01": "INSP",
    "DEP-01": "DEP",
    "CMP-01": "CMP",
}


def unique_site() -> str:
    return "T" + uuid.uuid4().hex[:10]


def scalar(dsn: str, query: str, params: tuple = ()) -> object:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(query, params).fetchone()[0]


async def until(
    predicate: Callable[[], object],
    timeout: float = 15.0,
    what: str = "condition",
    interval: float = 0.05,
) -> object:
    """Async ``wait_for``: poll a (blocking) predicate in a thread until truthy or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        await asyncio.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def make_ingestor(
    dsn: str,
    spool_dir: Path,
    site: str,
    *,
    port: int = BROKER[1],
    client_id: str | None = None,
    interlocks: InterlockConfig | None = None,
    limits: BatchLimits | None = None,
    session_expiry_s: int = 120,
    commit_dsn: str | None = None,
) -> MqttIngestor:
    allow_metrics(dsn, [f"pressure{i}" for i in range(10)])  # telemetry_message(readings=n)
    with psycopg.connect(dsn) as conn:
        machines = load_machines(conn)
        metrics = load_metric_bounds(conn)
    options = MqttOptions(
        host=BROKER[0],
        port=port,
        client_id=client_id or f"t-{site}",
        share_group=f"g{site}",
        topic_filter=f"fab/v1/{site}/#",
        session_expiry_s=session_expiry_s,
        limits=limits or BatchLimits(max_age_s=0.02),
        backoff_initial_s=0.05,
        backoff_max_s=0.5,
    )
    return MqttIngestor(
        options, commit_dsn or dsn, machines, spool_dir, interlocks=interlocks, metrics=metrics
    )


def allow_metrics(dsn: str, metrics: list[str]) -> None:
    """Declare test metrics (limits like the demo's pressure) on every machine: the ingestor
    dead-letters metric names a machine does not have."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO landing.machine_metric_limit "
            "(machine_id, metric, unit, setpoint, min_value, max_value) "
            "SELECT machine_id, m, 'test', 30, 20, 40 FROM landing.machine, unnest(%s::text[]) m "
            "ON CONFLICT DO NOTHING",
            (metrics,),
        )


def via_port(dsn: str, port: int) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}"))


@contextlib.asynccontextmanager
async def running(ingestor: MqttIngestor) -> AsyncIterator[MqttIngestor]:
    task = asyncio.create_task(ingestor.run())
    try:
        await asyncio.wait_for(ingestor.subscribed.wait(), 10)
        yield ingestor
    finally:
        ingestor.stop()
        await asyncio.wait_for(task, 20)


@contextlib.asynccontextmanager
async def publisher(port: int = BROKER[1]) -> AsyncIterator[aiomqtt.Client]:
    async with aiomqtt.Client(BROKER[0], port, identifier=f"pub-{uuid.uuid4().hex[:8]}") as c:
        yield c


def now_ms() -> int:
    return int(time.time() * 1000)


# --- one good message per channel -------------------------------------------------------------

LOT = "L2611210001"


def good_messages(site: str, base_ms: int) -> list[tuple[str, bytes]]:
    """(topic, payload) for every landing channel; each lands distinct rows."""
    w1, w2 = make_wafer_id(LOT, 1), make_wafer_id(LOT, 2)
    ts = datetime.fromtimestamp(base_ms / 1000, UTC)
    telemetry = TelemetryPayload(
        ts=ts,
        seq=1,
        readings=[
            Reading(metric="temperature", value=175.2),
            Reading(metric="pressure", value=30.1),
            Reading(metric="rf_power", value=1500.0, ts=base_ms - 500, quality=0x40000000),
        ],
    )
    state = StatePayload(ts=ts, seq=2, state="RUNNING", reason_code="RUN")
    cd = "critical_dimension_nm"
    count = CountPayload(
        ts=ts,
        seq=3,
        lot_id=LOT,
        step_no=2,
        recipe_id="ETCH-STD",
        good=24,
        scrap=1,
        track_in_ts=base_ms - 90_000,
        measurements=[
            Measurement(wafer_id=w1, parameter=cd, value=45.1),
            Measurement(wafer_id=w2, parameter=cd, value=44.9),
        ],
    )
    alarm = AlarmPayload(ts=ts, seq=4, alarm_code="A100", severity=3, message="door open")
    inspection = InspectionPayload(
        ts=ts,
        seq=5,
        inspection_id=f"I-{site}",
        lot_id=LOT,
        wafer_id=w1,
        step_no=6,
        defects=[
            DefectPayload(
                defect_no=1,
                x_mm=10.5,
                y_mm=-20.0,
                size_um=0.8,
                defect_type="PARTICLE",
                sem_image_ref="sem://1",
                edx_spectrum={"elements": ["Si"], "peaks_kev": [1.74]},
            ),
            DefectPayload(defect_no=2, x_mm=-100.0, y_mm=50.0, size_um=2.5, defect_type="SCRATCH"),
        ],
    )
    return [
        (topic_for(site, "ETCH", "ETCH-01", "telemetry"), telemetry.model_dump_json().encode()),
        (topic_for(site, "ETCH", "ETCH-01", "state"), state.model_dump_json().encode()),
        (topic_for(site, "ETCH", "ETCH-01", "count"), count.model_dump_json().encode()),
        (topic_for(site, "ETCH", "ETCH-01", "alarm"), alarm.model_dump_json().encode()),
        (topic_for(site, "INSP", "INSP-01", "inspection"), inspection.model_dump_json().encode()),
    ]


def telemetry_message(
    site: str,
    machine: str,
    seq: int,
    ts_ms: int,
    readings: int = 1,
    metric: str = "pressure",
    value: float = 30.0,
) -> tuple[str, bytes]:
    body = TelemetryPayload(
        ts=ts_ms,
        seq=seq,
        readings=[
            Reading(metric=f"{metric}{i}" if readings > 1 else metric, value=value)
            for i in range(readings)
        ],
    )
    return topic_for(site, AREA[machine], machine, "telemetry"), body.model_dump_json().encode()


# --- a TCP proxy the test can cut and restore ----------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``cut()`` drops every connection and refuses new
    ones until ``restore()``."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> TcpProxy:
        await self._listen()
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._pipes |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._pipes -= {writer, up_writer}

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for w in list(self._pipes):
            transport = w.transport
            if transport is not None:
                transport.abort()  # RST, as a dead server or network would
        self._pipes.clear()

    async def restore(self) -> None:
        await self._listen()

    async def close(self) -> None:
        await self.cut()


# --- the bad-message corpus: (expected kind, topic, payload) -------------------------------------


def bad_corpus(site: str, base_ms: int) -> list[tuple[str, str, bytes]]:
    import json

    t = lambda ch, m="ETCH-01", a="ETCH": topic_for(site, a, m, ch)  # noqa: E731
    good_w = make_wafer_id(LOT, 3)
    bad_check = good_w[:-1] + ("0" if good_w[-1] != "0" else "1")
    tel = {"ts": base_ms, "seq": 1, "readings": [{"metric": "pressure", "value": 1.0}]}
    count = {
        "ts": base_ms,
        "seq": 1,
        "lot_id": LOT,
        "step_no": 1,
        "recipe_id": "R",
        "good": 1,
        "scrap": 0,
    }
    insp = {"ts": base_ms, "seq": 1, "inspection_id": "X", "lot_id": LOT, "wafer_id": good_w}
    j = lambda obj: json.dumps(obj, separators=(",", ":")).encode()  # noqa: E731
    with_ = lambda base, **kw: j({**base, **kw})  # noqa: E731
    cases = [
        ("bad_topic", f"fab/v1/{site}/ETCH/telemetry", j(tel)),
        ("bad_topic", f"fab/v2/{site}/ETCH/ETCH-01/telemetry", j(tel)),
        ("unknown_channel", t("vibes"), j(tel)),
        ("oversize", t("telemetry"), b'{"pad": "' + b"x" * 300_000 + b'"}'),
        ("empty_payload", t("telemetry"), b""),
        ("not_utf8", t("telemetry"), b'{"ts": "\xff\xfe"}'),
        ("malformed_json", t("telemetry"), b'{"ts": 1, "seq": '),
        ("not_an_object", t("telemetry"), b"[1, 2, 3]"),
        ("missing_field", t("telemetry"), j({"seq": 1, "readings": tel["readings"]})),
        ("extra_field", t("telemetry"), with_(tel, colour="red")),
        ("wrong_type", t("telemetry"), with_(tel, seq="seven")),
        ("wrong_type", t("telemetry"), with_(tel, readings=[{"metric": "p", "value": "hot"}])),
        ("bad_timestamp", t("telemetry"), with_(tel, ts="yesterday")),
        ("future_timestamp", t("telemetry"), with_(tel, ts=base_ms + 6 * 60_000)),
        ("expired_timestamp", t("telemetry"), with_(tel, ts=base_ms - 91 * 86_400_000)),
        ("unknown_machine", t("telemetry", m="ETCH-99"), j(tel)),
        ("area_mismatch", t("telemetry", a="LITHO"), j(tel)),
        ("negative_count", t("count"), with_(count, good=-1)),
        ("negative_count", t("count"), with_(count, scrap=-5)),
        ("negative_seq", t("telemetry"), with_(tel, seq=-1)),
        (
            "non_finite",
            t("telemetry"),
            b'{"ts": %d, "seq": 1, "readings": [{"metric": "p", "value": NaN}]}' % base_ms,
        ),
        (
            "unknown_state",
            t("state"),
            j({"ts": base_ms, "seq": 1, "state": "NAPPING", "reason_code": "X"}),
        ),
        (
            "invalid_wafer_id",
            t("inspection", m="INSP-01", a="INSP"),
            with_(insp, wafer_id=bad_check),
        ),
        ("invalid_wafer_id", t("inspection", m="INSP-01", a="INSP"), with_(insp, wafer_id="W1")),
        ("invalid_lot_id", t("count"), with_(count, lot_id="lot-1")),
        (
            "wafer_lot_mismatch",
            t("inspection", m="INSP-01", a="INSP"),
            with_(insp, wafer_id=make_wafer_id("L9999", 3)),
        ),
        ("empty_readings", t("telemetry"), with_(tel, readings=[])),
        (
            "too_many_readings",
            t("telemetry"),
            with_(tel, readings=[{"metric": "p", "value": 1}] * 10_001),
        ),
        (
            "duplicate_defect_no",
            t("inspection", m="INSP-01", a="INSP"),
            with_(
                insp,
                defects=[
                    {"defect_no": 1, "x_mm": 0, "y_mm": 0, "size_um": 1, "defect_type": "P"},
                    {"defect_no": 1, "x_mm": 1, "y_mm": 1, "size_um": 1, "defect_type": "P"},
                ],
            ),
        ),
        ("track_in_after_track_out", t("count"), with_(count, track_in_ts=base_ms + 1000)),
        # strict types and ranges (issue 18, break 5)
        (
            "string_as_number",
            t("telemetry"),
            with_(tel, readings=[{"metric": "pressure", "value": "77"}]),
        ),
        (
            "string_as_number",
            t("telemetry"),
            with_(tel, readings=[{"metric": "pressure", "value": "12.5"}]),
        ),
        ("string_as_number", t("count"), with_(count, good="24")),
        (
            "bool_as_number",
            t("telemetry"),
            with_(tel, readings=[{"metric": "pressure", "value": True}]),
        ),
        (
            "null_value",
            t("telemetry"),
            with_(tel, readings=[{"metric": "pressure", "value": None}]),
        ),
        (
            "implausible_value",
            t("telemetry"),
            with_(tel, readings=[{"metric": "pressure", "value": 1e308}]),
        ),
        (
            "implausible_value",
            t("telemetry"),
            b'{"ts":%d,"seq":1,"readings":[{"metric":"pressure","value":%s}]}'
            % (base_ms, b"9" * 30),
        ),
        (
            "integer_overflow",
            t("state"),
            j({"ts": base_ms, "seq": 2**70, "state": "IDLE", "reason_code": "X"}),
        ),
        ("integer_overflow", t("count"), with_(count, good=2**31)),
        (
            "bad_quality",
            t("telemetry"),
            with_(tel, readings=[{"metric": "pressure", "value": 1.0, "quality": 2**40}]),
        ),
        (
            "bad_severity",
            t("alarm"),
            j({"ts": base_ms, "seq": 1, "alarm_code": "A", "severity": 9}),
        ),
        (
            "off_wafer",
            t("inspection", m="INSP-01", a="INSP"),
            with_(
                insp,
                defects=[
                    {"defect_no": 1, "x_mm": 400, "y_mm": 0, "size_um": 1, "defect_type": "P"}
                ],
            ),
        ),
        (
            "bad_defect_size",
            t("inspection", m="INSP-01", a="INSP"),
            with_(
                insp,
                defects=[{"defect_no": 1, "x_mm": 0, "y_mm": 0, "size_um": 0, "defect_type": "P"}],
            ),
        ),
        (
            "empty_string",
            t("state"),
            j({"ts": base_ms, "seq": 1, "state": "IDLE", "reason_code": ""}),
        ),
        (
            "string_too_long",
            t("telemetry"),
            with_(tel, readings=[{"metric": "m" * 65, "value": 1.0}]),
        ),
        ("bad_step_no", t("count"), with_(count, step_no=0)),
        ("naive_timestamp", t("telemetry"), with_(tel, ts="2026-01-01T00:00:00")),
        ("timestamp_out_of_range", t("telemetry"), with_(tel, ts=1e300)),
        (
            "unknown_metric",
            t("telemetry"),
            with_(tel, readings=[{"metric": "coffee_level", "value": 1.0}]),
        ),
        (
            "duplicate_reading",
            t("telemetry"),
            with_(
                tel,
                readings=[
                    {"metric": "pressure", "value": 1.0},
                    {"metric": "pressure", "value": 2.0},
                ],
            ),
        ),
        ("wrong_type", t("telemetry"), with_(tel, seq=1.0)),
        (
            "nul_character",
            t("state"),
            j({"ts": base_ms, "seq": 1, "state": "IDLE", "reason_code": "A\u0000B"}),
        ),
    ]
    return cases


def start_ingestor(
    dsn: str,
    site: str,
    client_id: str,
    share_group: str,
    home: Path,
    *extra: str,
    broker: tuple[str, int] | None = None,
    stderr: int | None = subprocess.DEVNULL,
) -> subprocess.Popen:
    """`fab ingest mqtt` in a process of its own, for one test site's topics."""
    broker = broker or broker_address()
    env = {
        **os.environ,
        "FAB_PG_DSN": dsn,
        "FAB_MQTT_URL": f"mqtt://{broker[0]}:{broker[1]}",
        "FAB_HOME": str(home),
        "FAB_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fabcli.main",
            "ingest",
            "mqtt",
            "--client-id",
            client_id,
            "--share-group",
            share_group,
            "--topic-filter",
            f"fab/v1/{site}/#",
            "--status-every-ms",
            "200",
            *extra,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
