"""PostgreSQL binary COPY encoding of sensor readings, built with numpy (no per-row Python).

Within one (machine, metric) block both text fields have a fixed length, so a whole block is
one structured array whose bytes are exactly the COPY tuples.
"""

from __future__ import annotations

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH_US = 946_684_800 * 1_000_000  # 2000-01-01 in Unix microseconds


def to_pg_us(ts: np.ndarray) -> np.ndarray:
    """Epoch seconds (float) -> microseconds since 2000-01-01 (PostgreSQL timestamptz)."""
    return np.rint(ts * 1e6).astype(np.int64) - PG_EPOCH_US


def sensor_tuples(ts: np.ndarray, machine_id: str, metric: str, values: np.ndarray) -> bytes:
    """COPY tuples for (ts, machine_id, metric, value, quality=0)."""
    mid, met = machine_id.encode(), metric.encode()
    dtype = np.dtype(
        [
            ("nfields", ">i2"),
            ("ts_len", ">i4"),
            ("ts", ">i8"),
            ("mid_len", ">i4"),
            ("mid", f"S{len(mid)}"),
            ("met_len", ">i4"),
            ("met", f"S{len(met)}"),
            ("val_len", ">i4"),
            ("val", ">f8"),
            ("q_len", ">i4"),
            ("q", ">i4"),
        ]
    )
    arr = np.empty(ts.size, dtype=dtype)
    arr["nfields"] = 5
    arr["ts_len"] = 8
    arr["ts"] = to_pg_us(ts)
    arr["mid_len"] = len(mid)
    arr["mid"] = mid
    arr["met_len"] = len(met)
    arr["met"] = met
    arr["val_len"] = 8
    arr["val"] = values
    arr["q_len"] = 4
    arr["q"] = 0
    return arr.tobytes()
