"""Commit batches to the landing zone, or spool them when PostgreSQL is unreachable.

Runs in a worker thread (blocking psycopg). Order is kept: while the spool holds anything,
new batches go behind it, and the spool is replayed oldest first once the database answers.
A batch is "safe" (and its messages may be acknowledged) once it is committed or spooled.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ingestion.sink import LandingSink
from ingestion.stream.backoff import Backoff
from ingestion.stream.spool import Spool, SpoolBatch

log = logging.getLogger("fab.ingest.commit")
STATUS_SQL = (Path(__file__).parent / "sql" / "upsert_status.sql").read_text()
_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError)


@dataclass(slots=True)
class CommitResult:
    landed: int = 0  # rows newly inserted (duplicates excluded)
    spooled: bool = False
    replayed: int = 0  # spool segments replayed before this batch
    error: str | None = None


class Committer:
    def __init__(
        self, dsn: str, spool: Spool, source: str = "mqtt", connect_timeout: float = 3.0
    ) -> None:
        self.dsn = dsn
        self.spool = spool
        self.source = source
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
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
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
        """Land or spool; raises SpoolFull only when neither is possible."""
        result = CommitResult()
        if self.spool.depth:
            result.replayed = self.replay()
            if self.spool.depth:
                if rows or dead_letters:
                    self.spool.append(SpoolBatch(dict(rows), list(dead_letters)))
                    result.spooled = True
                return result
        if not rows and not dead_letters:
            return result
        sink = self._connect()
        if sink is not None:
            try:
                result.landed = self._write(sink, rows, dead_letters)
                return result
            except _UNAVAILABLE as exc:
                self._down(exc)
        self.spool.append(SpoolBatch(dict(rows), list(dead_letters)))
        result.spooled = True
        return result

    def replay(self) -> int:
        """Land spooled batches oldest first; stops at the first failure. Returns segments done."""
        done = 0
        for path, batch in self.spool.pending():
            if batch is None:
                self.spool.set_aside(path, "unreadable")
                continue
            sink = self._connect()
            if sink is None:
                break
            try:
                self._write(sink, batch.rows, batch.dead_letters)
            except _UNAVAILABLE as exc:
                self._down(exc)
                break
            self.spool.remove(path)
            done += 1
        if done:
            log.warning("replayed %d spooled batches; %d left", done, self.spool.depth)
        return done

    def _write(
        self, sink: LandingSink, rows: dict[str, list[tuple]], dead_letters: list[tuple]
    ) -> int:
        try:
            landed = sink.write_many(rows, dead_letters, optimistic=True)
        except _UNAVAILABLE:
            raise
        except psycopg.Error as exc:
            # A row the database refuses (should not pass validation): land the rest, keep it.
            log.error("batch refused (%s); landing row by row", str(exc).splitlines()[0])
            return self._write_row_by_row(sink, rows, dead_letters)
        return sum(n for table, n in landed.items() if table != "dead_letter")

    def _write_row_by_row(
        self, sink: LandingSink, rows: dict[str, list[tuple]], dead_letters: list[tuple]
    ) -> int:
        landed = 0
        refused: list[tuple] = list(dead_letters)
        for table, table_rows in rows.items():
            for row in table_rows:
                try:
                    landed += sink.write(table, [row])
                except _UNAVAILABLE:
                    raise
                except psycopg.Error as exc:
                    error = f"db_refused: {table}: {str(exc).splitlines()[0]}"
                    refused.append((self.source, table, repr(row), error, None))
        sink.write_many({}, refused)
        return landed

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
