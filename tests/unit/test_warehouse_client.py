"""The Warehouse interface: SQL splitting, parameters, day windows and backend parity."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from fabstack import calendar
from fabstack.errors import FabError
from warehouse import build
from warehouse.client import ChdbWarehouse, ServerWarehouse, split_statements

DSN = "postgresql://fab:s%40cret@db.example:6543/landing"


def test_split_statements_keeps_comments_inside_and_drops_empty_parts() -> None:
    text = "-- header\nCREATE TABLE a (x Int8);\n\n-- only a comment;\nSELECT 1;\nSELECT ';'\n"
    assert split_statements(text) == [
        "-- header\nCREATE TABLE a (x Int8)",
        "SELECT 1",
        "SELECT ';'",
    ]


def test_every_sql_file_splits_into_statements() -> None:
    from warehouse.client import read_sql

    for name in build.sql_files():
        assert split_statements(read_sql(name)), name


def test_landing_params_from_dsn() -> None:
    assert build.landing_params(DSN) == {
        "pg_host": "db.example:6543",
        "pg_db": "landing",
        "pg_user": "fab",
        "pg_password": "s@cret",
    }
    with pytest.raises(FabError, match="landing DSN"):
        build.landing_params("mysql://x@y/z")
    with pytest.raises(FabError, match="no database"):
        build.landing_params("postgresql://x@y:5432")


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2025, 3, 30), 23), (date(2025, 10, 26), 25), (date(2025, 6, 1), 24)]
)
def test_day_window_follows_the_plant_time_zone(day: date, hours: int) -> None:
    start, end = calendar.day_window(day, "Europe/Berlin")
    assert (end - start).total_seconds() == hours * 3600
    assert start.tzinfo == UTC and start.hour in (22, 23)


def test_partition_params_cut_today_at_now() -> None:
    now = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    p = build.partition_params(date(2025, 6, 1), "Europe/Berlin", DSN, now=now)
    assert p["as_of"] == now and p["day_end"] > now
    past = build.partition_params(date(2025, 5, 1), "Europe/Berlin", DSN, now=now)
    assert past["as_of"] == past["day_end"]


def test_local_days_of_a_backfill_window() -> None:
    start = datetime(2025, 6, 4, 9, tzinfo=UTC)
    end = datetime(2025, 6, 11, 9, tzinfo=UTC)  # 7 days ending 11:00 Berlin
    days = calendar.local_days(start, end, "Europe/Berlin")
    assert days[0] == date(2025, 6, 4) and days[-1] == date(2025, 6, 11) and len(days) == 8
    # 23:30 UTC is already the next day in Berlin
    late = datetime(2025, 6, 10, 23, 30, tzinfo=UTC)
    assert calendar.local_days(late, late.replace(minute=45), "Europe/Berlin") == [
        date(2025, 6, 11)
    ]


def test_parse_day_names_the_bad_value() -> None:
    with pytest.raises(FabError, match="'2025-13-01'"):
        calendar.parse_day("2025-13-01")


class FakeClickHouseClient:
    """Stands in for the ClickHouse server only: records what clickhouse-connect would send."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        self.calls.append(("command", sql, dict(parameters or {})))

    def query_arrow(self, sql: str, parameters: dict[str, Any] | None = None) -> pa.Table:
        self.calls.append(("query", sql, dict(parameters or {})))
        return pa.table({"rows": [0], "first_ts": [None], "last_ts": [None]})


def test_clickhouse_connect_accepts_server_side_parameters() -> None:
    from clickhouse_connect.driver.client import Client

    assert "parameters" in inspect.signature(Client.command).parameters
    assert "parameters" in inspect.signature(Client.query_arrow).parameters


def _build_everything(wh, day: date, now: datetime) -> None:
    """Schema, every dimension and every fact of ``day``: the statements a build sends."""
    build.ensure_schema(wh)
    for name in build.DIMS:
        wh.run_file(
            f"dims/{name}.sql",
            {
                "first": build.CALENDAR_FIRST,
                "last": build.CALENDAR_LAST,
                "tz": "Europe/Berlin",
                **build.landing_params(DSN),
            },
        )
    for name in build.FACTS:
        build.build_fact(wh, name, day, DSN, "Europe/Berlin", now=now)


def test_server_backend_sends_the_same_sql_and_parameters_as_chdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the whole schema + dims + one fact day on both backends; compare every statement.

    chDB runs for real (its postgresql() reads fail against the fake landing host, so the
    statements are recorded before execution and the engine call is skipped for them)."""
    chdb_calls: list[tuple[str, str, dict[str, Any]]] = []
    original = ChdbWarehouse._run

    def recording_run(self, sql, params, fmt):
        kind = "query" if fmt == "ArrowTable" else "command"
        chdb_calls.append((kind, sql, dict(params or {})))
        if "postgresql(" in sql:
            return None
        return original(self, sql, params, fmt)

    monkeypatch.setattr(ChdbWarehouse, "_run", recording_run)
    now = datetime(2025, 6, 2, tzinfo=UTC)
    day = date(2025, 6, 1)
    chdb = ChdbWarehouse(tmp_path / "wh")
    try:
        _build_everything(chdb, day, now)
    finally:
        chdb.close()

    fake = FakeClickHouseClient()
    server = ServerWarehouse("http://user:pw@ch.example:8123/fab", client=fake)
    _build_everything(server, day, now)

    assert len(fake.calls) == len(chdb_calls) > 40
    for sent, ran in zip(fake.calls, chdb_calls, strict=True):
        assert sent == ran
    # values never end up in the SQL text
    texts = "\n".join(sql for _, sql, _ in fake.calls)
    assert "db.example" not in texts and "s@cret" not in texts and "2025-06-01" not in texts
    assert any(params.get("pg_password") == "s@cret" for _, _, params in fake.calls)


def test_nested_opens_share_the_outer_engine_and_lock(tmp_path: Path) -> None:
    """A run holds chDB open once; the assets' own opens inside it reuse that engine."""
    from fabstack.settings import load_settings
    from warehouse.client import open_warehouse

    settings = load_settings(home=tmp_path)
    with open_warehouse(settings) as outer:
        with open_warehouse(settings) as inner:
            assert inner is outer
            inner.command("CREATE TABLE t (x Int32) ENGINE = MergeTree ORDER BY x")
            inner.command("INSERT INTO t VALUES (1)")
        assert outer.scalar("SELECT count() FROM t") == 1  # the inner exit did not close it
    with open_warehouse(settings) as again:  # closed and unlocked: a fresh engine opens
        assert again is not outer
        assert again.scalar("SELECT count() FROM t") == 1
