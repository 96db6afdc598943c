"""Read-side helpers the CLI uses: table status and a wafer's digital thread."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fabstack.errors import FabError
from warehouse.client import Warehouse

# Landing wafer ids look like LOT-NNC (ingestion.payloads.validate_wafer_id); the warehouse
# only needs a sane, bounded string to look up.
MAX_WAFER_ID = 64


def schema_exists(wh: Warehouse) -> bool:
    return bool(wh.scalar("SELECT count() FROM system.databases WHERE name = 'fab'"))


def table_status(wh: Warehouse) -> pl.DataFrame:
    """Every table in `fab` with partitions, rows, bytes and the first/last partition."""
    return wh.query_file("queries/table_status.sql")


def partition_status(wh: Warehouse, table: str) -> pl.DataFrame:
    return wh.query_file("queries/partition_status.sql", {"table": table})


@dataclass(frozen=True)
class WaferTrace:
    wafer: dict
    route: pl.DataFrame
    defects: pl.DataFrame


def wafer_trace(wh: Warehouse, wafer_id: str) -> WaferTrace:
    """A wafer's lot and product, every step it saw, and the defects found on it."""
    wafer_id = wafer_id.strip()
    if not wafer_id or len(wafer_id) > MAX_WAFER_ID:
        raise FabError(f"WAFER_ID: expected a wafer id like L2506100017-01N, got {wafer_id!r}")
    if not schema_exists(wh):
        raise FabError("warehouse is empty: materialize the assets first (`fab demo`)")
    info = wh.query_file("queries/wafer_info.sql", {"wafer_id": wafer_id})
    if info.height == 0:
        raise FabError(f"WAFER_ID: no wafer {wafer_id!r} in the warehouse (fab.dim_wafer)")
    route = wh.query_file("queries/wafer_route.sql", {"wafer_id": wafer_id})
    defects = wh.query_file("queries/wafer_defects.sql", {"wafer_id": wafer_id})
    return WaferTrace(info.row(0, named=True), route, defects)
