"""Data-quality gate speed: one plant-local day of the demo plant at 1 Hz through every suite.

Backfills ``--hours`` (default 24, ending at a Berlin midnight) of the demo plant into a fresh
database, then times ``validate_day`` over that day twice (the first run includes importing
great-expectations). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, date, datetime

import psycopg

from assets.data_quality.gate import validate_day
from assets.data_quality.landing_day import DayWindow
from ingestion.simulator.backfill import run_backfill
from tests.conftest import create_database, drop_database

DAY = date(2026, 11, 15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--rate", type=float, default=1.0, help="readings per second per metric")
    args = parser.parse_args()
    window = DayWindow.of(DAY, "Europe/Berlin")
    dsn = create_database("dqbench")
    try:
        began = time.perf_counter()
        run_backfill(dsn, "demo", args.hours / 24, 42, window.end, sensor_rate_hz=args.rate)
        backfill_s = time.perf_counter() - began
        timings = []
        for _ in range(2):
            began = time.perf_counter()
            with psycopg.connect(dsn) as conn:
                report = validate_day(conn, window, now=datetime.now(UTC))
            timings.append(time.perf_counter() - began)
        readings = report.row_counts["sensor_reading"]
        rows = sum(report.row_counts.values())
        print(f"backfill {backfill_s:.1f} s; gate {timings[0]:.2f} s cold, {timings[1]:.2f} s warm")
        print(
            f"rows checked {rows} ({readings} readings); blocking pass: {report.blocking_success}"
        )
        print(
            json.dumps(
                {
                    "plant": "demo",
                    "hours": args.hours,
                    "rate_hz": args.rate,
                    "rows_checked": rows,
                    "readings_checked": readings,
                    "gate_cold_s": round(timings[0], 2),
                    "gate_warm_s": round(timings[1], 2),
                    "rows_per_s_warm": round(rows / timings[1]),
                    "blocking_checks_pass": report.blocking_success,
                }
            )
        )
    finally:
        drop_database(dsn)


if __name__ == "__main__":
    main()
