"""Commit batches to the landing zone, or spool them when PostgreSQL is unreachable.

Runs in a worker thread (blocking psycopg). Order is kept: while the spool holds anything,
new batches go behind it, and the spool is replayed oldest first once the database answers.
A batch is "safe" (and its messages may be acknowledged) once it is committed or spooled.

A batch the database refuses (a row validation let through) is split in halves until the
refused rows are alone; they become ``db_refused`` dead letters and the rest lands. The
ingestor's ``rows_total`` and ``dead_letters_total`` in ``landing.ingest_status`` grow in the
same transaction as the rows, so they equal what the tables hold, across restarts too.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ingestion.sink import LandingSink, refused_row
from ingestion.stream.backoff import Backoff
from ingestion.stream.spool import Spool, SpoolBatch

log = logging.getLogger("fab.ingest.commit")
_SQL = Path(__file__).parent / "sql"
STATUS_SQL = (_SQL / "upsert_status.sql").read_text()
COUNT_SQL = (_SQL / "count_landed.sql").read_text()
REGISTER_SQL = (_SQL / "register_ingestor.sql").read_text()
_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError)


@dataclass(slots=True)
class CommitResult:
    landed: int = 0  # rows newly inserted (duplicates excluded), replayed ones included
    dead_lettered: int = 0  # dead-letter rows newly kept, replayed ones included
    spooled: bool = False
    replayed: int = 0  # spool segments replayed before this batch
    error: str | None = None


class Committer:
    def __init__(
        self,
        dsn: str,
        spool: Spool,
        source: str = "mqtt",
        connect_timeout: float = 3.0,
        name: str | None = None,
    ) -> None:
        self.dsn = dsn
        self.spool = spool
        self.source = source
        self.name = name  # the ingest_status row whose counters grow with each commit
        self.connect_timeout = connect_timeout
        self._conn: psycopg.Connection | None = None
        self._sink: LandingSink | None = None
        self._backoff = Backoff(initial=0.25, maximum=10.0)
        self._retry_at = 0.0
        self.last_error: str | None = None

    # --- connection ---------------------------------------------------------------------

    def _connect(self) -> LandingSink | None:
        if self._sink is not None:
            return self._sink
        if time.monotonic() < self._retry_at:
            return None
        try:
            self._conn = psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=max(1, int(self.connect_timeout)),
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
                options="-c statement_timeout=60000",
            )
            if self.name:
                self._conn.execute(REGISTER_SQL, {"ingestor": self.name, "source": self.source})
        except _UNAVAILABLE as exc:
            self._down(exc)
            return None
        self._sink = LandingSink(self._conn)
        self._backoff.reset()
        if self.last_error:
            log.warning("landing zone reachable again")
        self.last_error = None
        return self._sink

    def _down(self, exc: BaseException) -> None:
        first = first_line(exc)
        if self.last_error is None:
            log.error("landing zone unreachable, spooling to %s: %s", self.spool.dir, first)
        self.last_error = f"database: {first}"
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken
                self._conn.close()
        self._conn = None
        self._sink = None
        self._retry_at = time.monotonic() + self._backoff.next_delay()

    @property
    def connection(self) -> psycopg.Connection | None:
        return self._conn

    # --- commit ---------------------------------------------------------------------------

    def commit(self, rows: dict[str, list[tuple]], dead_letters: list[tuple]) -> CommitResult:
        """Land or spool; raises SpoolError (SpoolFull included) when neither is possible."""
        result = CommitResult()
        if self.spool.depth:
            self.replay(result)
            if self.spool.depth:
                if rows or dead_letters:
                    self.spool.append(SpoolBatch(dict(rows), list(dead_letters)))
                    result.spooled = True
                return result
        if not rows and not dead_letters:
            return result
        batch = SpoolBatch(dict(rows), list(dead_letters))
        sink = self._connect()
        if sink is not None:
            try:
                self._write(sink, batch, result)
                return result
            except _UNAVAILABLE as exc:
                self._down(exc)
        self.spool.append(batch)
        result.spooled = True
        return result

    def replay(self, result: CommitResult | None = None) -> int:
        """Land spooled batches oldest first; stops at the first failure. Returns segments done
        (and adds their landed rows and dead letters to ``result``)."""
        result = result if result is not None else CommitResult()
        done = 0
        for path, batch in self.spool.pending():
            if batch is None:
                self.spool.set_aside(path, "unreadable")
                continue
            sink = self._connect()
            if sink is None:
                break
            try:
                self._write(sink, batch, result)
            except _UNAVAILABLE as exc:
                self._down(exc)
                break
            self.spool.remove(path)
            done += 1
        result.replayed += done
        if done:
            log.warning("replayed %d spooled batches; %d left", done, self.spool.depth)
        return done

    def _write(self, sink: LandingSink, batch: SpoolBatch, result: CommitResult) -> None:
        try:
            self._land(sink, batch, result)
        except _UNAVAILABLE:
            raise
        except psycopg.Error as exc:
            # A row the database refuses (validation should have caught it): find it by halves.
            log.error("batch refused (%s); isolating the refused rows", first_line(exc))
            self._bisect(sink, batch, result)

    def _land(self, sink: LandingSink, batch: SpoolBatch, result: CommitResult) -> None:
        """One transaction: the rows, the dead letters and this ingestor's counters."""
        assert self._conn is not None
        with self._conn.transaction():
            landed = sink.write_many(
                batch.rows, batch.dead_letters, optimistic=True, source=self.source
            )
            kept = landed.pop("dead_letter", 0)
            new_rows = sum(landed.values())
            if self.name and (new_rows or kept):
                self._conn.execute(
                    COUNT_SQL, {"ingestor": self.name, "rows": new_rows, "dead_letters": kept}
                )
        result.landed += new_rows
        result.dead_lettered += kept

    def _bisect(self, sink: LandingSink, batch: SpoolBatch, result: CommitResult) -> None:
        """Land what the database takes in parts; each row it refuses alone is dead-lettered.
        The part is cut around the row a COPY error names (``COPY t, line N``), else in halves:
        a poison row costs one to log2(batch) extra attempts, not a transaction per row."""
        refused: list[tuple] = []
        if batch.dead_letters:
            self._land(sink, SpoolBatch({}, batch.dead_letters), result)
        pending = [[(table, row) for table, rows in batch.rows.items() for row in rows]]
        while pending:
            part = pending.pop()
            grouped: dict[str, list[tuple]] = {}
            for table, row in part:
                grouped.setdefault(table, []).append(row)
            try:
                self._land(sink, SpoolBatch(grouped, []), result)
            except _UNAVAILABLE:
                raise
            except psycopg.Error as exc:
                if len(part) == 1:
                    table, row = part[0]
                    refused.append(
                        refused_row(self.source, table, row, "db_refused", first_line(exc))
                    )
                    continue
                named = _named_row(exc, part)
                cuts = (
                    [part[named + 1 :], part[named : named + 1], part[:named]]
                    if named is not None
                    else [part[len(part) // 2 :], part[: len(part) // 2]]
                )
                pending += [c for c in cuts if c]  # the earliest rows next: order kept
        if refused:
            log.error("%d rows refused by the database, kept as dead letters", len(refused))
            self._land(sink, SpoolBatch({}, refused), result)

    def write_status(self, status: dict) -> None:
        """Upsert this ingestor's row in ``landing.ingest_status`` (skipped while down)."""
        if self._connect() is None or self._conn is None:
            return
        try:
            self._conn.execute(STATUS_SQL, status)
        except _UNAVAILABLE as exc:
            self._down(exc)
        except psycopg.Error as exc:
            log.error("status not written: %s", str(exc).splitlines()[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = self._sink = None


_COPY_LINE = re.compile(r"^COPY (\w+), line (\d+)")


def _named_row(exc: psycopg.Error, part: list[tuple[str, tuple]]) -> int | None:
    """Index in ``part`` of the row a direct COPY's error names (its CONTEXT line), if any.
    Staging-table COPYs are not trusted: their rows were deduplicated first."""
    match = _COPY_LINE.match(exc.diag.context or "")
    if not match:
        return None
    table, line = match[1], int(match[2])
    seen = 0
    for index, (row_table, _row) in enumerate(part):
        if row_table == table:
            seen += 1
            if seen == line:
                return index
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (psycopg's run over several), or its type."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
