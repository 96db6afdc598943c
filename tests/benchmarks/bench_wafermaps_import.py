"""`fab import wafermaps` speed: the WM-811K training maps (1,054 maps, 1.44 M dies) read and
landed as sort results in a throwaway landing database, then imported again (idempotent:
nothing is written the second time).

    .venv/bin/python -m tests.benchmarks.bench_wafermaps_import [--copies 1]

``--copies N`` lands the file N times under distinct wafer ids (a bigger batch).
Target (issue 14): >= 200,000 dies/s. Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import psycopg

from ingestion.landing.migrate import migrate
from ingestion.sort.landing import land_maps
from ingestion.sort.wafer_maps import WaferMaps, read_maps
from tests.conftest import create_database, drop_database
from tests.unit.test_wafer_maps import WM811K_TRAIN


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=1)
    args = parser.parse_args()
    dsn = create_database("fabbench")
    try:
        with psycopg.connect(dsn) as conn:
            migrate(conn)
            conn.commit()
        with psycopg.connect(dsn, autocommit=True) as conn:
            start = time.perf_counter()
            maps = read_maps(WM811K_TRAIN)
            if args.copies > 1:
                maps = WaferMaps(
                    [f"{m}-{k}" for k in range(args.copies) for m in maps.map_ids],
                    maps.maps * args.copies,
                    maps.lots * args.copies,
                    maps.labels * args.copies,
                    maps.wafer_index * args.copies,
                )
            read_s = time.perf_counter() - start
            first = land_maps(conn, maps, source=str(WM811K_TRAIN))
            first_s = time.perf_counter() - start
            start = time.perf_counter()
            again = land_maps(conn, read_maps(WM811K_TRAIN), source=str(WM811K_TRAIN))
            again_s = time.perf_counter() - start
    finally:
        drop_database(dsn)
    dies = maps.die_count
    print(
        json.dumps(
            {
                "maps": len(maps),
                "dies": dies,
                "read_s": round(read_s, 3),
                "import_s": round(first_s, 3),
                "dies_per_s": round(dies / first_s),
                "reimport_s": round(again_s, 3),
                "reimport_dies_written": again.dies_written,
                "first_dies_written": first.dies_written,
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
