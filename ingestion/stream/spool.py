"""Store-and-forward: batches that could not reach PostgreSQL wait on disk, in order.

Each batch is one segment file ``{seq:012d}.seg``: written to a temporary name, fsync'd,
renamed, and the directory fsync'd, so a segment is either whole or absent after a crash.
Content is JSON (orjson; the standard library's json for integers beyond 64 bits) with a
CRC32 header line. Every byte is checked written: a short write, a full disk or a read-only
directory raises ``SpoolError`` with no segment left behind, and the caller does not
acknowledge the batch. The spool is bounded in bytes; it warns loudly at 50/75/90 % and
refuses new segments when full (``SpoolFull``; the broker keeps the messages).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

log = logging.getLogger("fab.ingest.spool")
WARN_AT = (0.5, 0.75, 0.9)


class SpoolError(Exception):
    """A segment could not be written whole (disk full, read-only, unencodable): not spooled."""


class SpoolFull(SpoolError):
    """The spool reached its byte bound."""


@dataclass(frozen=True, slots=True)
class SpoolBatch:
    rows: dict[str, list[tuple]]
    dead_letters: list[tuple]


def _encode(batch: SpoolBatch) -> bytes:
    content = {"rows": batch.rows, "dead": batch.dead_letters}
    try:
        body, fmt = orjson.dumps(content, option=orjson.OPT_PASSTHROUGH_DATACLASS), b""
    except TypeError:  # an integer beyond 64 bits: orjson cannot, json can (exactly)
        try:
            body, fmt = json.dumps(content, default=_iso).encode(), b" json"
        except (TypeError, ValueError) as exc:
            raise SpoolError(f"batch cannot be spooled: {exc}") from None
    return b"%08x%s\n" % (zlib.crc32(body), fmt) + body


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _decode(data: bytes, path: Path) -> SpoolBatch:
    header, _, body = data.partition(b"\n")
    crc, _, fmt = header.partition(b" ")
    if int(crc, 16) != zlib.crc32(body):
        raise ValueError(f"{path}: CRC mismatch")
    obj = json.loads(body) if fmt == b"json" else orjson.loads(body)
    # The first column of every landing table is its timestamp.
    rows = {
        table: [(datetime.fromisoformat(r[0]), *r[1:]) for r in table_rows]
        for table, table_rows in obj["rows"].items()
    }
    return SpoolBatch(rows, [tuple(d) for d in obj["dead"]])


class Spool:
    def __init__(self, directory: Path | str, max_bytes: int = 1 << 30) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        for stale in self.dir.glob("*.tmp"):  # a crash mid-write: never acknowledged
            stale.unlink()
        self._segments = sorted(self.dir.glob("*.seg"))
        self.bytes = sum(p.stat().st_size for p in self._segments)
        self._next = int(self._segments[-1].stem) + 1 if self._segments else 1
        self._warned = 0.0

    @property
    def depth(self) -> int:
        return len(self._segments)

    @property
    def fill(self) -> float:
        return self.bytes / self.max_bytes

    def append(self, batch: SpoolBatch) -> Path:
        """Durably add a batch; returns only after it is on disk."""
        data = _encode(batch)
        if self.bytes + len(data) > self.max_bytes:
            log.error(
                "SPOOL FULL: %s holds %d bytes of %d; not acknowledging new messages",
                self.dir,
                self.bytes,
                self.max_bytes,
            )
            raise SpoolFull(f"spool {self.dir} is full ({self.bytes} bytes)")
        path = self.dir / f"{self._next:012d}.seg"
        try:
            self._write_whole(path, data)
        except OSError as exc:
            for leftover in (path.with_suffix(".tmp"), path):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise SpoolError(f"spool {self.dir}: segment not written: {exc}") from None
        self._next += 1
        self._segments.append(path)
        self.bytes += len(data)
        self._warn()
        return path

    def _write_whole(self, path: Path, data: bytes) -> None:
        """Every byte written and fsync'd under a temporary name, then renamed into place."""
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                if written <= 0:
                    raise OSError(errno.ENOSPC, "short write", str(tmp))
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _warn(self) -> None:
        for level in WARN_AT:
            if self.fill >= level > self._warned:
                self._warned = level
                log.warning(
                    "SPOOL %.0f%% FULL: %d batches, %d bytes waiting in %s "
                    "(PostgreSQL unreachable?)",
                    level * 100,
                    self.depth,
                    self.bytes,
                    self.dir,
                )
        if self.fill < WARN_AT[0]:
            self._warned = 0.0

    def pending(self) -> Iterator[tuple[Path, SpoolBatch | None]]:
        """Segments oldest first; ``None`` for an unreadable one (the caller sets it aside)."""
        for path in list(self._segments):
            try:
                yield path, _decode(path.read_bytes(), path)
            except (ValueError, OSError, orjson.JSONDecodeError) as exc:
                log.error("spool segment %s unreadable: %s", path, exc)
                yield path, None

    def remove(self, path: Path) -> None:
        """Forget a segment once its rows are committed (or set aside)."""
        size = path.stat().st_size if path.exists() else 0
        path.unlink(missing_ok=True)
        self._segments.remove(path)
        self.bytes -= size
        self._warn()

    def set_aside(self, path: Path, why: str) -> None:
        bad = self.dir / "rejected"
        bad.mkdir(exist_ok=True)
        size = path.stat().st_size
        os.rename(path, bad / path.name)
        self._segments.remove(path)
        self.bytes -= size
        log.error("spool segment %s set aside in %s: %s", path.name, bad, why)
