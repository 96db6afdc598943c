"""MQTT ingestion speed, one `fab ingest mqtt` process against a private Mosquitto (a free port
of its own, so no stray session in a shared group skews it) and the real PostgreSQL.

1. batched: 100 readings per message, publish -> committed rows, readings/s;
2. unbatched: 1 reading per message, msgs/s, against a bare aiomqtt subscriber that does nothing;
3. latency at a steady 10,000 readings/s (100 msgs/s x 100 readings): p50/p99 publish -> commit.

Run: .venv/bin/python -m tests.benchmarks.bench_ingest [--quick]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.benchmarks import _ingest_harness as harness

MACHINES = [("ETCH", "ETCH-01"), ("ETCH", "ETCH-02"), ("DEP", "DEP-01"), ("CMP", "CMP-01")]


def _messages(site: str, n: int, readings: int, base_ms: int) -> list[tuple[str, bytes]]:
    out = []
    for i in range(n):
        area, machine = MACHINES[i % len(MACHINES)]
        out.append(
            (
                f"fab/v1/{site}/{area}/{machine}/telemetry",
                harness.telemetry(i, base_ms + i, readings),
            )
        )
    return out


def _run_ingest(
    broker: tuple[str, int],
    dsn: str,
    messages: list,
    expected_rows: int,
    home: Path,
    extra: tuple[str, ...] = (),
) -> tuple[float, dict]:
    site = "B" + uuid.uuid4().hex[:8]
    messages = [(t.replace("/SITE/", f"/{site}/"), b) for t, b in messages]
    proc = harness.start_ingestor(
        dsn, site, f"bench-{site}", f"g{site}", home, *extra, broker=broker
    )
    try:
        harness.wait_connected(dsn, 1, [proc])
        counter = harness.LandedCounter(dsn, [f"bench-{site}"])
        t0 = asyncio.run(harness.publish_all(messages, counter, broker=broker))
        deadline = time.monotonic() + 300
        while counter.rows < expected_rows and time.monotonic() < deadline:
            time.sleep(0.01)
        if counter.rows < expected_rows:
            raise SystemExit(f"only {counter.rows} of {expected_rows} rows landed")
        elapsed = time.monotonic() - t0
        counter.close()
        return elapsed, harness.status(dsn)[0]
    finally:
        harness.stop([proc])


async def _bare_subscriber(
    broker: tuple[str, int], messages: list[tuple[str, bytes]], site: str
) -> float:
    """msgs/s of an aiomqtt subscriber that only counts (QoS 1, automatic acks)."""
    got = 0
    done = asyncio.Event()
    props = Properties(PacketTypes.CONNECT)
    props.ReceiveMaximum = 6_000  # the same window the ingestor asks for
    async with aiomqtt.Client(
        *broker, identifier=f"bare-{site}", properties=props, protocol=aiomqtt.ProtocolVersion.V5
    ) as sub:
        await sub.subscribe(f"$share/g{site}/fab/v1/{site}/#", qos=1)

        class Counter:
            messages = 0

        async def count() -> None:
            nonlocal got
            async for _m in sub.messages:
                got += 1
                Counter.messages = got
                if got == len(messages):
                    done.set()
                    return

        task = asyncio.create_task(count())
        t0 = await harness.publish_all(messages, Counter, broker=broker)  # type: ignore[arg-type]
        await done.wait()
        elapsed = time.monotonic() - t0
        task.cancel()
    return len(messages) / elapsed


def _latency(broker: tuple[str, int], dsn: str, home: Path, seconds: float) -> dict:
    site = "L" + uuid.uuid4().hex[:8]
    proc = harness.start_ingestor(dsn, site, f"bench-{site}", f"g{site}", home, broker=broker)
    rate = 100  # messages/s x 100 readings = 10,000 readings/s
    n = int(rate * seconds)
    try:
        harness.wait_connected(dsn, 1, [proc])

        last_ms = [0] * 4

        def body(i: int):
            def build() -> bytes:  # stamped at send time; unique per machine even in a burst
                ts = last_ms[i % 4] = max(int(time.time() * 1000), last_ms[i % 4] + 1)
                return harness.telemetry(i, ts, 100, metric="lat")

            return build

        msgs = [
            (f"fab/v1/{site}/{MACHINES[i % 4][0]}/{MACHINES[i % 4][1]}/telemetry", body(i))
            for i in range(n)
        ]
        counter = harness.LandedCounter(dsn, [f"bench-{site}"])
        asyncio.run(harness.publish_all(msgs, counter, rate_per_s=rate, broker=broker))
        deadline = time.monotonic() + 120
        while counter.rows < n * 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        landed_at = datetime.now(UTC)
        counter.close()
        # the next status update after the last row landed has the last messages in its lag window
        row = harness.wait_status(
            dsn, lambda s: s["ingestor"] == f"mqtt:bench-{site}" and s["updated_at"] > landed_at
        )
        return {"p50_ms": row["lag_ms"], "p99_ms": row["lag_p99_ms"], "messages": n}
    finally:
        harness.stop([proc])


def main() -> None:
    quick = "--quick" in sys.argv
    home = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    base = int(time.time() * 1000) - 7_200_000  # distinct past timestamps per step
    results: dict = {}
    with harness.landing_zone() as dsn, harness.private_broker() as private:
        broker = private.address
        n_batched = 1_000 if quick else 5_000
        elapsed, st = _run_ingest(
            broker, dsn, _messages("SITE", n_batched, 100, base), n_batched * 100, home
        )
        results["batched_readings"] = n_batched * 100
        results["batched_readings_per_s"] = round(n_batched * 100 / elapsed)
        print(
            f"batched: {n_batched * 100:,} readings in {elapsed:.2f}s = "
            f"{n_batched * 100 / elapsed:,.0f} readings/s"
        )

        n_single = 5_000 if quick else 30_000
        single = _messages("SITE", n_single, 1, base + 3_600_000)
        elapsed, st = _run_ingest(broker, dsn, single, n_single, home)
        ingest_rate = n_single / elapsed
        site = "S" + uuid.uuid4().hex[:8]
        bare_rate = asyncio.run(
            _bare_subscriber(
                broker, [(t.replace("/SITE/", f"/{site}/"), b) for t, b in single], site
            )
        )
        results["unbatched_msgs"] = n_single
        results["unbatched_msgs_per_s"] = round(ingest_rate)
        results["bare_subscriber_msgs_per_s"] = round(bare_rate)
        results["unbatched_vs_bare_ratio"] = round(ingest_rate / bare_rate, 3)
        print(
            f"unbatched: ingestor {ingest_rate:,.0f} msgs/s, bare subscriber "
            f"{bare_rate:,.0f} msgs/s, ratio {ingest_rate / bare_rate:.2f}"
        )

        lat = _latency(broker, dsn, home, 10 if quick else 30)
        results["latency_at_readings_per_s"] = 10_000
        results["latency_p50_ms"] = round(lat["p50_ms"], 1)
        results["latency_p99_ms"] = round(lat["p99_ms"], 1)
        print(
            f"latency at 10,000 readings/s: p50 {lat['p50_ms']:.1f} ms, "
            f"p99 {lat['p99_ms']:.1f} ms over {lat['messages']} messages"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
