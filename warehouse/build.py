"""Build the star schema from the landing zone: schema, dimensions, one fact day at a time.

Plain functions over a `Warehouse` (no Dagster here): the assets, the CLI and the tests call
them alike. A fact partition is one plant-local calendar day; building it drops exactly that
ClickHouse partition and inserts the day again, so re-runs and backfills never duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from fabstack.calendar import as_of, day_window
from fabstack.errors import FabError
from warehouse.client import SQL_DIR, Warehouse

SCHEMA_FILES = (
    "schema/001_dims.sql",
    "schema/002_facts.sql",
    "schema/003_stages.sql",
    "schema/004_recipe_spec_limits.sql",
    "schema/005_sort_results.sql",
)

# Dimensions in load order; all are rebuilt whole.
DIMS: tuple[str, ...] = (
    "dim_machine",
    "dim_date",
    "dim_shift",
    "dim_recipe",
    "dim_product",
    "dim_lot",
    "dim_wafer",
    "dim_defect_type",
    "dim_state_reason",
)
# Facts in build order (wafer history summarises fact_sensor_minute, so it comes after it).
FACTS: tuple[str, ...] = (
    "fact_machine_state",
    "fact_sensor_minute",
    "fact_production_hourly",
    "fact_inspection",
    "fact_defect",
    "fact_wafer_history",
    "fact_wafer_sort",
    "fact_die_bin",
)
# The column each fact's time range is reported on.
FACT_TIME_COLUMN: dict[str, str] = {
    "fact_machine_state": "start_ts",
    "fact_sensor_minute": "minute",
    "fact_production_hourly": "hour",
    "fact_inspection": "ts",
    "fact_defect": "ts",
    "fact_wafer_history": "track_out_ts",
    "fact_wafer_sort": "ts",
    "fact_die_bin": "ts",
}
# Calendar range of dim_date and dim_shift.
CALENDAR_FIRST = date(2020, 1, 1)
CALENDAR_LAST = date(2035, 12, 31)
# How far back a partition looks for the state in effect at its start, open lot steps, etc.
LOOKBACK_DAYS = 14


def landing_params(dsn: str) -> dict[str, str]:
    """The postgresql() table function's connection arguments, from a landing-zone DSN."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise FabError(f"landing DSN: expected postgresql://user@host:port/db, got {dsn!r}")
    database = parts.path.lstrip("/")
    if not database:
        raise FabError(f"landing DSN: no database name in {dsn!r}")
    return {
        "pg_host": f"{parts.hostname}:{parts.port or 5432}",
        "pg_db": database,
        "pg_user": unquote(parts.username or "postgres"),
        "pg_password": unquote(parts.password or ""),
    }


def partition_params(
    day: date, tz: str, landing_dsn: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Everything a fact SQL file may ask for, for one plant-local day."""
    start, end = day_window(day, tz)
    return {
        "day": day,
        "day_start": start,
        "day_end": end,
        "as_of": as_of(day, tz, now),
        "lookback_start": start - timedelta(days=LOOKBACK_DAYS),
        **landing_params(landing_dsn),
    }


def ensure_schema(wh: Warehouse, cluster: str | None = None) -> int:
    """Create database `fab` and every table that is missing; returns statements run.
    With a cluster (default ``FAB_CLICKHOUSE_CLUSTER``) the DDL runs ON CLUSTER with replicated
    and Distributed tables (warehouse/cluster.py); without one the schema files run as they are."""
    if cluster is None:
        from fabstack.settings import load_settings

        cluster = load_settings().clickhouse_cluster
    if not cluster:
        return sum(wh.run_file(name) for name in SCHEMA_FILES)
    from warehouse.cluster import cluster_statements

    statements = cluster_statements(SCHEMA_FILES, cluster)
    for statement in statements:
        wh.command(statement)
    return len(statements)


def build_dim(wh: Warehouse, name: str, landing_dsn: str, tz: str) -> int:
    """Rebuild one dimension from the landing zone; returns its row count."""
    if name not in DIMS:
        raise FabError(f"dimension: unknown {name!r} (known: {', '.join(DIMS)})")
    params = {
        "first": CALENDAR_FIRST,
        "last": CALENDAR_LAST,
        "tz": tz,
        **landing_params(landing_dsn),
    }
    wh.run_file(f"dims/{name}.sql", params)
    return int(wh.scalar(f"SELECT count() FROM fab.{name}"))


@dataclass(frozen=True)
class PartitionStats:
    """What one fact partition holds after a build: the asset's materialization metadata."""

    table: str
    day: date
    rows: int
    bytes: int
    first_ts: datetime | None
    last_ts: datetime | None


def build_fact(
    wh: Warehouse,
    name: str,
    day: date,
    landing_dsn: str,
    tz: str,
    *,
    now: datetime | None = None,
) -> PartitionStats:
    """Replace one fact's partition for a plant-local day; returns what it now holds."""
    if name not in FACTS:
        raise FabError(f"fact: unknown {name!r} (known: {', '.join(FACTS)})")
    wh.run_file(f"facts/{name}.sql", partition_params(day, tz, landing_dsn, now=now))
    return partition_stats(wh, name, day)


def partition_stats(wh: Warehouse, table: str, day: date) -> PartitionStats:
    column = FACT_TIME_COLUMN[table]
    summary = wh.query(
        f"SELECT count() AS rows, toDateTime64(min({column}), 3, 'UTC') AS first_ts, "
        f"toDateTime64(max({column}), 3, 'UTC') AS last_ts "
        f"FROM fab.{table} WHERE day = {{day:Date}}",
        {"day": day},
    ).row(0, named=True)
    size = wh.scalar(
        "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = 'fab' "
        "AND table = {table:String} AND partition_id = {pid:String}",
        {"table": table, "pid": day.strftime("%Y%m%d")},
    )
    rows = int(summary["rows"])
    return PartitionStats(
        table=table,
        day=day,
        rows=rows,
        bytes=int(size or 0),
        first_ts=_utc(summary["first_ts"]) if rows else None,
        last_ts=_utc(summary["last_ts"]) if rows else None,
    )


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def build_day(
    wh: Warehouse, day: date, landing_dsn: str, tz: str, *, now: datetime | None = None
) -> list[PartitionStats]:
    """Every fact for one day, in dependency order (dimensions must be current)."""
    return [build_fact(wh, name, day, landing_dsn, tz, now=now) for name in FACTS]


def build_dims(wh: Warehouse, landing_dsn: str, tz: str) -> dict[str, int]:
    return {name: build_dim(wh, name, landing_dsn, tz) for name in DIMS}


def sql_files() -> list[str]:
    """Every warehouse SQL file, relative to warehouse/sql (used by the backend parity test)."""
    return sorted(str(p.relative_to(SQL_DIR)) for p in SQL_DIR.rglob("*.sql"))
