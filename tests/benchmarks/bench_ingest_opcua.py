"""OPC UA at scale: a server with 10,000+ variable nodes browsed and subscribed by the ingestor
without blocking the event loop; then data changes landed.

Figures: nodes, browse+subscribe seconds, the longest stall of the ingest event loop while
doing it and afterwards, under the initial burst of 10,000+ values and 2,000 changes/s (a 10 ms
ticker on that loop measures its own lateness; the asyncua client runs in a thread and loop of
its own), and data changes landed per second.
Run: .venv/bin/python -m tests.benchmarks.bench_ingest_opcua [--machines 1000]
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from ingestion.stream.config import INSECURE, OpcuaServer, VariableMap
from ingestion.stream.machines import load_machines
from ingestion.stream.opcua import OpcuaIngestor
from tests.benchmarks._ingest_harness import landing_zone
from tests.conftest import free_port
from tests.integration.opcua_support import PlantTestServer

VARS = [
    "Temperature",
    "Pressure",
    "Vibration",
    "RfPower",
    "GasFlow",
    "Power",
    "Humidity",
    "CycleTime",
    "GoodCount",
    "ScrapCount",
]


def _seed_machines(dsn: str, n: int) -> None:
    """Register n extra ETCH machines so every browsed object is a known machine."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO landing.machine SELECT 'X-' || lpad(g::text, 5, '0'), site_id, area_id, "
            "machine_type, ideal_cycle_time_s, efficiency, temperature_max, vibration_max "
            "FROM landing.machine, generate_series(1, %s) g WHERE machine_id = 'ETCH-01'",
            (n,),
        )
        conn.commit()


async def _serve(port: int, n_machines: int, writes_per_s: int) -> None:
    """Server process: build the address space, say ready, then keep values moving."""
    machines = {f"X-{i:05d}": VARS for i in range(1, n_machines + 1)}
    server = await PlantTestServer(port, machines).start()
    print("ready", flush=True)
    nodes = list(server.nodes)
    i = 0
    while True:
        t = time.monotonic()
        for _ in range(writes_per_s):
            machine, var = nodes[i % len(nodes)]
            await server.write(machine, var, float(i))
            i += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - t)))


async def _run(dsn: str, n_machines: int, seconds: float) -> dict:
    port = free_port()
    t = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.bench_ingest_opcua",
            "--serve",
            str(port),
            str(n_machines),
            "2000",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        print(
            f"server with {n_machines * len(VARS):,} variables up in "
            f"{time.monotonic() - t:.1f}s (separate process)"
        )
        return await _ingest(dsn, f"opc.tcp://127.0.0.1:{port}/fab/", seconds)
    finally:
        proc.kill()
        proc.wait()


async def _ingest(dsn: str, url: str, seconds: float) -> dict:
    with psycopg.connect(dsn) as conn:
        known = load_machines(conn)
    cfg = OpcuaServer(
        name="big",
        url=url,
        publishing_interval_ms=500,
        variables={v: VariableMap(metric=v.lower()) for v in VARS},
        security=INSECURE,  # the benchmark's server has no security: this measures browsing
    )
    ing = OpcuaIngestor(cfg, url, dsn, known, Path(tempfile.mkdtemp()) / "spool")
    stall = 0.0

    async def ticker() -> None:
        nonlocal stall
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            stall = max(stall, now - last - 0.01)
            last = now

    tick = asyncio.create_task(ticker())
    t0 = time.monotonic()
    task = asyncio.create_task(ing.run())
    await asyncio.wait_for(ing.subscribed.wait(), 600)
    setup_s = time.monotonic() - t0
    setup_stall, stall = stall, 0.0
    print(
        f"browsed and subscribed {len(ing.bindings):,} nodes in {setup_s:.1f}s, "
        f"longest loop stall {setup_stall * 1000:.0f} ms"
    )
    deadline = time.monotonic() + 60  # the initial value of every node lands first
    while ing.pipeline.stats.rows_total < len(ing.bindings) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    start_rows, t1 = ing.pipeline.stats.rows_total, time.monotonic()
    await asyncio.sleep(seconds)
    rate = (ing.pipeline.stats.rows_total - start_rows) / (time.monotonic() - t1)
    print(
        f"data changes landed: {rate:,.0f}/s (server writes 2,000/s); longest loop stall after "
        f"setup {stall * 1000:.0f} ms"
    )
    ing.stop()
    await task
    tick.cancel()
    return {
        "nodes": len(ing.bindings),
        "browse_subscribe_s": round(setup_s, 2),
        "max_loop_stall_ms": round(setup_stall * 1000, 1),
        "max_loop_stall_after_setup_ms": round(stall * 1000, 1),
        "data_changes_landed_per_s": round(rate),
        "server_writes_per_s": 2000,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    if "--serve" in sys.argv:
        at = sys.argv.index("--serve")
        port, n, rate = (int(x) for x in sys.argv[at + 1 : at + 4])
        asyncio.run(_serve(port, n, rate))
        return
    n = int(sys.argv[sys.argv.index("--machines") + 1]) if "--machines" in sys.argv else 1000
    with landing_zone() as dsn:
        _seed_machines(dsn, n)
        result = asyncio.run(_run(dsn, n, 10.0))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
