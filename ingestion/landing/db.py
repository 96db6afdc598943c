"""Connections to the landing zone and the storage mode it runs in."""

from __future__ import annotations

from typing import Literal

import psycopg

from fabstack.errors import FabError
from fabstack.services import redact

StorageMode = Literal["timescale", "native"]


def connect(dsn: str, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a connection or fail with one line naming the DSN."""
    try:
        return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "no answer"
        raise FabError(f"landing zone {redact(dsn)}: {reason}") from None


def timescale_available(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    return row is not None


def storage_mode(conn: psycopg.Connection) -> StorageMode | None:
    """The mode the landing zone was migrated in, or None before the first migration."""
    row = conn.execute("SELECT to_regclass('landing.schema_migrations') IS NOT NULL").fetchone()
    if not row[0]:
        return None
    row = conn.execute(
        "SELECT mode FROM landing.schema_migrations ORDER BY version LIMIT 1"
    ).fetchone()
    return row[0] if row else None
