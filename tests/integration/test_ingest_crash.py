"""`kill -9` of `fab ingest mqtt` mid-stream: after a restart every message is landed once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from functools import partial

import psycopg
import pytest

from tests.integration import ingest_support as support

COUNT = "SELECT count(*) FROM landing.sensor_reading"


def _start(site: str, dsn: str, home) -> subprocess.Popen:
    return support.start_ingestor(
        dsn, site, f"k{site}", f"g{site}", home, "--batch-age-ms", "20", stderr=subprocess.PIPE
    )


def _up(proc: subprocess.Popen, dsn: str, not_started_at: object = None) -> object:
    """The ingestor's start time once it reports connected (and is not the one before)."""
    if proc.poll() is not None:
        pytest.fail(f"ingestor exited {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT started_at FROM landing.ingest_status WHERE connected"
        ).fetchone()
    return row[0] if row and row[0] != not_started_at else None


def test_kill_9_mid_stream_loses_and_duplicates_nothing(landing_dsn, tmp_path):
    site = support.unique_site()
    base = support.now_ms()
    msgs = [
        support.telemetry_message(site, "DEP-01", i, base + i, readings=10) for i in range(3000)
    ]
    support.allow_metrics(landing_dsn, [f"pressure{i}" for i in range(10)])
    proc = _start(site, landing_dsn, tmp_path)
    try:

        async def scenario() -> None:
            nonlocal proc
            # The ingestor has subscribed once it has written its first status row.
            first_start = await support.until(
                lambda: _up(proc, landing_dsn), timeout=30, what="ingestor up"
            )
            async with support.publisher() as pub:
                for i, m in enumerate(msgs):
                    await pub.publish(*m, qos=1)
                    if i == 1500:
                        await support.until(
                            lambda: support.scalar(landing_dsn, COUNT) > 0, what="some landed"
                        )
                        proc.send_signal(signal.SIGKILL)  # mid-stream, batches in flight
                        proc.wait(10)
                    if i == 2000:
                        # Same client id, so the same broker session: it holds what came while
                        # we were down (Mosquitto keeps up to max_queued_messages = 1000 here).
                        proc = _start(site, landing_dsn, tmp_path)
                        await support.until(
                            partial(_up, proc, landing_dsn, first_start),
                            timeout=30,
                            what="restarted ingestor connected",
                        )
            await support.until(
                lambda: support.scalar(landing_dsn, COUNT) == 30_000,
                timeout=60,
                what="all 30,000 readings after the restart",
            )

        asyncio.run(scenario())
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(20)
    assert rc == 0, proc.stderr.read().decode()[-2000:]
    assert (
        support.scalar(
            landing_dsn, "SELECT count(DISTINCT (metric, ts)) FROM landing.sensor_reading"
        )
        == 30_000
    )
