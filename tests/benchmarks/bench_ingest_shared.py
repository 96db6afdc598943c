"""Two `fab ingest mqtt` processes on one shared subscription vs one process: consumer speed.

The backlog is loaded before any ingestor runs, so the publisher is not what is measured:
1. the ingestors' persistent sessions are created (client id, clean_start off, a session
   expiry, QoS 1 on `$share/<group>/fab/v1/<site>/#`) and left disconnected;
2. the messages (100 readings each) go into a private Mosquitto (unbounded queues, no
   persistence; the system broker's max_queued_messages would drop most of them), which hands
   a shared subscription's messages round-robin to the group's sessions, offline ones too;
3. the ingestor processes start and drain their queues. The figure is readings committed
   between the first and the last commit seen, from an index probe on the landing zone every
   50 ms (each message has one reading named `<site>_0`; a message's rows commit together).
Checks: rows == readings published == distinct keys (no loss, no duplicate), and every message
counted by exactly one process. The JSON also holds, per round, the cores each party kept
busy during the drain (ingestors, their PostgreSQL backends, PostgreSQL's background
processes, Mosquitto, the benchmark's probe, anything else on the box), the CPU microseconds
each spends per reading, and the machine's ceiling: all cores busy with nothing but the
ingest path. One process leaves cores idle (one commit in flight: its backend waits on the
ingestor and the other way round); two fill them. Everything shares 2 cores here, so other
load on the box shows as "other" and skews the figures: compare runs where it is near 0.
Run: .venv/bin/python -m tests.benchmarks.bench_ingest_shared [--quick]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiomqtt
import psycopg
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.benchmarks import _ingest_harness as harness

MACHINES = [("ETCH", "ETCH-01"), ("ETCH", "ETCH-02"), ("DEP", "DEP-01"), ("CMP", "CMP-01")]
READINGS = 100
PROBE_EVERY_S = 0.05  # resolution of the drain time; each probe is one index range count


async def _prime_sessions(broker: tuple[str, int], client_ids: list[str], share: str) -> None:
    """Create each ingestor's persistent session with its subscription, then disconnect."""
    for cid in client_ids:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600  # as `fab ingest mqtt` asks for by default
        async with aiomqtt.Client(
            *broker,
            identifier=cid,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False,
            properties=props,
        ) as client:
            await client.subscribe(share, qos=1)


def _checkpoint(dsn: str) -> None:
    """Start each drain just after a checkpoint, so a timed one (and the full-page images it
    brings) does not land in one round only."""
    # not a superuser: skipped, and the rounds may differ a little more
    with (
        psycopg.connect(dsn, autocommit=True) as conn,
        contextlib.suppress(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("CHECKPOINT")


class Drain:
    """Committed messages, counted cheaply: rows of the one `<site>_0` reading per message."""

    def __init__(self, dsn: str, site: str, procs: list[subprocess.Popen]) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.site = site
        self.procs = procs
        self.machines = [m for _, m in MACHINES]

    def landed(self) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM landing.sensor_reading WHERE machine_id = ANY(%s) "
            "AND metric = %s",
            (self.machines, f"{self.site}_0"),
        ).fetchone()[0]

    def wait(self, messages: int, timeout: float) -> tuple[float, int]:
        """(time, landed) once at least ``messages`` are committed; exits after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            landed = self.landed()
            now = time.monotonic()
            if landed >= messages:
                return now, landed
            for p in self.procs:
                if p.poll() is not None:
                    raise SystemExit(f"ingestor exited with {p.returncode}")
            if now > deadline:
                raise SystemExit(f"{landed} of {messages} messages landed after {timeout:.0f}s")
            time.sleep(PROBE_EVERY_S)

    def parties(self, broker: harness.PrivateBroker) -> dict[str, list[int]]:
        """pids of each party: the ingestors, their PostgreSQL backends, PostgreSQL's own
        processes (WAL writer, checkpointer...: work the ingest causes too), Mosquitto, and
        the benchmark itself (this process and the probe's backend)."""
        rows = self.conn.execute(
            "SELECT pid, backend_type, datname = current_database() FROM pg_stat_activity"
        ).fetchall()
        probe = self.conn.info.backend_pid
        out = {f"ingestor_{k}": [p.pid] for k, p in enumerate(self.procs)}
        out["mosquitto"] = [broker.pid]
        out["postgres_ingest"] = [pid for pid, _, ours in rows if ours and pid != probe]
        out["postgres_background"] = [pid for pid, kind, _ in rows if kind != "client backend"]
        out["benchmark"] = [os.getpid(), probe]
        return out

    def close(self) -> None:
        self.conn.close()


def _round(broker: harness.PrivateBroker, home: Path, processes: int, n: int, base_ms: int) -> dict:
    site = "H" + uuid.uuid4().hex[:8]
    group = f"g{site}"
    ids = [f"bench-{site}-{k}" for k in range(processes)]
    msgs = [
        (
            f"fab/v1/{site}/{MACHINES[i % 4][0]}/{MACHINES[i % 4][1]}/telemetry",
            harness.telemetry(i, base_ms + i, READINGS, metric=f"{site}_"),
        )
        for i in range(n)
    ]
    with harness.landing_zone() as dsn:
        harness.allow_metrics(dsn, harness.bench_metrics(f"{site}_", READINGS))
        asyncio.run(_prime_sessions(broker.address, ids, f"$share/{group}/fab/v1/{site}/#"))
        t = time.monotonic()
        asyncio.run(harness.publish_all(msgs, None, broker=broker.address))
        publish_s = time.monotonic() - t
        _checkpoint(dsn)
        procs = [
            harness.start_ingestor(dsn, site, cid, group, home, broker=broker.address)
            for cid in ids
        ]
        drain = Drain(dsn, site, procs)
        try:
            t_first, first = drain.wait(1, 120)
            before = harness.cpu_snapshot(drain.parties(broker))
            t_last, _ = drain.wait(n, 600)
            after = harness.cpu_snapshot(drain.parties(broker))
        finally:
            drain.close()
            harness.stop(procs)
        names = {f"mqtt:{c}" for c in ids}
        per_process = [r["messages_total"] for r in harness.status(dsn) if r["ingestor"] in names]
        with psycopg.connect(dsn) as conn:
            rows, distinct = conn.execute(
                "SELECT count(*), count(DISTINCT (machine_id, metric, ts)) FROM "
                "landing.sensor_reading WHERE metric LIKE %s",
                (f"{site}_%",),
            ).fetchone()
    drained = (n - first) * READINGS
    cpu = harness.cpu_breakdown(before, after)
    _cost(cpu, drained)
    return {
        "processes": processes,
        "readings": n * READINGS,
        "publish_s": round(publish_s, 2),
        "drain_s": round(t_last - t_first, 2),
        "readings_per_s": round(drained / (t_last - t_first)),
        "rows": rows,
        "distinct_rows": distinct,
        "messages_counted": sum(per_process),
        "per_process_messages": per_process,
        "cpu": cpu,
    }


def _cost(cpu: dict, readings: int) -> None:
    """Add CPU microseconds per reading landed, per party (contention changes the cores a
    party gets, much less what a reading costs it), and the machine ceiling they imply."""
    us = {
        party: cores * cpu["window_s"] / readings * 1e6
        for party, cores in cpu["cores_by_party"].items()
        if party not in ("other", "benchmark")
    }
    us["ingestors"] = sum(v for k, v in us.items() if k.startswith("ingestor_"))
    path = sum(v for k, v in us.items() if k != "ingestors")
    cpu["us_per_reading"] = {**{k: round(v, 2) for k, v in us.items()}, "path": round(path, 2)}
    # every core busy with nothing but the ingest path
    cpu["machine_ceiling_readings_per_s"] = round(cpu["cores_available"] * 1e6 / path)


def main() -> None:
    n = 2_000 if "--quick" in sys.argv else 10_000
    home = Path(tempfile.mkdtemp(prefix="bench_shared_"))
    base = int(time.time() * 1000) - 7_200_000
    load_before = os.getloadavg()
    with harness.private_broker() as broker:
        one = _round(broker, home, 1, n, base)
        two = _round(broker, home, 2, n, base + 1_000_000)
    for r in (one, two):
        print(
            f"{r['processes']} process(es): drained {r['readings']:,} readings in "
            f"{r['drain_s']:.2f}s = {r['readings_per_s']:,}/s (backlog published in "
            f"{r['publish_s']:.1f}s beforehand); rows {r['rows']:,} (distinct "
            f"{r['distinct_rows']:,}); messages per process {r['per_process_messages']}; "
            f"cores busy during the drain {r['cpu']['cores_busy']} of "
            f"{r['cpu']['cores_available']}: {r['cpu']['cores_by_party']}"
        )
    lossless = all(
        r["rows"] == r["readings"] == r["distinct_rows"] and r["messages_counted"] == n
        for r in (one, two)
    )
    speedup = two["readings_per_s"] / one["readings_per_s"]
    print(f"speed-up with two processes: {speedup:.2f}x; no loss, no duplicates: {lossless}")
    for r in (one, two):
        print(
            f"{r['processes']} process(es): CPU per reading (us) {r['cpu']['us_per_reading']}; "
            f"machine ceiling {r['cpu']['machine_ceiling_readings_per_s']:,} readings/s"
        )
    print(
        json.dumps(
            {
                "one_process_readings_per_s": one["readings_per_s"],
                "two_processes_readings_per_s": two["readings_per_s"],
                "speedup": round(speedup, 2),
                "no_loss_no_duplicates": lossless,
                "two_process_message_split": two["per_process_messages"],
                "readings_per_round": n * READINGS,
                "cpu_one_process": one["cpu"],
                "cpu_two_processes": two["cpu"],
                "load_average_before_after": [
                    round(load_before[0], 2),
                    round(os.getloadavg()[0], 2),
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
