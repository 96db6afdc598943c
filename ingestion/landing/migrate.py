"""Versioned SQL migrations for the landing zone.

Files in ``migrations/`` are ``NNNN_name.sql``, or a pair ``NNNN_name.native.sql`` /
``NNNN_name.timescale.sql`` when the two storage modes differ. Versions run 1, 2, 3... with no
gaps; each runs in its own transaction and is recorded in ``landing.schema_migrations`` with a
checksum, so re-running is a no-op and a failed migration leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg

from fabstack.errors import FabError
from ingestion.landing.db import StorageMode, storage_mode, timescale_available

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(
    r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+?)(?:\.(?P<mode>native|timescale))?\.sql$"
)
_LOCK_ID = 4_242_001  # advisory lock: one migrator at a time

PARTITION_BY_DAY = {"native": "PARTITION BY RANGE (ts)", "timescale": ""}
PARTITIONS_AHEAD_DAYS = 7


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def sql(self, mode: StorageMode) -> str:
        text = self.path.read_text()
        # The one placeholder: native tables are declared partitioned, hypertables are not.
        return text.replace("__PARTITION_BY_DAY__(ts)", PARTITION_BY_DAY[mode])

    def checksum(self, mode: StorageMode) -> str:
        return hashlib.sha256(self.sql(mode).encode()).hexdigest()[:16]


def discover(directory: Path, mode: StorageMode) -> list[Migration]:
    """The migrations for ``mode`` in version order; a gap or stray file is a FabError."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise FabError(f"{path}: migration names look like 0001_name[.native|.timescale].sql")
        if match["mode"] and match["mode"] != mode:
            continue
        version = int(match["version"])
        if version in found:
            raise FabError(f"{path}: version {version:04d} is used twice")
        found[version] = Migration(version, match["name"], path)
    for expected, version in enumerate(sorted(found), start=1):
        if version != expected:
            raise FabError(
                f"{directory}: migration {expected:04d} is missing (gap before {version:04d})"
            )
    return [found[v] for v in sorted(found)]


def _bootstrap(conn: psycopg.Connection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS landing")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS landing.schema_migrations (
               version    integer PRIMARY KEY,
               name       text NOT NULL,
               mode       text NOT NULL,
               checksum   text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )


def migrate(
    conn: psycopg.Connection,
    directory: Path = MIGRATIONS_DIR,
    mode: StorageMode | None = None,
) -> list[Migration]:
    """Apply pending migrations; returns those applied (empty when up to date)."""
    mode = mode or storage_mode(conn) or ("timescale" if timescale_available(conn) else "native")
    if mode == "timescale":
        _check_timescale(conn)
    migrations = discover(directory, mode)
    applied: list[Migration] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        _bootstrap(conn)
    done = {
        v: (c, m)
        for v, c, m in conn.execute("SELECT version, checksum, mode FROM landing.schema_migrations")
    }
    for migration in migrations:
        if migration.version in done:
            checksum, done_mode = done[migration.version]
            if done_mode != mode:
                raise FabError(f"landing zone was migrated in {done_mode} mode, not {mode}")
            if checksum != migration.checksum(mode):
                raise FabError(f"{migration.path}: changed after it was applied; add a new one")
            continue
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                conn.execute(migration.sql(mode))
                conn.execute(
                    "INSERT INTO landing.schema_migrations (version, name, mode, checksum) "
                    "VALUES (%s, %s, %s, %s)",
                    (migration.version, migration.name, mode, migration.checksum(mode)),
                )
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise FabError(f"{migration.path}: {first} (rolled back)") from None
        applied.append(migration)
    ensure_partitions(conn, date.today() - timedelta(days=1), date.today() + timedelta(days=7))
    return applied


def _check_timescale(conn: psycopg.Connection) -> None:
    """Refuse an extension release that cannot keep late data, before anything is applied."""
    from fabstack.settings import load_settings
    from ingestion.landing.timescale import check_version, extension_version

    version = extension_version(conn)
    if version is None:
        raise FabError("landing zone is in timescale mode but the timescaledb extension is absent")
    check_version(version, allow_unfixed=load_settings().timescale_allow_unfixed)


def ensure_partitions(conn: psycopg.Connection, first: date, last: date) -> int:
    """Create the day partitions covering ``first``..``last`` (no-op under TimescaleDB)."""
    with conn.transaction():
        row = conn.execute("SELECT landing.ensure_day_partitions(%s, %s)", (first, last)).fetchone()
    return int(row[0])


def apply_retention(conn: psycopg.Connection, keep_days: int) -> int:
    """Drop day partitions (native) or chunks (TimescaleDB, via drop_chunks) whose whole UTC
    day range is older than ``keep_days``; returns how many were dropped."""
    with conn.transaction():
        row = conn.execute(
            "SELECT landing.drop_partitions_before(%s)", (date.today() - timedelta(days=keep_days),)
        ).fetchone()
    return int(row[0])
