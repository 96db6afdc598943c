"""Backfill speed: simulated readings landed per second into PostgreSQL (fresh databases).

Runs (1) the demo plant for ``--demo-days`` (default 1) and (2) fab50 for ``--fab50-hours``
(default 3), both at 1 Hz per metric, each into a new database, plus an idempotent re-run, in
every storage mode the server offers: native always, and TimescaleDB too when the extension is
installed (FAB_TEST_PG_DSN names the server), so the two rates come from the same run.
A third figure per mode: the staged path (days that already hold readings, so every reading
goes through the anti-join), the path late data and re-deliveries take.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta

import psycopg

from ingestion.landing.migrate import migrate
from ingestion.simulator.backfill import run_backfill
from ingestion.sink import LandingSink
from tests.conftest import (
    SIMULATED_EVERY_DAY,
    create_database,
    drop_database,
    pause_retention,
    server_mode,
)

END = datetime(2026, 11, 16, 0, tzinfo=UTC)
TABLES = (*SIMULATED_EVERY_DAY, "alarm", "interlock_event", "lot", "wafer")


def _database(mode: str, seed_days: tuple[datetime, ...] = ()) -> str:
    """A fresh database migrated in ``mode``; one reading on each of ``seed_days`` makes those
    days non-empty, so the backfill takes its staged (anti-join) path there."""
    dsn = create_database("simbench")
    with psycopg.connect(dsn) as conn:
        migrate(conn, mode=mode)
        pause_retention(conn)
        conn.commit()
        if seed_days:
            rows = [(d, "__bench__", "seed", 0.0, 0) for d in seed_days]
            LandingSink(conn).write("sensor_reading", rows)
    return dsn


def staged(plant: str, days: float, rate: float, mode: str) -> dict:
    """Readings per second when every day already holds a reading (anti-join path)."""
    first = END - timedelta(days=days)
    seed_days = tuple(
        first.replace(hour=0) + timedelta(days=d, minutes=1) for d in range(int(days) + 2)
    )
    dsn = _database(mode, seed_days)
    try:
        summary = run_backfill(dsn, plant, days, 42, END, sensor_rate_hz=rate)
        out = {
            "plant": plant,
            "mode": mode,
            "path": "staged",
            "readings": summary.readings,
            "readings_per_s": round(summary.readings_per_s),
        }
        print(json.dumps(out))
        return out
    finally:
        drop_database(dsn)


def one(plant: str, days: float, rate: float, counts: bool, mode: str = "native") -> dict:
    dsn = _database(mode)
    try:
        summary = run_backfill(dsn, plant, days, 42, END, sensor_rate_hz=rate)
        began = time.perf_counter()
        run_backfill(dsn, plant, days, 42, END, sensor_rate_hz=rate)
        rerun_s = time.perf_counter() - began
        out = {
            "plant": plant,
            "mode": mode,
            "days": days,
            "rate_hz": rate,
            "readings": summary.readings,
            "readings_per_s": round(summary.readings_per_s),
            "sensor_seconds": round(summary.sensor_seconds, 2),
            "total_seconds": round(summary.seconds, 2),
            "rollup_seconds": round(summary.rollup_seconds, 2),
            "rerun_seconds": round(rerun_s, 2),
        }
        if counts:
            with psycopg.connect(dsn) as conn:
                out["rows"] = {
                    t: conn.execute(f"SELECT count(*) FROM landing.{t}").fetchone()[0]
                    for t in TABLES
                }
                out["truth_rows"] = summary.truth_rows
        print(json.dumps(out))
        return out
    finally:
        drop_database(dsn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo-days", type=float, default=1.0)
    parser.add_argument("--fab50-hours", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--counts", action="store_true", help="also count rows per table")
    args = parser.parse_args()
    modes = ["native", "timescale"] if server_mode() == "timescale" else ["native"]
    figures: dict = {"modes": modes, "demo_days": args.demo_days, "fab50_hours": args.fab50_hours}
    for mode in modes:
        demo = one("demo", args.demo_days, args.rate, args.counts, mode)
        fab50 = one("fab50", args.fab50_hours / 24, args.rate, args.counts, mode)
        late = staged("demo", args.demo_days, args.rate, mode)
        total = demo["readings"] + fab50["readings"]
        seconds = demo["sensor_seconds"] + fab50["sensor_seconds"]
        prefix = "" if mode == "native" else "timescale_"
        figures |= {
            f"{prefix}demo_readings_per_s": demo["readings_per_s"],
            f"{prefix}demo_total_seconds": demo["total_seconds"],
            f"{prefix}demo_rollup_seconds": demo["rollup_seconds"],
            f"{prefix}fab50_readings_per_s": fab50["readings_per_s"],
            f"{prefix}fab50_total_seconds": fab50["total_seconds"],
            f"{prefix}readings_per_s": round(total / seconds),
            f"{prefix}staged_readings_per_s": late["readings_per_s"],
            f"{prefix}readings": total,
        }
    if "timescale" in modes:  # the target: at least half the native rate
        figures["timescale_to_native"] = round(
            figures["timescale_readings_per_s"] / figures["readings_per_s"], 2
        )
        figures["target_timescale_to_native"] = 0.5
    figures["target_readings_per_s"] = 300_000
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
