"""Shared pieces of the ingestion benchmarks: a throwaway landing zone, a private broker,
ingestor processes, a flow-controlled publisher, the ingestors' live status and CPU accounting
from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import orjson
import psycopg

from tests.conftest import drop_database, free_port, migrated_and_seeded
from tests.integration.broker_support import mosquitto
from tests.integration.ingest_support import (  # noqa: F401 - benches import them from here
    allow_metrics,
    start_ingestor,
)

# Mosquitto's default max_queued_messages (1000) drops QoS 1 messages beyond it for a slow
# subscriber, so the publisher stays at most this many messages ahead of what has landed.
AHEAD_LIMIT = 3_000


@contextlib.contextmanager
def landing_zone() -> Iterator[str]:
    dsn = migrated_and_seeded()
    # the synthetic metrics of telemetry() (the ingestor refuses names a machine lacks)
    allow_metrics(dsn, bench_metrics("m") + bench_metrics("lat"))
    try:
        yield dsn
    finally:
        # DROP DATABASE can wait on other sessions of the shared server; never hang on it.
        threading.Thread(target=drop_database, args=(dsn,), daemon=True).start()


@dataclass(frozen=True)
class PrivateBroker:
    address: tuple[str, int]
    pid: int


# Offline sessions may queue without bound (the pre-loaded backlog of bench_ingest_shared);
# nothing is written to disk; the broker sends as many QoS 1 messages as a client allows.
PRIVATE_BROKER_CONF = """listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 0
log_dest none
"""


@contextlib.contextmanager
def private_broker() -> Iterator[PrivateBroker]:
    """A Mosquitto of the benchmark's own on a free port: no session another run (or another
    helper's test) left in a shared group can take a share of the benchmark's messages, and
    its limits can differ from the system broker's (max_queued_messages 1000 there)."""
    port = free_port()
    conf = Path(tempfile.mkdtemp(prefix="bench_mosquitto_")) / "mosquitto.conf"
    conf.write_text(PRIVATE_BROKER_CONF.format(port=port))
    with mosquitto(conf, port) as pid:
        yield PrivateBroker(("127.0.0.1", port), pid)


def status(dsn: str) -> list[dict]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute("SELECT * FROM landing.ingest_status ORDER BY ingestor")
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def wait_status(dsn: str, ready, timeout: float = 30) -> dict:
    """Poll landing.ingest_status until ``ready(row)`` holds for one row; return that row."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for row in status(dsn):
            if ready(row):
                return row
        time.sleep(0.05)
    raise SystemExit(f"ingest_status did not reach the expected state within {timeout:.0f}s")


def wait_connected(dsn: str, n: int, procs: list[subprocess.Popen], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"ingestor exited with {p.returncode}")
        if sum(1 for s in status(dsn) if s["connected"]) >= n:
            return
        time.sleep(0.1)
    raise SystemExit("ingestors did not connect")


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


def bench_metrics(prefix: str, readings: int = 100) -> list[str]:
    """The metric names ``telemetry(..., readings, metric=prefix)`` sends."""
    return [f"{prefix}{i}" for i in range(readings)]


def telemetry(seq: int, ts_ms: int, readings: int, metric: str = "m") -> bytes:
    return orjson.dumps(
        {
            "ts": ts_ms,
            "seq": seq,
            "readings": [{"metric": f"{metric}{i}", "value": 1.0 + i} for i in range(readings)],
        }
    )


class LandedCounter:
    """Messages handled so far, from the ingestors' status rows (polled in a thread)."""

    def __init__(self, dsn: str, client_ids: list[str]) -> None:
        self.dsn = dsn
        self.names = [f"mqtt:{c}" for c in client_ids]
        self.messages = 0
        self.rows = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                m, r = conn.execute(
                    "SELECT coalesce(sum(messages_total), 0), "
                    "coalesce(sum(rows_total), 0) FROM landing.ingest_status "
                    "WHERE ingestor = ANY(%s)",
                    (self.names,),
                ).fetchone()
                self.messages, self.rows = int(m), int(r)
                time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)


async def publish_all(
    messages: list[tuple[str, object]],
    counter: LandedCounter | None,
    rate_per_s: float | None = None,
    window: int = 200,
    *,
    broker: tuple[str, int],
) -> float:
    """Publish QoS 1 with ``window`` publishes in flight, at most AHEAD_LIMIT ahead of
    ``counter``, optionally paced to ``rate_per_s``; a callable body is built at send time.
    Returns the time of the first publish."""
    sem = asyncio.Semaphore(window)
    async with aiomqtt.Client(
        *broker, identifier=f"bench-pub-{uuid.uuid4().hex[:6]}", max_inflight_messages=window
    ) as client:
        client.pending_calls_threshold = 1 << 30  # many in flight on purpose
        t0 = time.monotonic()
        tasks = []

        async def one(topic: str, body: bytes) -> None:
            try:
                await client.publish(topic, body, qos=1)
            finally:
                sem.release()

        for i, (topic, body) in enumerate(messages):
            if counter is not None:
                while i - counter.messages > AHEAD_LIMIT:
                    await asyncio.sleep(0.005)
            if rate_per_s:
                due = t0 + i / rate_per_s
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if callable(body):
                body = body()
            await sem.acquire()
            tasks.append(asyncio.create_task(one(topic, body)))
        await asyncio.gather(*tasks)
    return t0


# --- CPU accounting ---------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process so far (0.0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / _TICK


@dataclass
class CpuSnapshot:
    at: float
    parties: dict[str, dict[int, float]]  # party -> pid -> CPU seconds so far
    machine_busy: float


def cpu_snapshot(parties: dict[str, Iterable[int]]) -> CpuSnapshot:
    """CPU seconds per process of each party (a party is a set of pids, e.g. all postgres
    processes)."""
    return CpuSnapshot(
        time.monotonic(),
        {name: {p: cpu_seconds(p) for p in pids} for name, pids in parties.items()},
        machine_busy_seconds(),
    )


def cpu_breakdown(before: CpuSnapshot, after: CpuSnapshot) -> dict:
    """Cores each party kept busy between two snapshots (a process born in between counts
    from zero); "other" is the rest of the machine: other users of the box, the benchmark's
    own probe."""
    wall = max(after.at - before.at, 1e-6)
    cores = {}
    for name, now in after.parties.items():
        then = before.parties.get(name, {})
        cores[name] = sum(s - then.get(pid, 0.0) for pid, s in now.items()) / wall
    busy = (after.machine_busy - before.machine_busy) / wall
    cores["other"] = max(0.0, busy - sum(cores.values()))
    return {
        "window_s": round(wall, 2),
        "cores_available": os.cpu_count(),
        "cores_busy": round(busy, 2),
        "cores_by_party": {n: round(c, 2) for n, c in cores.items()},
    }
