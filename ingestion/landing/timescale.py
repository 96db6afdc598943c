"""What the landing zone needs from TimescaleDB, and the calls that must run outside a function.

- The extension's version is checked before any migration: older than 2.11 has no DML on
  compressed chunks; older than 2.18.1 has timescale/timescaledb#7672 (``INSERT ... ON CONFLICT
  DO NOTHING`` into a compressed chunk stops at the first conflict and drops the rest of the
  batch without an error; fixed by #7673 in 2.18.1). The write paths skip existing keys with an
  anti-join anyway, so ``FAB_TIMESCALE_ALLOW_UNFIXED=1`` lets a 2.11-2.18.0 server run.
- ``refresh_continuous_aggregate`` refuses a transaction block and functions, so the hourly
  rollup is refreshed here on an autocommit connection.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import psycopg

from fabstack.errors import FabError
from fabstack.sqlfile import SqlFolder
from ingestion.landing.db import StorageMode

DML_ON_COMPRESSED = (2, 11, 0)  # UPDATE/DELETE/unique keys/ON CONFLICT on compressed chunks
CONFLICT_FIX = (2, 18, 1)  # timescale/timescaledb#7672 fixed by #7673
HOURLY = "landing.sensor_reading_hourly"

q = SqlFolder(Path(__file__).parent).lookup("timescale")


def parse_version(text: str) -> tuple[int, int, int]:
    """``'2.17.2'`` -> (2, 17, 2); pre-release suffixes (``2.19.0-dev``) are ignored."""
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not match:
        raise FabError(f"timescaledb: cannot read extension version {text!r}")
    return int(match[1]), int(match[2]), int(match[3] or 0)


def check_version(version: str, *, allow_unfixed: bool = False) -> None:
    """Refuse a TimescaleDB the landing zone cannot trust, naming the version."""
    found = parse_version(version)
    if found < DML_ON_COMPRESSED:
        raise FabError(
            f"timescaledb {version}: 2.11 or later is needed (late data lands in compressed "
            "chunks, which older releases refuse); upgrade the extension"
        )
    if found < CONFLICT_FIX and not allow_unfixed:
        raise FabError(
            f"timescaledb {version}: 2.18.1 or later is needed (older releases drop the rest of "
            "a batch after the first duplicate in a compressed chunk, timescale/timescaledb#7672); "
            "upgrade, or set FAB_TIMESCALE_ALLOW_UNFIXED=1 to rely on the anti-join alone"
        )


def extension_version(conn: psycopg.Connection) -> str | None:
    """The installed version, else the one CREATE EXTENSION would install; None when absent."""
    row = conn.execute(q("extension_version")).fetchone()
    return row[0] if row and row[0] else None


def refresh_rollup(
    conn: psycopg.Connection, mode: StorageMode | None, start: datetime, end: datetime
) -> None:
    """Bring ``landing.sensor_reading_hourly`` up to date over [start, end) in either mode.
    TimescaleDB needs ``conn`` in autocommit: the refresh procedure refuses a transaction."""
    if mode == "timescale":
        if not conn.autocommit:
            raise FabError("refreshing the continuous aggregate needs an autocommit connection")
        conn.execute(q("refresh_hourly"), {"start": start, "end": end})
    else:
        with conn.transaction():
            conn.execute(q("refresh_native"), {"start": start, "end": end})


def set_jobs_scheduled(conn: psycopg.Connection, proc_name: str, scheduled: bool) -> int:
    """Pause or resume the landing zone's jobs of one kind (``policy_retention``,
    ``policy_compression``); returns how many jobs were changed."""
    rows = conn.execute(q("set_jobs_scheduled"), {"proc": proc_name, "scheduled": scheduled})
    return len(rows.fetchall())
