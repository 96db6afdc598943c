"""What the landing zone holds: storage mode, partitions or chunks, rows and sizes per table."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from ingestion.landing.db import storage_mode

EXACT_COUNT_BELOW = 2_000_000  # above this, pg statistics are close enough and far cheaper


@dataclass(frozen=True)
class TableStatus:
    table: str
    partitions: int
    rows: int
    rows_exact: bool
    bytes: int


def row_estimate(conn: psycopg.Connection, mode: str, qualified: str) -> int:
    """Rows from statistics: pg_partition_tree sees day partitions but not chunks (they are
    inheritance children), so TimescaleDB mode asks approximate_row_count, which sums the
    chunks' statistics (and works on plain tables too)."""
    if mode == "timescale":
        row = conn.execute("SELECT approximate_row_count(%s::regclass)", (qualified,)).fetchone()
    else:
        row = conn.execute(
            """SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
               FROM pg_partition_tree(%s::regclass) t JOIN pg_class c ON c.oid = t.relid
               WHERE t.isleaf  -- an analyzed parent holds the total too""",
            (qualified,),
        ).fetchone()
    return int(row[0] or 0)


def landing_status(conn: psycopg.Connection) -> tuple[str | None, list[TableStatus]]:
    mode = storage_mode(conn)
    if mode is None:
        return None, []
    tables = [
        r[0]
        for r in conn.execute(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'landing' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                 AND c.relname <> 'schema_migrations'
               ORDER BY c.relname"""
        )
    ]
    out = []
    for table in tables:
        qualified = f"landing.{table}"
        if mode == "timescale":
            parts_row = conn.execute(
                "SELECT count(*) FROM timescaledb_information.chunks "
                "WHERE hypertable_schema = 'landing' AND hypertable_name = %s",
                (table,),
            ).fetchone()
            size_row = conn.execute(
                "SELECT coalesce(hypertable_size(%s::regclass), pg_total_relation_size(%s))",
                (qualified, qualified),
            ).fetchone()
        else:
            parts_row = conn.execute(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", (qualified,)
            ).fetchone()
            size_row = conn.execute(
                """SELECT greatest(
                       (SELECT coalesce(sum(pg_total_relation_size(relid)), 0)
                        FROM pg_partition_tree(%s::regclass)),
                       pg_total_relation_size(%s::regclass))""",
                (qualified, qualified),
            ).fetchone()
        estimate = row_estimate(conn, mode, qualified)
        exact = estimate < EXACT_COUNT_BELOW
        rows = (
            conn.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]  # noqa: S608 - catalog name
            if exact
            else estimate
        )
        out.append(TableStatus(table, int(parts_row[0]), int(rows), exact, int(size_row[0])))
    return mode, out
