"""One `Warehouse` interface, two backends: chDB (embedded) and a ClickHouse server.

SQL text is identical on both: values travel as ClickHouse query parameters written
``{name:Type}`` in the SQL, never formatted into the text. Results come back as polars frames
(through Arrow) so callers never see which backend answered.

chDB opens a data path in one process at a time, so `open_warehouse` takes an exclusive file
lock next to the data for the whole unit of work and closes the engine afterwards; a second
process waits for the lock instead of failing with "Error initializing EmbeddedServer". Nested
opens in the same process share the outer one's engine (a run of many assets opens it once).
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import polars as pl

from fabstack.errors import FabError
from fabstack.settings import Settings
from fabstack.sqlfile import split_statements

if TYPE_CHECKING:
    from warehouse.cluster import ClusterSchema

SQL_DIR = Path(__file__).parent / "sql"
LOCK_TIMEOUT_S = 600.0


def read_sql(name: str) -> str:
    """The text of ``warehouse/sql/<name>`` (name may include a sub-folder)."""
    path = SQL_DIR / name
    if not path.exists():
        raise FabError(f"warehouse SQL file not found: {path}")
    return path.read_text()


def _chdb_param(value: Any) -> Any:
    """chDB takes parameter values in ClickHouse text form; datetimes must be naive UTC text."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_array_item(v) for v in value) + "]"
    return value


def _array_item(value: Any) -> str:
    v = _chdb_param(value)
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(v)


class Warehouse(ABC):
    """What every backend offers. ``params`` fill ``{name:Type}`` placeholders."""

    kind: str = "?"
    location: str = "?"
    # a server in a ClickHouse cluster: scripts are routed through it (warehouse/cluster.py)
    cluster: ClusterSchema | None = None

    @abstractmethod
    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run one statement that returns nothing useful (DDL, INSERT ... SELECT, ALTER)."""

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        """Run one SELECT and return its rows as a polars frame."""

    def close(self) -> None:  # noqa: B027 - optional for backends without state
        """Release the engine or connection."""

    def run_script(self, text: str, params: Mapping[str, Any] | None = None) -> int:
        """Run every statement of a script in order; each gets only the params it mentions."""
        statements = split_statements(text)
        for statement in statements:
            routed_statements = (
                self.cluster.route(statement, params) if self.cluster else [statement]
            )
            for routed in routed_statements:
                self.command(routed, _params_used(routed, params))
        return len(statements)

    def run_file(self, name: str, params: Mapping[str, Any] | None = None) -> int:
        return self.run_script(read_sql(name), params)

    def query_file(self, name: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        statement = split_statements(read_sql(name))[-1]
        return self.query(statement, _params_used(statement, params))

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        frame = self.query(sql, params)
        return frame.item(0, 0) if frame.height else None


_PLACEHOLDER = re.compile(r"\{(\w+):")


def _params_used(statement: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Only the parameters a statement names: ClickHouse rejects unused ones on some versions."""
    if not params:
        return {}
    names = set(_PLACEHOLDER.findall(statement))
    return {k: v for k, v in params.items() if k in names}


class ChdbWarehouse(Warehouse):
    """chDB, the embedded ClickHouse engine, with its data under ``path``."""

    kind = "chdb"

    def __init__(self, path: Path) -> None:
        from chdb import session

        # The postgresql() table function reads timestamptz as text in the PG session's time
        # zone and drops the offset: pin libpq's session zone to UTC before connecting.
        os.environ.setdefault("PGTZ", "UTC")
        path.mkdir(parents=True, exist_ok=True)
        self.location = str(path)
        try:
            self._session = session.Session(str(path))
        except Exception as exc:  # chDB raises a bare RuntimeError/ChdbError
            raise FabError(f"warehouse at {path}: {str(exc).splitlines()[0]}") from exc
        self._session.query("SET session_timezone = 'UTC'")

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._run(sql, params, "CSV")

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        return pl.from_arrow(self._run(sql, params, "ArrowTable"))

    def _run(self, sql: str, params: Mapping[str, Any] | None, fmt: str) -> Any:
        converted = {k: _chdb_param(v) for k, v in (params or {}).items()}
        try:
            return self._session.query(sql, fmt, params=converted or None)
        except Exception as exc:
            raise WarehouseError(_first_line(exc), sql) from exc

    def close(self) -> None:
        if getattr(self, "_session", None) is not None:
            self._session.close()
            self._session = None


class ServerWarehouse(Warehouse):
    """A ClickHouse server through clickhouse-connect, URL ``http(s)://user:pass@host:port/db``."""

    kind = "clickhouse"

    def __init__(self, url: str, client: Any | None = None, cluster: str | None = None) -> None:
        parts = urlsplit(url)
        if cluster:
            from warehouse.cluster import ClusterSchema

            self.cluster = ClusterSchema(cluster, engine_of=self._engine_of)
        self.location = f"{parts.hostname}:{parts.port or 8123}"
        if client is None:
            import clickhouse_connect

            client = clickhouse_connect.get_client(
                host=parts.hostname,
                port=parts.port or (8443 if parts.scheme == "https" else 8123),
                username=unquote(parts.username or "default"),
                password=unquote(parts.password or ""),
                secure=parts.scheme == "https",
                settings={"session_timezone": "UTC"},
            )
        self.client = client

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        try:
            self.client.command(sql, parameters=dict(params or {}))
        except Exception as exc:
            raise WarehouseError(_first_line(exc), sql) from exc

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        try:
            table = self.client.query_arrow(sql, parameters=dict(params or {}))
        except Exception as exc:
            raise WarehouseError(_first_line(exc), sql) from exc
        return pl.from_arrow(table)

    def _engine_of(self, table: str) -> str | None:
        return self.scalar(
            "SELECT engine FROM system.tables WHERE database = 'fab' AND name = {table:String}",
            {"table": table},
        )

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close:
            close()


class WarehouseError(FabError):
    """A statement the warehouse refused: one line for the user, the statement kept in ``sql``."""

    def __init__(self, message: str, sql: str = "") -> None:
        super().__init__(f"warehouse: {message}")
        self.sql = sql


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def warehouse_path(settings: Settings) -> Path:
    return settings.home_dir / "warehouse"


@contextmanager
def _exclusive(lock_path: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock across processes; wait (polling) up to ``timeout`` seconds."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise FabError(
                        f"warehouse {lock_path.parent}: still busy after {timeout:.0f}s "
                        "(another process holds it)"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def open_warehouse(
    settings: Settings, *, lock_timeout: float = LOCK_TIMEOUT_S
) -> Iterator[Warehouse]:
    """The configured warehouse for one unit of work: ClickHouse server if FAB_CLICKHOUSE_URL is
    set, else chDB at FAB_HOME/warehouse (exclusively locked, closed on exit)."""
    if settings.clickhouse_url:
        wh: Warehouse = ServerWarehouse(
            settings.clickhouse_url, cluster=settings.clickhouse_cluster
        )
        try:
            yield wh
        finally:
            wh.close()
        return
    path = warehouse_path(settings).resolve()
    held = _HELD.get(path)
    if held is not None:
        # An outer unit of work in this process holds the lock and the engine: share them
        # (opening chDB loads every table's parts; a day's assets would pay that each time).
        yield held
        return
    with _exclusive(path.parent / "warehouse.lock", lock_timeout):
        wh = ChdbWarehouse(path)
        _HELD[path] = wh
        try:
            yield wh
        finally:
            del _HELD[path]
            wh.close()


_HELD: dict[Path, ChdbWarehouse] = {}  # chDB engines open in this process, by data path
