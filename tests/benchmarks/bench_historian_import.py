"""Historian import speed: readings per second from Parquet into PostgreSQL (`fab import
readings`), beside the raw COPY rate of the same rows into the same table measured in the same
run (binary COPY of ready tuples, no reading or validation), plus an idempotent re-run.

Each measurement starts from an empty database. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

from ingestion.historian import ImportOptions, import_files
from ingestion.sink import LandingSink
from tests.conftest import drop_database, migrated_and_seeded


def make_parquet(path: Path, rows: int, seed: int = 7) -> None:
    """``rows`` readings of the demo plant's machines and metrics, 1 s apart per pair."""
    with psycopg.connect(migrated_and_seeded_dsn) as conn:
        pairs = conn.execute(
            "SELECT machine_id, metric, setpoint FROM landing.machine_metric_limit"
        ).fetchall()
    rng = np.random.default_rng(seed)
    per_pair = -(-rows // len(pairs))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    offsets = np.tile(np.arange(per_pair), len(pairs))[:rows]
    which = np.repeat(np.arange(len(pairs)), per_pair)[:rows]
    frame = pl.DataFrame(
        {
            "ts": pl.Series([start], dtype=pl.Datetime("us", "UTC")).repeat_by(rows).explode()
            + pl.Series(offsets * 1_000_000).cast(pl.Duration("us")),
            "machine": [pairs[i][0] for i in which],
            "metric": [pairs[i][1] for i in which],
            "value": np.array([pairs[i][2] for i in which]) + rng.normal(0, 0.01, rows),
        }
    )
    frame.write_parquet(path)


def raw_copy(dsn: str, path: Path) -> float:
    frame = pl.read_parquet(path).with_columns(pl.lit(0).alias("quality"))
    rows = frame.rows()
    with psycopg.connect(dsn, autocommit=True) as conn:
        sink = LandingSink(conn)
        began = time.perf_counter()
        sink.write_optimistic("sensor_reading", rows)
        return time.perf_counter() - began


def timed_import(dsn: str, path: Path) -> tuple[float, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        began = time.perf_counter()
        result = import_files(conn, "readings", [path], ImportOptions())
        return time.perf_counter() - began, result.landed


migrated_and_seeded_dsn = ""


def main() -> None:
    global migrated_and_seeded_dsn
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "readings.parquet"
        migrated_and_seeded_dsn = migrated_and_seeded()
        try:
            make_parquet(path, args.rows)
            import_s, landed = timed_import(migrated_and_seeded_dsn, path)
            rerun_s, relanded = timed_import(migrated_and_seeded_dsn, path)
        finally:
            drop_database(migrated_and_seeded_dsn)
        copy_dsn = migrated_and_seeded()
        try:
            copy_s = raw_copy(copy_dsn, path)
        finally:
            drop_database(copy_dsn)
    figures = {
        "rows": args.rows,
        "landed": landed,
        "import_readings_per_s": round(args.rows / import_s),
        "raw_copy_readings_per_s": round(args.rows / copy_s),
        "import_vs_copy": round(copy_s / import_s, 3),
        "rerun_landed": relanded,
        "rerun_readings_per_s": round(args.rows / rerun_s),
        "target_readings_per_s": 400_000,
    }
    rates = [figures[k] for k in ("import_readings_per_s", "raw_copy_readings_per_s")]
    print(f"import {rates[0]:,}/s, raw COPY {rates[1]:,}/s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
