"""Warehouse build speed: one plant-local day of fab50 from the landing zone into the facts (chDB),
and a 30-day, all-machine board query on the facts.

1. The simulator backfills fab50 into a fresh landing database for the plant-local day (plus an
   hour before it) at ``--rate`` Hz per metric for ``--hours`` of the day (default: the whole
   day at 1 Hz, about 35 million readings). Generating that is the simulator's cost and is
   reported separately; a scaled-down run (``--hours`` / ``--rate``) reports the same figures
   and an extrapolation to the full day, linear in readings (the sensor aggregation dominates
   and is a single scan).
2. Timed: schema + dimensions + every fact of that day, through ``warehouse.build`` on chDB.
3. The day's facts are copied to 29 earlier days inside the warehouse, then the board query
   (warehouse/sql/queries/board_oee_30d.sql) runs ``--repeat`` times over the 30 days.

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fabstack.calendar import day_window
from tests.conftest import create_database, drop_database
from warehouse.build import (
    DIMS,
    FACT_TIME_COLUMN,
    FACTS,
    build_dim,
    build_fact,
    ensure_schema,
)
from warehouse.client import ChdbWarehouse

DAY = date(2026, 11, 10)
TZ = "Europe/Berlin"
FULL_DAY_READINGS = 35_000_000  # the figure for fab50 at 1 Hz


def backfill(dsn: str, hours: float, rate: float) -> tuple[int, float]:
    from ingestion.simulator.backfill import run_backfill

    start, _ = day_window(DAY, TZ)
    end = start + timedelta(hours=hours)
    began = time.perf_counter()
    summary = run_backfill(dsn, "fab50", (hours + 1) / 24, 42, end, sensor_rate_hz=rate)
    return summary.readings, time.perf_counter() - began


def landing_readings(dsn: str) -> int:
    import psycopg

    start, end = day_window(DAY, TZ)
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT count(*) FROM landing.sensor_reading WHERE ts >= %s AND ts < %s", (start, end)
        ).fetchone()[0]


def copy_to_earlier_days(wh: ChdbWarehouse, days: int) -> None:
    """Fill 29 more days by shifting the built day's rows back one day at a time."""
    for table in FACTS:
        columns = wh.query(
            "SELECT name, type FROM system.columns WHERE database = 'fab' AND table = {t:String} "
            "ORDER BY position",
            {"t": table},
        ).rows()
        shifted = []
        for name, kind in columns:
            if name == "day" or kind.startswith("Date") and name == "shift_date":
                shifted.append(f"{name} - {{n:UInt32}}")
            elif kind.startswith("DateTime") and name in (
                FACT_TIME_COLUMN[table],
                "end_ts",
                "track_in_ts",
                "track_out_ts",
                "ts",
            ):
                shifted.append(f"{name} - toIntervalDay({{n:UInt32}})")
            else:
                shifted.append(name)
        for n in range(1, days):
            wh.command(
                f"INSERT INTO fab.{table} SELECT {', '.join(shifted)} FROM fab.{table} "
                "WHERE day = {day:Date}",
                {"n": n, "day": DAY},
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0, help="hours of the day to simulate")
    parser.add_argument("--rate", type=float, default=1.0, help="sensor readings per s per metric")
    parser.add_argument("--repeat", type=int, default=20, help="board query repetitions")
    parser.add_argument("--keep", action="store_true", help="keep the landing database")
    args = parser.parse_args()

    dsn = create_database("whbench")
    home = Path(tempfile.mkdtemp(prefix="whbench_"))
    try:
        generated, backfill_s = backfill(dsn, args.hours, args.rate)
        readings = landing_readings(dsn)
        print(
            f"backfill: {generated:,} readings generated in {backfill_s:.1f} s; "
            f"{readings:,} readings in the plant-local day {DAY}",
            flush=True,
        )

        wh = ChdbWarehouse(home / "warehouse")
        began = time.perf_counter()
        ensure_schema(wh)
        for name in DIMS:
            build_dim(wh, name, dsn, TZ)
        dims_s = time.perf_counter() - began
        fact_s: dict[str, float] = {}
        fact_rows: dict[str, int] = {}
        for name in FACTS:
            t0 = time.perf_counter()
            stats = build_fact(wh, name, DAY, dsn, TZ, now=datetime.now(UTC))
            fact_s[name] = round(time.perf_counter() - t0, 2)
            fact_rows[name] = stats.rows
            print(f"  {name}: {stats.rows:,} rows in {fact_s[name]:.2f} s", flush=True)
        build_s = time.perf_counter() - began
        rows_per_s = readings / build_s
        # Extrapolate only the part that scales with readings (sensor minutes); the rest is
        # per day and fixed.
        fixed_s = build_s - fact_s["fact_sensor_minute"]
        sensor_rate = readings / fact_s["fact_sensor_minute"]
        full_day_s = fixed_s + FULL_DAY_READINGS / sensor_rate
        print(
            f"build: {build_s:.1f} s wall ({dims_s:.1f} s dims), {rows_per_s:,.0f} readings/s; "
            f"full day of {FULL_DAY_READINGS:,} readings extrapolated: {full_day_s:.0f} s"
        )

        copy_to_earlier_days(wh, 30)
        first, last = DAY - timedelta(days=29), DAY
        latencies = []
        result_rows = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            frame = wh.query_file("queries/board_oee_30d.sql", {"first": first, "last": last})
            latencies.append((time.perf_counter() - t0) * 1000)
            result_rows = frame.height
        latencies.sort()
        p50 = latencies[len(latencies) // 2]
        p_max = latencies[-1]
        print(
            f"board query, 30 days x all machines: {result_rows} rows, "
            f"p50 {p50:.0f} ms, max {p_max:.0f} ms over {args.repeat} runs"
        )
        wh.close()
        print(
            json.dumps(
                {
                    "plant": "fab50",
                    "day": DAY.isoformat(),
                    "hours_simulated": args.hours,
                    "sensor_rate_hz": args.rate,
                    "readings_in_day": readings,
                    "backfill_seconds": round(backfill_s, 1),
                    "build_seconds": round(build_s, 2),
                    "dims_seconds": round(dims_s, 2),
                    "fact_seconds": fact_s,
                    "fact_rows": fact_rows,
                    "build_readings_per_s": round(rows_per_s),
                    "sensor_minute_readings_per_s": round(sensor_rate),
                    "full_day_readings": FULL_DAY_READINGS,
                    "full_day_build_seconds_extrapolated": round(full_day_s, 1),
                    "target_build_seconds": 120,
                    "board_query_rows": result_rows,
                    "board_query_p50_ms": round(p50, 1),
                    "board_query_max_ms": round(p_max, 1),
                    "target_board_query_ms": 1000,
                }
            )
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if not args.keep:
            drop_database(dsn)


if __name__ == "__main__":
    main()
