"""Batching by size and age, one commit in flight, backpressure, stats and live status.

Producers (the MQTT or OPC UA loop) add rows to ``pipeline.batch`` and then ``await
pipeline.room()``; the flusher swaps the batch out when it is full or old enough and commits
it in a worker thread. While a commit runs, the next batch fills; when that one is full too,
``room()`` blocks the producer: that is the backpressure (MQTT then stops acknowledging, so the
broker holds further messages).

The flusher cannot die silently: any error of a commit (database and spool both refusing, a
bug) is logged, shown in the live status (``last_error``, ``stalled_since``) and retried with
backoff while the batch stays unacknowledged. ``stop`` releases a blocked producer at once and
gives up a batch that still cannot be written after ``stop_grace_s`` (the broker redelivers
its messages to the next run).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingestion.stream.backoff import Backoff
from ingestion.stream.batch import Batch
from ingestion.stream.committer import CommitResult, Committer, first_line

log = logging.getLogger("fab.ingest")


@dataclass(slots=True)
class BatchLimits:
    max_rows: int = 20_000
    max_messages: int = 2_000
    max_age_s: float = 0.05
    status_every_s: float = 1.0
    stop_grace_s: float = 3.0  # on stop, how long a failing batch is still retried


@dataclass(slots=True)
class Stats:
    messages_total: int = 0
    rows_total: int = 0
    dead_letters_total: int = 0
    interlocks_total: int = 0
    ignored_total: int = 0
    spooled_batches: int = 0
    commit_ms: float | None = None
    # machine ts -> commit of the most recent messages (seconds), for p50/p99 lag
    lags: deque = field(default_factory=lambda: deque(maxlen=20_000))

    def lag_percentiles(self) -> tuple[float | None, float | None]:
        if not self.lags:
            return None, None
        ordered = sorted(self.lags)
        pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
        return pick(0.5), pick(0.99)


OnCommitted = Callable[[Batch, CommitResult, float], None]


class Pipeline:
    def __init__(
        self, committer: Committer, name: str, source: str, limits: BatchLimits | None = None
    ) -> None:
        self.committer = committer
        self.name = name
        self.source = source
        self.limits = limits or BatchLimits()
        self.batch = Batch()
        self.stats = Stats()
        self.connected = False
        self.started_at = datetime.now(UTC)
        self.listeners: list[OnCommitted] = []
        self._room = asyncio.Event()
        self._room.set()
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping = False
        self._released = False  # producer no longer waits for room (shutting down)
        self.stalled_since: datetime | None = None
        self._stall_error: str | None = None
        self._give_up_at: float | None = None  # once stopping: when a failing batch is let go
        self._retry = Backoff(initial=0.1, maximum=5.0)
        self._rate_mark = (time.monotonic(), 0, 0)
        self._last_status = 0.0

    # --- producer side --------------------------------------------------------------------

    def full(self) -> bool:
        b = self.batch
        return b.row_count >= self.limits.max_rows or b.messages >= self.limits.max_messages

    async def room(self) -> None:
        """Call after adding to the batch: wakes the flusher, waits while the batch is full."""
        if self.full() and not self._released:
            self._room.clear()
            self._wake.set()
            await self._room.wait()
        elif self.batch.messages == 1:
            self._wake.set()  # start the age clock

    # --- flusher --------------------------------------------------------------------------

    async def run(self) -> None:
        """Flush forever (until ``stop``); replays the spool and writes status when idle."""
        while True:
            batch = self.batch
            if self._stopping:
                await self._flush()
                return
            if batch.empty:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.limits.status_every_s)
                except TimeoutError:
                    await self._flush()  # idle: replay spool, write status
                continue
            wait = self.limits.max_age_s - batch.age()
            if wait > 0 and not self.full():
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            await self._flush()

    async def _flush(self) -> None:
        batch, self.batch = self.batch, Batch()
        self._room.set()  # the next batch fills while this one commits (as the module says)
        result = await self._commit(batch)
        done = time.monotonic()
        if result is None:  # stopping, and the batch could not be written: not acknowledged
            if not batch.empty:
                log.error(
                    "stopping with %d messages not written and not acknowledged "
                    "(the broker redelivers them)",
                    batch.messages,
                )
            await self._write_status()
            return
        self._account(batch, result, done)
        for listener in self.listeners:
            listener(batch, result, done)
        if done - self._last_status >= self.limits.status_every_s or self._stopping:
            self._last_status = done
            await self._write_status()

    async def _commit(self, batch: Batch) -> CommitResult | None:
        """Commit (or spool) the batch, retrying any failure with backoff; None if stopped
        while it still fails."""
        while True:
            try:
                result = await asyncio.to_thread(
                    self.committer.commit, batch.rows, batch.dead_letters
                )
            except Exception as exc:  # noqa: BLE001 - whatever it is, say it and retry
                self._stalled(exc)
            else:
                if self.stalled_since is not None:
                    log.warning("flusher writing again after %s", self._stall_error)
                    self.committer.last_error = None
                self.stalled_since = None
                self._retry.reset()
                return result
            if self._stopping:
                if self._give_up_at is None:
                    self._give_up_at = time.monotonic() + self.limits.stop_grace_s
                if time.monotonic() >= self._give_up_at:
                    return None
            now = time.monotonic()
            if now - self._last_status >= self.limits.status_every_s:
                self._last_status = now
                await self._write_status()
            delay = self._retry.next_delay()
            if self._stopping:
                await asyncio.sleep(min(delay, 0.25))  # a few last tries within the grace
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)

    def _stalled(self, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {first_line(exc)}"
        if self.stalled_since is None or error != self._stall_error:
            # once per distinct error, not once per retry
            log.error("batch neither committed nor spooled, holding it and retrying: %s", error)
        if self.stalled_since is None:
            self.stalled_since = datetime.now(UTC)
        self._stall_error = self.committer.last_error = error

    async def _write_status(self) -> None:
        try:
            await asyncio.to_thread(self.committer.write_status, self.status())
        except Exception as exc:  # noqa: BLE001 - status is best effort, the flusher goes on
            log.error("status not written: %s", exc)

    def _account(self, batch: Batch, result: CommitResult, done: float) -> None:
        s = self.stats
        s.messages_total += batch.messages
        s.rows_total += result.landed
        s.dead_letters_total += result.dead_lettered
        s.interlocks_total += batch.interlocks
        s.spooled_batches += int(result.spooled)
        if batch.first_arrival is not None:
            s.commit_ms = (done - batch.first_arrival) * 1000
        if batch.machine_ts:
            now = time.time()
            s.lags.extend(now - ts for ts in batch.machine_ts)

    def status(self) -> dict:
        now = time.monotonic()
        then, msgs, rows = self._rate_mark
        span = max(now - then, 1e-6)
        self._rate_mark = (now, self.stats.messages_total, self.stats.rows_total)
        spool = self.committer.spool
        lag_p50, lag_p99 = self.stats.lag_percentiles()
        return {
            "ingestor": self.name,
            "source": self.source,
            "started_at": self.started_at,
            "connected": self.connected,
            "messages_total": self.stats.messages_total,
            "rows_total": self.stats.rows_total,
            "dead_letters_total": self.stats.dead_letters_total,
            "interlocks_total": self.stats.interlocks_total,
            "messages_per_s": (self.stats.messages_total - msgs) / span,
            "rows_per_s": (self.stats.rows_total - rows) / span,
            "lag_ms": lag_p50,
            "lag_p99_ms": lag_p99,
            "commit_ms": self.stats.commit_ms,
            "spool_batches": spool.depth,
            "spool_bytes": spool.bytes,
            "spool_fill": spool.fill,
            "last_error": self.committer.last_error,
            "stalled_since": self.stalled_since,
        }

    def release_producer(self) -> None:
        """Shutting down: ``room()`` stops waiting, even while the flusher is stalled."""
        self._released = True
        self._room.set()

    async def stop(self) -> None:
        """Ask the flusher to write what is pending and return (within ``stop_grace_s`` of
        retries when the batch cannot be written)."""
        self.release_producer()
        self._stopping = True
        self._stopped.set()
        self._wake.set()
