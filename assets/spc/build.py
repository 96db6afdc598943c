"""SPC facts for one plant-local day over the `Warehouse` interface (no Dagster here)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import psycopg

from assets.spc.capability import WINDOW_DAYS, series_capability, spec_limits
from assets.spc.series import (
    CHART_OF_SOURCE,
    RULE_CONTEXT_DAYS,
    SQL,
    UTC_TS,
    Baseline,
    _wh_sql,
    first_seen,
    judge_day,
    load_points,
    new_versions,
)
from fabstack.calendar import day_window
from warehouse.client import Warehouse
from warehouse.writer import insert_frame, replace_partition


def ensure_spc_schema(wh: Warehouse) -> None:
    wh.run_script(SQL.text("schema"))


def read_limits(wh: Warehouse) -> pl.DataFrame:
    """Every frozen limit version of the chart type each source uses now. Versions of a chart
    type since replaced (the defects' c chart before Laney u') stay stored but are ignored, so
    their series get a fresh baseline of the new chart."""
    frame = wh.query(_wh_sql("wh_limits"))
    if frame.is_empty():
        return frame
    current = pl.col("source").cast(pl.Utf8).replace_strict(CHART_OF_SOURCE, default=None)
    return frame.with_columns(
        pl.col("source", "machine_id", "item", "recipe_id", "chart_type", "chart").cast(pl.Utf8),
        pl.col("baseline_start", "baseline_end", "created_at").cast(UTC_TS),
    ).filter(pl.col("chart_type") == current)


def update_limits(
    wh: Warehouse,
    landing: psycopg.Connection,
    day: date,
    tz: str,
    *,
    baseline_days: int = 3,
    min_points: int = 20,
    rebaseline: Baseline | None = None,
    now: datetime | None = None,
) -> pl.DataFrame:
    """Freeze version 1 for series whose baseline is complete by ``day``; with ``rebaseline``,
    a new version of every series. Returns the rows added (versions are never rewritten)."""
    ensure_spc_schema(wh)
    existing = read_limits(wh)
    series = first_seen(wh, landing, now or utc_now())
    added = new_versions(
        lambda s, e: load_points(wh, landing, s, e),
        series,
        existing,
        day,
        tz,
        baseline_days=baseline_days,
        min_points=min_points,
        rebaseline=rebaseline,
        now=now,
    )
    if added.height:
        insert_frame(wh, "spc_limits", added)
    return added


def build_spc_day(
    wh: Warehouse, landing: psycopg.Connection, day: date, tz: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Judge the day's points against the limits in force; replace both day partitions."""
    ensure_spc_schema(wh)
    start, end = day_window(day, tz)
    points = load_points(wh, landing, start - timedelta(days=RULE_CONTEXT_DAYS), end)
    judged, viol = judge_day(points, read_limits(wh), day, tz)
    replace_partition(wh, "fact_spc_points", day, judged)
    replace_partition(wh, "spc_violations", day, viol)
    return judged, viol


def build_capability_day(wh: Warehouse, day: date) -> pl.DataFrame:
    """Capability of every I-chart series over the WINDOW_DAYS ending with ``day`` (from the
    judged points in the warehouse, so build the SPC days first); replaces partition ``day``."""
    ensure_spc_schema(wh)
    first = day - timedelta(days=WINDOW_DAYS - 1)
    points = wh.query(_wh_sql("wh_capability_points"), {"first_day": first, "last_day": day})
    recipes = wh.query(_wh_sql("wh_recipe_specs"))
    frame = series_capability(points, spec_limits(recipes))
    if frame.height:
        frame = frame.with_columns(pl.lit(WINDOW_DAYS, pl.UInt16).alias("window_days"))
    replace_partition(wh, "fact_spc_capability", day, frame)
    return frame


def utc_now() -> datetime:
    return datetime.now(UTC)
