"""Shared pieces of the ingestion benchmarks: a throwaway landing zone, ingestor processes,
a flow-controlled publisher and the ingestors' live status."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import orjson
import psycopg

from tests.conftest import REPO, drop_database, migrated_and_seeded

BROKER = ("127.0.0.1", 1883)
# Mosquitto's default max_queued_messages (1000) drops QoS 1 messages beyond it for a slow
# subscriber, so the publisher stays at most this many messages ahead of what has landed.
AHEAD_LIMIT = 3_000


@contextlib.contextmanager
def landing_zone() -> Iterator[str]:
    dsn = migrated_and_seeded()
    try:
        yield dsn
    finally:
        # DROP DATABASE can wait on other sessions of the shared server; never hang on it.
        threading.Thread(target=drop_database, args=(dsn,), daemon=True).start()


def start_ingestor(
    dsn: str, site: str, client_id: str, share_group: str, home: Path, *extra: str
) -> subprocess.Popen:
    env = {
        **os.environ,
        "FAB_PG_DSN": dsn,
        "FAB_MQTT_URL": f"mqtt://{BROKER[0]}:{BROKER[1]}",
        "FAB_HOME": str(home),
        "FAB_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fabstack.cli.main",
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
    )


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
) -> float:
    """Publish QoS 1 with ``window`` publishes in flight, at most AHEAD_LIMIT ahead of
    ``counter``, optionally paced to ``rate_per_s``; a callable body is built at send time.
    Returns the time of the first publish."""
    sem = asyncio.Semaphore(window)
    async with aiomqtt.Client(
        *BROKER, identifier=f"bench-pub-{uuid.uuid4().hex[:6]}", max_inflight_messages=window
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
