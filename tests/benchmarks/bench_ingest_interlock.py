"""Interlock reaction time: offending reading published -> stop command received, p50/p99.

One `fab ingest mqtt` process under background telemetry load (5,000 readings/s); every 50 ms
an ETCH-01 temperature reading alternates between an excursion (> 188.0 °C, each value unique)
and a return inside the re-arm margin, so every excursion trips once. Times are measured at a
separate subscriber on the machine's command topic, so they include both broker hops (an upper
bound on arrival -> stop inside the ingestor).
Run: .venv/bin/python -m tests.benchmarks.bench_ingest_interlock [--quick]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiomqtt
import orjson

from tests.benchmarks._ingest_harness import (
    landing_zone,
    private_broker,
    start_ingestor,
    stop,
    telemetry,
    wait_connected,
    wait_status,
)

RULES = """rules:
  - {id: ETCH_OVERTEMP, machine_type: ETCH, metric: temperature, op: ">", threshold: 188.0,
     rearm_margin: 1.0, cooldown_s: 0}
"""


async def _scenario(broker: tuple[str, int], site: str, trips: int) -> list[float]:
    sent: dict[str, float] = {}
    latencies: list[float] = []
    topic = f"fab/v1/{site}/ETCH/ETCH-01/telemetry"
    async with (
        aiomqtt.Client(*broker, identifier=f"il-sub-{site}") as sub,
        aiomqtt.Client(*broker, identifier=f"il-pub-{site}") as pub,
    ):
        sub.pending_calls_threshold = pub.pending_calls_threshold = 1 << 30
        await sub.subscribe(f"fab/v1/{site}/ETCH/ETCH-01/command", qos=1)

        async def listen() -> None:
            async for m in sub.messages:
                got = time.monotonic()
                reason = orjson.loads(m.payload)["reason"]
                value = reason.split(" ")[3]
                if value in sent:
                    latencies.append(got - sent.pop(value))
                if len(latencies) == trips:
                    return

        async def background() -> None:
            i = 0
            while True:  # 50 msgs/s x 100 readings on other machines
                await pub.publish(
                    f"fab/v1/{site}/DEP/DEP-01/telemetry",
                    telemetry(i, int(time.time() * 1000), 100),
                    qos=1,
                )
                i += 1
                await asyncio.sleep(0.02)

        listener = asyncio.create_task(listen())
        load = asyncio.create_task(background())
        seq = 0
        for k in range(trips):
            value = round(188.5 + k / 1000, 3)
            hot = orjson.dumps(
                {
                    "ts": int(time.time() * 1000),
                    "seq": seq,
                    "readings": [{"metric": "temperature", "value": value}],
                }
            )
            sent[f"{value:g}"] = time.monotonic()
            await pub.publish(topic, hot, qos=1)
            await asyncio.sleep(0.05)
            cool = orjson.dumps(
                {
                    "ts": int(time.time() * 1000),
                    "seq": seq + 1,
                    "readings": [{"metric": "temperature", "value": 180.0}],
                }
            )
            await pub.publish(topic, cool, qos=1)
            await asyncio.sleep(0.05)
            seq += 2
        await asyncio.wait_for(listener, 30)
        load.cancel()
    return latencies


def main() -> None:
    trips = 50 if "--quick" in sys.argv else 200
    home = Path(tempfile.mkdtemp(prefix="bench_interlock_"))
    rules = home / "interlocks.yaml"
    rules.write_text(RULES)
    site = "I" + uuid.uuid4().hex[:8]
    with landing_zone() as dsn, private_broker() as private:
        proc = start_ingestor(
            dsn,
            site,
            f"bench-{site}",
            f"g{site}",
            home,
            "--interlocks",
            str(rules),
            "--batch-age-ms",
            "20",
            broker=private.address,
        )
        try:
            wait_connected(dsn, 1, [proc])
            lat = asyncio.run(_scenario(private.address, site, trips))
            st = wait_status(dsn, lambda s: s["interlocks_total"] >= trips)
        finally:
            stop([proc])
    lat_ms = sorted(x * 1000 for x in lat)
    p50 = statistics.median(lat_ms)
    p99 = lat_ms[min(len(lat_ms) - 1, int(0.99 * len(lat_ms)))]
    print(
        f"{len(lat_ms)} trips: reading published -> stop received p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, max {lat_ms[-1]:.1f} ms; ingestor counted "
        f"{st['interlocks_total']} interlocks"
    )
    print(
        json.dumps(
            {
                "trips": len(lat_ms),
                "interlock_p50_ms": round(p50, 1),
                "interlock_p99_ms": round(p99, 1),
                "interlock_max_ms": round(lat_ms[-1], 1),
                "background_readings_per_s": 5000,
                "interlocks_recorded": st["interlocks_total"],
            }
        )
    )


if __name__ == "__main__":
    main()
