"""The one way analytics frames reach the warehouse: insert a frame, or replace a day partition
with exactly a frame (drop, then insert), so a re-run never duplicates."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

import polars as pl

from fabstack.sqlfile import last_statement
from warehouse.client import Warehouse

SQL_DIR = Path(__file__).parent / "sql" / "writer"


def table_columns(wh: Warehouse, table: str) -> list[tuple[str, str]]:
    cols = wh.query(last_statement(SQL_DIR / "table_structure.sql"), {"table": table})
    if cols.is_empty():
        raise ValueError(f"warehouse table fab.{table} does not exist")
    return list(zip(cols["name"].to_list(), cols["type"].to_list(), strict=True))


def insert_frame(wh: Warehouse, table: str, frame: pl.DataFrame) -> int:
    """Insert ``frame`` (it must have every column of fab.``table``; extra ones are ignored)."""
    if frame.is_empty():
        return 0
    columns = table_columns(wh, table)
    missing = [name for name, _ in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"fab.{table}: frame lacks columns {missing}")
    ordered = frame.select([name for name, _ in columns]).with_columns(
        pl.col(pl.Float64, pl.Float32).fill_nan(None)
    )
    structure = ", ".join(f"`{name}` {ctype}" for name, ctype in columns)
    # base64 NDJSON as a query parameter: no escaping, and the same text on chDB and a server
    payload = base64.b64encode(ordered.write_ndjson().encode()).decode()
    wh.command(
        last_statement(SQL_DIR / "insert_rows.sql"),
        {"table": table, "structure": structure, "rows": payload},
    )
    return ordered.height


def replace_partition(wh: Warehouse, table: str, day: date, frame: pl.DataFrame) -> int:
    """Make partition ``day`` of fab.``table`` hold exactly ``frame`` (idempotent re-runs)."""
    # a script, so a cluster routes the drop to the shards' local tables
    wh.run_script(last_statement(SQL_DIR / "drop_partition.sql"), {"table": table, "day": day})
    if frame.is_empty():
        return 0
    return insert_frame(wh, table, frame.with_columns(pl.lit(day).alias("day")))


def replace_days(wh: Warehouse, table: str, frame: pl.DataFrame) -> int:
    """Replace every day partition ``frame`` covers (by its ``day`` column) with its rows."""
    return sum(
        replace_partition(wh, table, day, frame.filter(pl.col("day") == day))
        for day in sorted(set(frame["day"].to_list()))
    )
