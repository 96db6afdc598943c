"""Two `fab ingest mqtt` processes on one shared subscription vs one process.

Same batched load (100 readings per message) through `$share/<group>/...`; figures: readings/s
for one and for two processes, the speed-up, and the checks that nothing was lost or landed
twice (rows == readings published, each message counted by exactly one process).
Note: this machine has 2 cores shared by the publisher, Mosquitto, PostgreSQL and both
ingestors, so the speed-up is bounded by the hardware, not by the protocol.
Run: .venv/bin/python -m tests.benchmarks.bench_ingest_shared [--quick]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from tests.benchmarks._ingest_harness import (
    LandedCounter,
    landing_zone,
    publish_all,
    start_ingestor,
    status,
    stop,
    telemetry,
    wait_connected,
)

MACHINES = [("ETCH", "ETCH-01"), ("ETCH", "ETCH-02"), ("DEP", "DEP-01"), ("CMP", "CMP-01")]


def _round(dsn: str, home: Path, processes: int, n: int, base_ms: int) -> dict:
    site = "H" + uuid.uuid4().hex[:8]
    ids = [f"bench-{site}-{k}" for k in range(processes)]
    msgs = [
        (
            f"fab/v1/{site}/{MACHINES[i % 4][0]}/{MACHINES[i % 4][1]}/telemetry",
            telemetry(i, base_ms + i, 100, metric=f"{site}_"),
        )
        for i in range(n)
    ]
    procs = [start_ingestor(dsn, site, cid, f"g{site}", home) for cid in ids]
    try:
        wait_connected(dsn, processes, procs)
        counter = LandedCounter(dsn, ids)
        t0 = asyncio.run(publish_all(msgs, counter))
        deadline = time.monotonic() + 300
        while counter.rows < n * 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        elapsed = time.monotonic() - t0
        counter.close()
    finally:
        stop(procs)
    rows = [s for s in status(dsn) if s["ingestor"] in {f"mqtt:{c}" for c in ids}]
    with psycopg.connect(dsn) as conn:
        landed = conn.execute(
            "SELECT count(*), count(DISTINCT (machine_id, metric, ts)) FROM "
            "landing.sensor_reading WHERE metric LIKE %s",
            (f"{site}_%",),
        ).fetchone()
    return {
        "processes": processes,
        "readings": n * 100,
        "seconds": elapsed,
        "readings_per_s": n * 100 / elapsed,
        "rows": landed[0],
        "distinct_rows": landed[1],
        "messages_counted": sum(r["messages_total"] for r in rows),
        "per_process_messages": [r["messages_total"] for r in rows],
    }


def main() -> None:
    n = 1_000 if "--quick" in sys.argv else 5_000
    home = Path(tempfile.mkdtemp(prefix="bench_shared_"))
    base = int(time.time() * 1000) - 7_200_000
    with landing_zone() as dsn:
        one = _round(dsn, home, 1, n, base)
        two = _round(dsn, home, 2, n, base + 1_000_000)
    for r in (one, two):
        print(
            f"{r['processes']} process(es): {r['readings']:,} readings in {r['seconds']:.2f}s = "
            f"{r['readings_per_s']:,.0f}/s; rows {r['rows']:,} (distinct "
            f"{r['distinct_rows']:,}); messages per process {r['per_process_messages']}"
        )
    lossless = all(
        r["rows"] == r["readings"] == r["distinct_rows"] and r["messages_counted"] == n
        for r in (one, two)
    )
    speedup = two["readings_per_s"] / one["readings_per_s"]
    print(f"speed-up with two processes: {speedup:.2f}x; no loss, no duplicates: {lossless}")
    print(
        json.dumps(
            {
                "one_process_readings_per_s": round(one["readings_per_s"]),
                "two_processes_readings_per_s": round(two["readings_per_s"]),
                "speedup": round(speedup, 2),
                "no_loss_no_duplicates": lossless,
                "two_process_message_split": two["per_process_messages"],
                "cores": 2,
            }
        )
    )


if __name__ == "__main__":
    main()
