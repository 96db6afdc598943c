"""Maintenance inputs from, and facts into, the warehouse (ClickHouse / chDB). No Dagster here."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from assets.maintenance.features import MaintenanceInputs
from assets.maintenance.sources import SCHEMAS, _cast, _check_window, named_queries
from fabstack.sqlfile import split_statements
from warehouse import writer
from warehouse.client import Warehouse

SCHEMA_FILE = Path(__file__).parent / "sql" / "warehouse" / "schema.sql"


def ensure_schema(wh: Warehouse) -> None:
    wh.command("CREATE DATABASE IF NOT EXISTS fab")
    wh.run_script(SCHEMA_FILE.read_text())


def _params(start: datetime, end: datetime, landing: dict[str, str]) -> dict[str, object]:
    # Plant-local days can be a day off UTC days either way.
    return {
        "start": start,
        "end": end,
        "first_day": start.date() - timedelta(days=1),
        "last_day": end.date() + timedelta(days=1),
        **landing,
    }


def _query(wh: Warehouse, name: str, params: dict[str, object]) -> pl.DataFrame:
    text = named_queries("warehouse/inputs.sql")[name]
    statement = split_statements(text)[-1]
    used = {k: v for k, v in params.items() if "{" + k + ":" in statement}
    frame = wh.query(statement, used)
    if frame.is_empty():
        return pl.DataFrame(schema=SCHEMAS[name])
    return _cast(frame, name)


def inputs_from_warehouse(
    wh: Warehouse, start: datetime, end: datetime, landing: dict[str, str]
) -> MaintenanceInputs:
    """``landing``: the postgresql() arguments (warehouse.build.landing_params)."""
    _check_window(start, end)
    params = _params(start, end, landing)
    frames = {
        n: _query(wh, n, params)
        for n in ("machines", "limits", "sensor_hourly", "states", "counts", "alarms")
    }
    return MaintenanceInputs(**frames)


def readings_from_warehouse(wh: Warehouse, start: datetime, end: datetime) -> pl.DataFrame:
    _check_window(start, end)
    return _query(wh, "readings", _params(start, end, {}))


def warehouse_data_end(wh: Warehouse) -> datetime | None:
    value = wh.scalar(named_queries("warehouse/inputs.sql")["data_end"])
    return value


def replace_days(wh: Warehouse, table: str, frame: pl.DataFrame) -> int:
    """Drop the day partitions ``frame`` covers, then insert it: a re-run never duplicates."""
    ensure_schema(wh)
    return writer.replace_days(wh, table, frame)
