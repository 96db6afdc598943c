"""A small hand-written landing dataset whose facts are known exactly (used by warehouse tests).

Day under test: 2025-03-30 in Europe/Berlin, the spring-forward day (23 hours):
2025-03-29 23:00 UTC .. 2025-03-30 22:00 UTC. Shifts that day (UTC): C of 03-29 21:00-04:00
(7 h over the clock change), A 04:00-12:00, B 12:00-20:00, C of 03-30 20:00-04:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg

from ingestion.payloads import make_wafer_id
from ingestion.sink import LandingSink

DAY = date(2025, 3, 30)
NEXT_DAY = date(2025, 3, 31)
TZ = "Europe/Berlin"
LOT = "L250330001"
WAFERS = [make_wafer_id(LOT, 1), make_wafer_id(LOT, 2)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Expected seconds per (machine, state) on DAY, and per (machine, shift_date, shift, state).
EXPECTED_STATE_SECONDS = {
    ("ETCH-01", "RUNNING"): 10800 + 63000,
    ("ETCH-01", "DOWN"): 5400,
    ("ETCH-01", "IDLE"): 3600,
    ("DEP-01", "OFFLINE"): 82800,
}
EXPECTED_SHIFT_SECONDS = {
    ("ETCH-01", date(2025, 3, 29), "C", "RUNNING"): 10800 + 1800,
    ("ETCH-01", date(2025, 3, 29), "C", "DOWN"): 5400,
    ("ETCH-01", DAY, "A", "RUNNING"): 28800,
    ("ETCH-01", DAY, "B", "RUNNING"): 28800,
    ("ETCH-01", DAY, "C", "RUNNING"): 3600,
    ("ETCH-01", DAY, "C", "IDLE"): 3600,
    ("DEP-01", date(2025, 3, 29), "C", "OFFLINE"): 18000,
    ("DEP-01", DAY, "A", "OFFLINE"): 28800,
    ("DEP-01", DAY, "B", "OFFLINE"): 28800,
    ("DEP-01", DAY, "C", "OFFLINE"): 7200,
}


def write_dataset(dsn: str) -> None:
    """Land the dataset through the one write path, LandingSink (reference rows by SQL)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO landing.lot (lot_id, product_id, wafer_count, priority, hot_lot, "
            "release_ts, due_ts) VALUES (%s, 'LOGIC-A', 2, 2, true, %s, %s)",
            (LOT, utc(2025, 3, 30, 5), utc(2025, 4, 2)),
        )
        for slot, wafer in enumerate(WAFERS, start=1):
            conn.execute(
                "INSERT INTO landing.wafer (wafer_id, lot_id, slot) VALUES (%s, %s, %s)",
                (wafer, LOT, slot),
            )
        sink = LandingSink(conn)
        sink.write(
            "machine_state",
            [
                (utc(2025, 3, 27, 12), "DEP-01", "OFFLINE", "NO_SHIFT", 1),
                (utc(2025, 3, 29, 20), "ETCH-01", "RUNNING", "RUN", 1),
                (utc(2025, 3, 30, 2), "ETCH-01", "DOWN", "ELECTRICAL", 2),
                (utc(2025, 3, 30, 3, 30), "ETCH-01", "RUNNING", "RUN", 3),
                (utc(2025, 3, 30, 21), "ETCH-01", "IDLE", "STARVED", 4),
                (utc(2025, 3, 30, 23), "ETCH-01", "RUNNING", "RUN", 5),  # next day
            ],
        )
        ten = utc(2025, 3, 30, 10)
        readings = [
            (ten + timedelta(seconds=i), "ETCH-01", "temperature", float(i), 0) for i in range(120)
        ]
        readings.append((ten + timedelta(seconds=30.5), "ETCH-01", "temperature", 999.0, 1))
        readings.append((utc(2025, 3, 30, 22, 30), "ETCH-01", "temperature", 1.0, 0))  # next day
        readings += [
            (utc(2025, 3, 30, 6, m), "LITHO-01", "temperature", v, 0)
            for m, v in ((10, 22.0), (20, 22.2), (30, 22.4))
        ]
        sink.write("sensor_reading", readings)
        sink.write(
            "production_count",
            [
                (utc(2025, 3, 29, 22, 59, 59), "ETCH-01", LOT, 1, 9, 9, 1),  # previous day
                (utc(2025, 3, 30, 5, 10), "ETCH-01", LOT, 1, 24, 1, 2),
                (utc(2025, 3, 30, 5, 50), "ETCH-01", LOT, 1, 20, 0, 3),
                (utc(2025, 3, 30, 13), "ETCH-01", LOT, 1, 25, 0, 4),
            ],
        )
        sink.write(
            "lot_move",
            [
                (utc(2025, 3, 30, 6), LOT, 1, "LITHO-01", "LITHO-M1", "track_in", 2),
                (utc(2025, 3, 30, 7), LOT, 1, "LITHO-01", "LITHO-M1", "track_out", 2),
                (utc(2025, 3, 30, 8), LOT, 2, "INSP-01", "INSP-BF", "track_in", 2),
                (utc(2025, 3, 30, 8, 30), LOT, 2, "INSP-01", "INSP-BF", "track_out", 2),
            ],
        )
        sink.write(
            "process_measurement",
            [
                (
                    utc(2025, 3, 30, 7),
                    "LITHO-01",
                    LOT,
                    WAFERS[0],
                    "LITHO-M1",
                    "critical_dimension_nm",
                    45.25,
                ),
            ],
        )
        sink.write(
            "inspection",
            [
                (utc(2025, 3, 30, 8, 20), "INS-1", "INSP-01", LOT, WAFERS[0], 2, 2),
                (utc(2025, 3, 30, 8, 25), "INS-2", "INSP-01", LOT, WAFERS[1], 2, 0),
            ],
        )
        sink.write(
            "defect",
            [
                (
                    utc(2025, 3, 30, 8, 20),
                    "INS-1",
                    1,
                    WAFERS[0],
                    10.0,
                    0.0,
                    2.5,
                    "particle",
                    None,
                    None,
                ),
                (
                    utc(2025, 3, 30, 8, 20),
                    "INS-1",
                    2,
                    WAFERS[0],
                    -30.0,
                    40.0,
                    12.0,
                    "scratch",
                    None,
                    None,
                ),
            ],
        )
