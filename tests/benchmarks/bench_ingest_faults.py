"""Faults against a running `fab ingest mqtt` (issue 18 targets): a database outage, `kill -9`,
a full spool disk (a 64 KiB tmpfs) and a read-only spool directory, each while 2,000
readings/s stream in on a private Mosquitto. Prints published / landed / duplicated / lost /
dead-lettered per fault, the status counters against the tables, and the seconds from the
fault clearing until everything published so far has landed. Then the rows/s of a batch that
holds one poison row (bisection) and of the sink's anti-join write path.

The tmpfs rounds mount file systems, so they need root (they say so and are not run without).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import orjson
import psycopg

from ingestion.sink import LandingSink
from ingestion.stream.committer import Committer
from ingestion.stream.spool import Spool
from tests.benchmarks._ingest_harness import (
    allow_metrics,
    bench_metrics,
    landing_zone,
    private_broker,
    start_ingestor,
    telemetry,
)

READINGS = 100  # per message
RATE = 20  # messages/s: 2,000 readings/s, as the red team ran
SECONDS = 12  # publishing per round
FAULT_AT, FAULT_FOR = 3.0, 4.0  # seconds into the round, and how long it lasts
MACHINES = [("ETCH", "ETCH-01"), ("DEP", "DEP-01"), ("CMP", "CMP-01"), ("LITHO", "LITHO-01")]


class Publisher(threading.Thread):
    """QoS 1 at RATE messages/s for SECONDS; ``sent`` counts acknowledged publishes."""

    def __init__(self, broker: tuple[str, int], site: str, prefix: str) -> None:
        super().__init__(daemon=True)
        self.broker, self.site, self.prefix = broker, site, prefix
        self.sent = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._publish())
        except BaseException as exc:  # noqa: BLE001 - reported by the round
            self.error = exc

    async def _publish(self) -> None:
        base_ms = int(time.time() * 1000)
        async with aiomqtt.Client(*self.broker, identifier=f"pub-{uuid.uuid4().hex[:8]}") as c:
            t0 = time.monotonic()
            for i in range(RATE * SECONDS):
                delay = t0 + i / RATE - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                area, machine = MACHINES[i % len(MACHINES)]
                body = telemetry(i, base_ms + i, READINGS, metric=self.prefix)
                await c.publish(f"fab/v1/{self.site}/{area}/{machine}/telemetry", body, qos=1)
                self.sent += 1


def _landed(dsn: str, prefix: str) -> tuple[int, int] | None:
    """(rows, distinct keys) of this round's readings; None while the database refuses."""
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            return conn.execute(
                "SELECT count(*), count(DISTINCT (machine_id, metric, ts)) "
                "FROM landing.sensor_reading WHERE metric LIKE %s",
                (prefix.replace("_", r"\_") + "%",),
            ).fetchone()
    except psycopg.OperationalError:
        return None


@contextlib.contextmanager
def database_outage(dsn: str) -> Iterator[None]:
    """Refuse new connections to the landing database and cut the open ones."""
    name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    admin = psycopg.conninfo.make_conninfo(dsn, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    try:
        yield
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@contextlib.contextmanager
def tmpfs(path: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _round(name: str, dsn: str, broker: tuple[str, int], home: Path, spool: Path, fault) -> dict:
    prefix = f"{name}_{uuid.uuid4().hex[:4]}_"
    site = "F" + uuid.uuid4().hex[:8]
    client_id = f"faults-{name}-{uuid.uuid4().hex[:4]}"
    allow_metrics(dsn, bench_metrics(prefix, READINGS))
    args = (dsn, site, client_id, f"g{site}", home, "--spool-dir", str(spool))
    state = {"proc": start_ingestor(*args, broker=broker), "restart": lambda: None}
    state["restart"] = lambda: state.update(proc=start_ingestor(*args, broker=broker))
    _wait(lambda: _connected(dsn, client_id), 30, f"{name}: ingestor up")
    publisher = Publisher(broker, site, prefix)
    t0 = time.monotonic()
    publisher.start()
    time.sleep(FAULT_AT)
    with fault(state):
        time.sleep(FAULT_FOR)
    cleared, backlog = time.monotonic(), publisher.sent * READINGS
    recovered = _wait(lambda: (_landed(dsn, prefix) or (0, 0))[1] >= backlog, 60, "recovery")
    publisher.join(SECONDS + 60)
    if publisher.error:
        raise SystemExit(f"{name}: publisher failed: {publisher.error}")
    published = publisher.sent * READINGS
    _wait(lambda: (_landed(dsn, prefix) or (0, 0))[1] >= published, 60, f"{name}: all landed")
    status = _wait(lambda: _settled(dsn, client_id, site, prefix), 15, f"{name}: status settled")
    state["proc"].send_signal(signal.SIGTERM)
    asked = time.monotonic()
    rc = state["proc"].wait(30)
    rows, distinct = _landed(dsn, prefix)
    return {
        "published": published,
        "landed": rows,
        "duplicated": rows - distinct,
        "lost": published - distinct,
        "dead_lettered": status["dead_table"],
        "status_rows": status["rows_total"],
        "status_dead_letters": status["dead_letters_total"],
        "status_equals_tables": status["rows_total"] == rows
        and status["dead_letters_total"] == status["dead_table"],
        "recovery_s": round(recovered - cleared, 2),
        "round_s": round(time.monotonic() - t0, 1),
        "sigterm_exit_s": round(time.monotonic() - asked, 2),
        "exit_code": rc,
    }


def _connected(dsn: str, client_id: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT connected FROM landing.ingest_status WHERE ingestor = %s",
            (f"mqtt:{client_id}",),
        ).fetchone()
    return bool(row and row[0])


def _settled(dsn: str, client_id: str, site: str, prefix: str) -> dict | None:
    """The ingestor's counters once they equal the tables (None until then)."""
    with psycopg.connect(dsn) as conn:
        rows_total, dead_total = conn.execute(
            "SELECT rows_total, dead_letters_total FROM landing.ingest_status WHERE ingestor = %s",
            (f"mqtt:{client_id}",),
        ).fetchone()
        rows = _landed(dsn, prefix)[0]
        dead = conn.execute(
            "SELECT count(*) FROM landing.dead_letter WHERE topic LIKE %s",
            (f"fab/v1/{site}/%",),
        ).fetchone()[0]
    out = {"rows_total": rows_total, "dead_letters_total": dead_total, "dead_table": dead}
    return out if rows_total == rows else None


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value if not isinstance(value, bool) else time.monotonic()
        time.sleep(0.05)
    raise SystemExit(f"timed out after {timeout:.0f}s: {what}")


# --- poison batch and sink write path (in process) ----------------------------------------------


# Rows PostgreSQL refuses that only a producer bypassing validation (or a machine without
# metric limits, for the NUL) can send: a NUL in a text column, which binary COPY refuses
# too, and a quality beyond int4, which forces the whole first attempt to text COPY.
POISONS = {
    "nul_in_text": lambda row: (row[0], row[1], "nul\x00", row[3], row[4]),
    "int4_overflow": lambda row: (*row[:4], 1 << 40),
}


def poison_batch(dsn: str, home: Path, rows: int = 100_000, repeats: int = 3) -> dict:
    """Batches of ``rows`` readings through the committer, clean and with one poison row of
    each kind: median rows/s of each, measured alternately in the same conditions."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    committer = Committer(dsn, Spool(home / "poison-spool"), name="bench:poison")
    rates: dict[str, list[float]] = {"clean": [], **{kind: [] for kind in POISONS}}
    landed: dict[str, int] = dict.fromkeys(rates, 0)
    try:
        committer.commit({"sensor_reading": [(t0, "ETCH-01", "warm", 1.0, 0)]}, [])
        for k in range(repeats):
            for label in rates:
                metric = f"{label}{k}"
                batch = [
                    (t0 + timedelta(microseconds=i + k * rows), "ETCH-01", metric, 1.0, 0)
                    for i in range(rows)
                ]
                if label in POISONS:
                    batch[rows // 3] = POISONS[label](batch[rows // 3])
                start = time.perf_counter()
                result = committer.commit({"sensor_reading": batch}, [])
                rates[label].append(rows / (time.perf_counter() - start))
                landed[label] += result.landed
    finally:
        committer.close()
    out: dict[str, object] = {"rows_per_batch": rows, "batches_each": repeats}
    for label, values in rates.items():
        out[f"{label}_rows_per_s"] = round(statistics.median(values))
        out[f"{label}_landed"] = landed[label]
    return out


def sink_write(dsn: str, rows: int = 200_000) -> dict:
    """LandingSink.write (staged, anti-join): new rows, then the same rows again."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    batch = [(t0 + timedelta(microseconds=i), "DEP-01", "sink", 1.0, 0) for i in range(rows)]
    out = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        sink = LandingSink(conn)
        sink.write("sensor_reading", batch[:10])
        for label in ("new", "redelivered"):
            start = time.perf_counter()
            landed = sum(
                sink.write("sensor_reading", batch[i : i + 20_000]) for i in range(10, rows, 20_000)
            )
            out[f"{label}_rows_per_s"] = round((rows - 10) / (time.perf_counter() - start))
            out[f"{label}_landed"] = landed
    return out


def main() -> None:
    is_root = os.geteuid() == 0
    results: dict[str, object] = {}
    home = Path(tempfile.mkdtemp(prefix="bench_faults_"))
    with landing_zone() as dsn, private_broker() as broker:
        addr = broker.address

        @contextlib.contextmanager
        def outage(_state):
            with database_outage(dsn):
                yield

        @contextlib.contextmanager
        def kill_9(state):
            state["proc"].send_signal(signal.SIGKILL)
            state["proc"].wait(10)
            yield
            state["restart"]()  # same client id: the broker kept its session

        rounds = {
            "db_outage": (home / "spool-outage", outage),
            "kill_9": (home / "spool-kill", kill_9),
        }
        for name, (spool, fault) in rounds.items():
            results[name] = _round(name, dsn, addr, home, spool, fault)
            print(name, results[name], flush=True)
        if is_root:
            with tmpfs(home / "spool-full", "64k") as spool:
                results["spool_disk_full"] = _round("full", dsn, addr, home, spool, outage)
                print("spool_disk_full", results["spool_disk_full"], flush=True)
            with tmpfs(home / "spool-ro", "1m", read_only=True) as spool:
                results["spool_read_only"] = _round("ro", dsn, addr, home, spool, outage)
                print("spool_read_only", results["spool_read_only"], flush=True)
        else:
            results["spool_disk_full"] = results["spool_read_only"] = "not run: needs root"
        results["poison_batch"] = poison_batch(dsn, home)
        results["sink_write"] = sink_write(dsn)
    faults = [r for r in results.values() if isinstance(r, dict) and "lost" in r]
    results["all_faults"] = {
        "lost": sum(r["lost"] for r in faults),
        "duplicated": sum(r["duplicated"] for r in faults),
        "max_recovery_s": max(r["recovery_s"] for r in faults),
        "status_equals_tables": all(r["status_equals_tables"] for r in faults),
    }
    print(orjson.dumps(results).decode())


if __name__ == "__main__":
    main()
