"""Backfill speed: simulated readings landed per second into PostgreSQL (fresh databases).

Runs (1) the demo plant for ``--demo-days`` (default 1) and (2) fab50 for ``--fab50-hours``
(default 3), both at 1 Hz per metric, each into a new database, plus an idempotent re-run.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

import psycopg

from ingestion.simulator.backfill import run_backfill
from tests.conftest import create_database, drop_database

END = datetime(2026, 11, 16, 0, tzinfo=UTC)
TABLES = (
    "sensor_reading",
    "machine_state",
    "production_count",
    "lot_move",
    "process_measurement",
    "inspection",
    "defect",
    "alarm",
    "interlock_event",
    "lot",
    "wafer",
)


def one(plant: str, days: float, rate: float, counts: bool) -> dict:
    dsn = create_database("simbench")
    try:
        summary = run_backfill(dsn, plant, days, 42, END, sensor_rate_hz=rate)
        began = time.perf_counter()
        run_backfill(dsn, plant, days, 42, END, sensor_rate_hz=rate)
        rerun_s = time.perf_counter() - began
        out = {
            "plant": plant,
            "days": days,
            "rate_hz": rate,
            "readings": summary.readings,
            "readings_per_s": round(summary.readings_per_s),
            "sensor_seconds": round(summary.sensor_seconds, 2),
            "total_seconds": round(summary.seconds, 2),
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
    demo = one("demo", args.demo_days, args.rate, args.counts)
    fab50 = one("fab50", args.fab50_hours / 24, args.rate, args.counts)
    total = demo["readings"] + fab50["readings"]
    seconds = demo["sensor_seconds"] + fab50["sensor_seconds"]
    print(
        json.dumps(
            {
                "demo_readings_per_s": demo["readings_per_s"],
                "demo_days": args.demo_days,
                "demo_total_seconds": demo["total_seconds"],
                "fab50_readings_per_s": fab50["readings_per_s"],
                "fab50_hours": args.fab50_hours,
                "fab50_total_seconds": fab50["total_seconds"],
                "readings_per_s": round(total / seconds),
                "readings": total,
                "target_readings_per_s": 300_000,
            }
        )
    )


if __name__ == "__main__":
    main()
