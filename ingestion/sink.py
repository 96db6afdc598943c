"""The one write path into the landing zone: COPY a batch into a staging table, then insert
the rows whose unique key is not there yet, so a re-delivered row lands once.

Correctness does not rest on ``ON CONFLICT``: TimescaleDB 2.17.2 drops the rest of an
``INSERT ... ON CONFLICT DO NOTHING`` batch at the first row that duplicates a compressed row
(timescale/timescaledb#7672). The insert skips existing keys by an anti-join and keeps the
first row of a key repeated within the batch; ``ON CONFLICT DO NOTHING`` stays as the guard
against a concurrent writer. A row whose key is there with different values is a conflicting
duplicate: not landed, and (through ``write_many``) kept as a dead letter.

Used by the simulator's backfill and by the MQTT/OPC UA ingestors alike.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter

import orjson
import psycopg
from psycopg import sql

from ingestion.landing.migrate import ensure_partitions
from ingestion.payloads import QUALITY_RANGE

# Column order of each time-series table, as producers hand rows to the sink.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sensor_reading": ("ts", "machine_id", "metric", "value", "quality"),
    "machine_state": ("ts", "machine_id", "state", "reason_code", "seq"),
    "production_count": ("ts", "machine_id", "lot_id", "step_no", "good", "scrap", "seq"),
    "lot_move": ("ts", "lot_id", "step_no", "machine_id", "recipe_id", "event", "wafers"),
    "alarm": ("ts", "machine_id", "alarm_code", "severity", "message", "seq"),
    "process_measurement": (
        "ts",
        "machine_id",
        "lot_id",
        "wafer_id",
        "recipe_id",
        "parameter",
        "value",
    ),
    "inspection": (
        "ts",
        "inspection_id",
        "machine_id",
        "lot_id",
        "wafer_id",
        "step_no",
        "defect_count",
    ),
    "defect": (
        "ts",
        "inspection_id",
        "defect_no",
        "wafer_id",
        "x_mm",
        "y_mm",
        "size_um",
        "defect_type",
        "sem_image_ref",
        "edx_spectrum",
    ),
    "interlock_event": ("ts", "machine_id", "rule_id", "metric", "value", "threshold", "action"),
    "quarantine_log": ("ts", "lot_id", "machine_id", "reason"),
}

# Each table's unique key (migration 0002): what "already landed" means. A table added to
# TABLE_COLUMNS without an entry here gets its key from the catalog on first write.
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "sensor_reading": ("machine_id", "metric", "ts"),
    "machine_state": ("machine_id", "ts"),
    "production_count": ("machine_id", "ts"),
    "lot_move": ("lot_id", "step_no", "event", "ts"),
    "alarm": ("machine_id", "alarm_code", "ts"),
    "process_measurement": ("machine_id", "wafer_id", "parameter", "ts"),
    "inspection": ("inspection_id", "ts"),
    "defect": ("inspection_id", "defect_no", "ts"),
    "interlock_event": ("machine_id", "rule_id", "ts"),
    "quarantine_log": ("lot_id", "machine_id", "ts"),
}

# Binary COPY for the streams' bulk table: several times less CPU than text COPY on both ends
# (no float/timestamp formatting and parsing). Binary needs exact types: tz-aware datetimes,
# floats, and a quality that fits int4 (a larger one would be truncated, not refused).
BINARY_COPY_TYPES: dict[str, tuple[str, ...]] = {
    "sensor_reading": ("timestamptz", "text", "text", "float8", "int4"),
}


class LandingSink:
    """Batch writer over one connection; not thread-safe (one per task or process)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._days_ready: set[date] = set()
        self._staged: set[str] = set()
        self._conflicts: list[tuple[str, tuple]] = []  # (table, row) since the last write_many

    def _ensure_days(self, rows: Sequence[tuple]) -> None:
        days = {r[0].date() if isinstance(r[0], datetime) else r[0] for r in rows}
        missing = days - self._days_ready
        if missing:
            # UTC day partitions; a local-time row near midnight may belong to the next one.
            ensure_partitions(self.conn, min(missing), max(missing))
            self._days_ready |= missing

    @contextlib.contextmanager
    def _rollback_forgets_staging(self) -> Iterator[None]:
        """A staging table made in a transaction that rolls back is gone: forget it, or every
        later batch of that table fails with 'relation "_stage_..." does not exist'."""
        try:
            yield
        except BaseException:
            self._staged.clear()
            raise

    def _stage(self, table: str) -> sql.Identifier:
        stage = sql.Identifier(f"_stage_{table}")
        if table not in self._staged:
            self.conn.execute(
                sql.SQL(
                    "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE landing.{} INCLUDING DEFAULTS) "
                    "ON COMMIT DELETE ROWS"
                ).format(stage, sql.Identifier(table))
            )
            self._staged.add(table)
        return stage

    def write(self, table: str, rows: Sequence[tuple]) -> int:
        """Land ``rows`` (tuples in ``TABLE_COLUMNS[table]`` order); returns rows newly landed.

        Rows whose key is already landed with other values are conflicting duplicates:
        skipped here, dead-lettered by ``write_many``."""
        if not rows:
            return 0
        columns = TABLE_COLUMNS[table]
        if table not in UNIQUE_KEYS:
            UNIQUE_KEYS[table] = self._unique_key_of(table)
        rows, repeats = _first_of_each_key(table, rows)
        self._ensure_days(rows)
        with self._rollback_forgets_staging(), self.conn.transaction():
            stage = self._stage(table)
            with self.conn.cursor() as cur:
                # Probe the unique index per staged row: a hash or merge anti-join would read
                # the whole table (the staging table is never analyzed).
                cur.execute("SET LOCAL enable_hashjoin = off")
                cur.execute("SET LOCAL enable_mergejoin = off")
                _copy_rows(cur, stage, columns, rows)
                # one probe per row: insert the absent, return those present with other values
                landed = 0
                for *row, count in cur.execute(_land_new_sql(table, stage)).fetchall():
                    if count is None:
                        self._conflicts.append((table, tuple(row)))
                    else:
                        landed = count
                if repeats:  # later rows of a key seen in the batch: against what landed
                    cur.execute(sql.SQL("DELETE FROM {}").format(stage))
                    _copy_rows(cur, stage, columns, repeats)
                    cur.execute(_conflicts_sql(table, stage))
                    self._conflicts.extend((table, r) for r in cur.fetchall())
                return landed

    def _unique_key_of(self, table: str) -> tuple[str, ...]:
        """A table added after this module (``TABLE_COLUMNS`` only): its unique constraint."""
        row = self.conn.execute(
            "SELECT array_agg(a.attname ORDER BY k.n) FROM pg_constraint c "
            "CROSS JOIN unnest(c.conkey) WITH ORDINALITY k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
            "WHERE c.conrelid = %s::regclass AND c.contype IN ('u', 'p') "
            "GROUP BY c.oid, c.contype ORDER BY c.contype DESC LIMIT 1",
            (f"landing.{table}",),
        ).fetchone()
        if row is None:
            raise ValueError(f"landing.{table} has no unique key: it cannot land exactly once")
        return tuple(row[0])

    def dead_letter(self, source: str, topic: str, payload: str, error: str) -> None:
        """Keep what could not be landed, with the reason."""
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO landing.dead_letter (source, topic, payload, error) "
                "VALUES (%s, %s, %s, %s)",
                (source, topic, payload, error),
            )

    def write_optimistic(self, table: str, rows: Sequence[tuple]) -> int:
        """Like ``write`` but first tries one COPY straight into the table (about twice as fast
        on the server); if any row is already there, that attempt is rolled back and the staged
        anti-join path lands the rest. Same result, cheaper when rows are new."""
        if not rows:
            return 0
        self._ensure_days(rows)
        cols = sql.SQL(", ").join(map(sql.Identifier, TABLE_COLUMNS[table]))
        types = BINARY_COPY_TYPES.get(table)
        if types and not _quality_fits(rows):
            types = None  # text COPY: the database refuses the out-of-range value by name
        stmt = sql.SQL("COPY landing.{} ({}) FROM STDIN{}").format(
            sql.Identifier(table), cols, sql.SQL(" (FORMAT BINARY)" if types else "")
        )
        try:
            with self.conn.transaction(), self.conn.cursor() as cur, cur.copy(stmt) as copy:
                if types:
                    copy.set_types(types)
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
            return len(rows)
        except psycopg.errors.UniqueViolation:
            return self.write(table, rows)
        except TypeError:
            if not types:
                raise
            return self.write(table, rows)  # a value binary COPY cannot carry (naive datetime)

    def write_many(
        self,
        tables: Mapping[str, Sequence[tuple]],
        dead_letters: Sequence[tuple] = (),
        optimistic: bool = False,
        *,
        source: str = "landing",
    ) -> dict[str, int]:
        """Land several tables and dead letters in ONE transaction: all of it or none.

        ``dead_letters`` are ``(source, topic, payload, error, dedupe_key)``; a key seen before
        is skipped, so a re-delivered bad message is kept once. Conflicting duplicates become
        dead letters of ``source`` too (topic = table, payload = the row as JSON). Returns rows
        newly landed per table and, under ``dead_letter``, dead-letter rows newly kept.
        ``optimistic`` uses ``write_optimistic`` (for streams where duplicates are rare).
        """
        write = self.write_optimistic if optimistic else self.write
        self._conflicts = []
        with self._rollback_forgets_staging(), self.conn.transaction():
            landed = {table: write(table, rows) for table, rows in tables.items() if rows}
            kept = [*dead_letters, *(conflict_row(source, t, r) for t, r in self._conflicts)]
            self._conflicts = []
            if kept:
                landed["dead_letter"] = self.keep_dead_letters(kept)
        return landed

    def keep_dead_letters(self, dead_letters: Sequence[tuple]) -> int:
        """Insert ``(source, topic, payload, error, dedupe_key)`` rows; returns rows new."""
        columns = list(zip(*dead_letters, strict=True))
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO landing.dead_letter (source, topic, payload, error, dedupe_key)"
                " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[])"
                " ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING",
                [list(c) for c in columns],
            )
            return cur.rowcount


def row_payload(table: str, row: tuple) -> str:
    """A landing row as the JSON a dead letter keeps: ``{"table": ..., "row": {column: value}}``."""
    record = dict(zip(TABLE_COLUMNS[table], row, strict=False))
    return orjson.dumps({"table": table, "row": record}, default=str).decode()


def refused_row(source: str, table: str, row: tuple, kind: str, why: str) -> tuple:
    """A dead letter for a landing row the database would not take, deduplicated by content."""
    payload = row_payload(table, row)
    key = hashlib.sha256(f"{kind}\0{payload}".encode()).hexdigest()
    return (source, table, payload, f"{kind}: {table}: {why}", key)


def conflict_row(source: str, table: str, row: tuple) -> tuple:
    record = dict(zip(TABLE_COLUMNS[table], row, strict=False))
    key = ", ".join(f"{c}={record[c]!r}" for c in UNIQUE_KEYS[table] if c != "ts")
    ts = record["ts"].isoformat() if isinstance(record["ts"], datetime) else record["ts"]
    why = f"key ({key}, ts={ts}) already landed with other values"
    return refused_row(source, table, row, "conflicting_duplicate", why)


def _first_of_each_key(table: str, rows: Sequence[tuple]) -> tuple[Sequence[tuple], list[tuple]]:
    """(the first row of each key, later rows of a key with other values): deduplicated in
    Python, cheaper than a sort on the server."""
    key_of = itemgetter(*(TABLE_COLUMNS[table].index(c) for c in UNIQUE_KEYS[table]))
    firsts: dict[tuple, tuple] = {}
    for row in rows:
        firsts.setdefault(key_of(row), row)
    if len(firsts) == len(rows):
        return rows, []
    repeats = [r for r in rows if r is not firsts[key_of(r)] and r != firsts[key_of(r)]]
    return list(firsts.values()), repeats


def _copy_rows(
    cur: psycopg.Cursor, stage: sql.Identifier, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, cols)) as copy:
        for row in rows:
            copy.write_row(row)


def _land_new_sql(table: str, stage: sql.Identifier) -> sql.Composed:
    """Insert the staged rows (one per key) whose key is not landed yet; return the staged rows
    whose key is landed with other values, then one row of NULLs with the count inserted."""
    columns, key = TABLE_COLUMNS[table], UNIQUE_KEYS[table]
    rest = [c for c in columns if c not in key]
    ident = sql.Identifier
    join = sql.SQL(", ").join
    return sql.SQL(
        "WITH probe AS MATERIALIZED ("
        " SELECT {s_cols}, t._found, ({s_rest}) IS DISTINCT FROM ({t_rest}) AS _differs"
        " FROM {stage} s LEFT JOIN LATERAL ("
        "  SELECT true AS _found, {t_rest_as} FROM landing.{table} t WHERE {same_key} LIMIT 1"
        " ) t ON true),"
        " ins AS (INSERT INTO landing.{table} ({cols})"
        "  SELECT {cols} FROM probe WHERE _found IS NULL ON CONFLICT DO NOTHING RETURNING 1)"
        " SELECT {cols}, NULL::bigint FROM probe WHERE _found AND _differs"
        " UNION ALL SELECT {nulls}, (SELECT count(*) FROM ins)"
    ).format(
        s_cols=join(ident("s", c) for c in columns),
        s_rest=join(ident("s", c) for c in rest),
        t_rest=join(ident("t", f"_t_{c}") for c in rest),
        t_rest_as=join(sql.SQL("t.{} AS {}").format(ident(c), ident(f"_t_{c}")) for c in rest),
        stage=stage,
        table=ident(table),
        same_key=sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=ident(c)) for c in key),
        cols=join(map(ident, columns)),
        nulls=join(sql.SQL("NULL") for _ in columns),
    )


def _conflicts_sql(table: str, stage: sql.Identifier) -> sql.Composed:
    """Staged rows whose key is landed (now) with other values."""
    key = UNIQUE_KEYS[table]
    rest = [c for c in TABLE_COLUMNS[table] if c not in key]
    same_key = sql.SQL(" AND ").join(
        sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in key
    )
    row = lambda alias: sql.SQL(", ").join(sql.Identifier(alias, c) for c in rest)  # noqa: E731
    return sql.SQL(
        "SELECT {cols} FROM {stage} s JOIN landing.{table} t ON {same_key} "
        "WHERE ({s_rest}) IS DISTINCT FROM ({t_rest})"
    ).format(
        cols=sql.SQL(", ").join(sql.Identifier("s", c) for c in TABLE_COLUMNS[table]),
        stage=stage,
        table=sql.Identifier(table),
        same_key=same_key,
        s_rest=row("s"),
        t_rest=row("t"),
    )


def _quality_fits(rows: Sequence[tuple]) -> bool:
    """Every sensor_reading row's quality (last column) is an int within int4."""
    quality = [r[-1] for r in rows]
    if {type(q) for q in quality} != {int}:
        return False
    return QUALITY_RANGE[0] <= min(quality) and max(quality) <= QUALITY_RANGE[1]
