"""SPC on the plant's data: which series exist, their frozen limit versions, and one day's
points and violations judged against the version in force. Plain code (no Dagster).

A series is (source, machine_id, item, recipe_id):
- measurement: a per-wafer process parameter (critical dimension, film thickness); one point
  per lot step, the lot mean, on an I-MR chart (lot-to-lot variation is part of the process,
  so the within-lot spread would make x-bar limits far too tight);
- sensor: a tool metric's hourly mean from the sensor minute fact, I-MR, judged by rule 1 only
  (the means are autocorrelated, which run rules take for a shift);
- defects: defects per inspected wafer per inspection tool, Laney u' chart (defects cluster on
  wafer maps, so counts vary more than Poisson and a plain c chart flags most wafers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import psycopg

from assets.spc.charts import Limits, chart_points, phase1_limits
from assets.spc.rules import RULES, violations
from fabstack.calendar import day_window
from fabstack.sqlfile import SqlFolder
from warehouse.client import Warehouse

SQL = SqlFolder(Path(__file__).parent / "sql")
SERIES_KEYS = ["source", "machine_id", "item", "recipe_id"]
CHART_OF_SOURCE = {"measurement": "imr", "sensor": "imr", "defects": "laney-u"}
# Run rules (2-8) assume independent points. Hourly means of a sensor are autocorrelated (the
# process drifts slowly), so they trip run rules all day; their charts keep rule 1 only.
RULES_OF_SOURCE = {"measurement": tuple(RULES), "sensor": (1,), "defects": tuple(RULES)}
UTC_TS = pl.Datetime("us", "UTC")
POINT_SCHEMA = {
    "source": pl.Utf8,
    "machine_id": pl.Utf8,
    "item": pl.Utf8,
    "recipe_id": pl.Utf8,
    "ts": UTC_TS,
    "subgroup": pl.Utf8,
    "n": pl.Float64,
    "value": pl.Float64,
}
FIRST_SCHEMA = {
    "source": pl.Utf8,
    "machine_id": pl.Utf8,
    "item": pl.Utf8,
    "recipe_id": pl.Utf8,
    "first_ts": UTC_TS,
    "last_ts": UTC_TS,
}
RULE_CONTEXT_DAYS = 2  # earlier points judged too, so runs across midnight are seen
PROVISIONAL_MIN_POINTS = 10
MAX_BASELINE_DAYS = 28  # a series too sparse for a baseline in 4 weeks stays provisional


def _wh_sql(name: str) -> str:
    return SQL.statement(name)


def _pg(conn: psycopg.Connection, name: str, params: dict, schema: dict) -> pl.DataFrame:
    with conn.cursor() as cur:
        cur.execute(SQL.text(name), params)
        return pl.DataFrame(cur.fetchall(), schema=schema, orient="row")


def _wh(wh: Warehouse, name: str, params: dict, schema: dict) -> pl.DataFrame:
    frame = wh.query(_wh_sql(name), params)
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    return frame.select(list(schema)).cast(schema)


def _per_source(
    wh: Warehouse,
    landing: psycopg.Connection,
    sources: tuple[str, ...],
    query: str,
    params: dict,
    schema: dict,
) -> list[pl.DataFrame]:
    """Query ``query`` of each source: measurements in the landing zone, sensors and defects
    in the warehouse (``landing_measurement_<query>``, ``wh_sensor_<query>``, ...)."""
    frames = []
    if "measurement" in sources:
        frames.append(_pg(landing, f"landing_measurement_{query}", params, schema))
    for source, table in (("sensor", "sensor"), ("defects", "defect")):
        if source in sources:
            frames.append(_wh(wh, f"wh_{table}_{query}", params, schema))
    return frames


def load_points(
    wh: Warehouse,
    landing: psycopg.Connection,
    start: datetime,
    end: datetime,
    sources: tuple[str, ...] = tuple(CHART_OF_SOURCE),
) -> pl.DataFrame:
    """Every series' points with ts in [start, end)."""
    params = {
        "start": start,
        "end": end,
        "first_day": (start - timedelta(days=1)).date(),
        "last_day": (end + timedelta(days=1)).date(),
    }
    frames = _per_source(wh, landing, sources, "points", params, POINT_SCHEMA)
    return pl.concat(frames).sort([*SERIES_KEYS, "ts", "subgroup"])


def first_seen(
    wh: Warehouse,
    landing: psycopg.Connection,
    end: datetime,
    sources: tuple[str, ...] = tuple(CHART_OF_SOURCE),
) -> pl.DataFrame:
    """When each series' first and last points arrived (before ``end``)."""
    params = {"end": end, "last_day": end.date()}
    return pl.concat(_per_source(wh, landing, sources, "first", params, FIRST_SCHEMA))


@dataclass(frozen=True)
class Baseline:
    """A Phase I window in plant-local days [first_day, last_day]; Phase II from the next day."""

    first_day: date
    last_day: date
    reason: str


def _initial_window(
    points: pl.DataFrame,
    first_day: date,
    last_ts: datetime,
    day: date,
    tz: str,
    baseline_days: int,
    min_points: int,
) -> Baseline | None:
    """Version 1's window: the first ``baseline_days`` days, extended day by day until it
    holds ``min_points`` points; None while that window is not over. A window is over when
    partition ``day`` lies after it or later data exist (history loaded at once), so a backfill
    judges the first days against the same limits whatever order partitions run in."""
    last_day = first_day + timedelta(days=baseline_days - 1)
    while last_day < first_day + timedelta(days=MAX_BASELINE_DAYS):
        end = day_window(last_day, tz)[1]
        over = last_day < day or last_ts >= end
        if not over:
            return None
        if points.filter(pl.col("ts") < end).height >= min_points:
            days = (last_day - first_day).days + 1
            return Baseline(first_day, last_day, f"initial Phase I: first {days} days of data")
        last_day += timedelta(days=1)
    return None


def _limits_rows(
    key: dict,
    points: pl.DataFrame,
    version: int,
    start: datetime,
    end: datetime,
    effective_from: date,
    reason: str,
    now: datetime,
) -> list[dict]:
    """Phase I limits of one series fitted on its baseline ``points``, as limit-table rows."""
    chart_type = CHART_OF_SOURCE[key["source"]]
    stats = points.with_row_index("point").select("point", "subgroup", "n", "value")
    limits = phase1_limits(chart_type, stats)
    return [
        {
            **key,
            "chart_type": chart_type,
            "chart": lim.chart,
            "version": version,
            "baseline_start": start,
            "baseline_end": end,
            "effective_from": effective_from,
            "created_at": now,
            "center": lim.center,
            "lcl": lim.lcl,
            "ucl": lim.ucl,
            "sigma": lim.sigma,
            "parameter": lim.parameter,
            "size": None if lim.size is None else float(lim.size),
            "baseline_points": lim.baseline_points,
            "reason": reason,
        }
        for lim in limits.values()
    ]


def new_versions(
    points_for: Callable[[datetime, datetime], pl.DataFrame],
    series_first: pl.DataFrame,
    existing: pl.DataFrame,
    day: date,
    tz: str,
    baseline_days: int = 3,
    min_points: int = 20,
    rebaseline: Baseline | None = None,
    now: datetime | None = None,
) -> pl.DataFrame:
    """Limit rows to add as of ``day``: version 1 for every series whose baseline (first
    ``baseline_days`` days, longer until ``min_points`` points) is over, and with ``rebaseline``
    a new version of every series from that window (skipped if the latest already is it).
    ``points_for(start, end)`` loads the points of all series in a UTC range."""
    now = now or datetime.now(UTC)
    rows: list[dict] = []
    latest = (
        existing.group_by(SERIES_KEYS).agg(
            pl.col("version").max(),
            pl.col("baseline_start").max().alias("last_start"),
            pl.col("baseline_end").max().alias("last_end"),
        )
        if existing.height
        else pl.DataFrame(
            schema={
                **{k: pl.Utf8 for k in SERIES_KEYS},
                "version": pl.UInt32,
                "last_start": UTC_TS,
                "last_end": UTC_TS,
            }
        )
    )
    known = {tuple(r[k] for k in SERIES_KEYS): r for r in latest.iter_rows(named=True)}
    cache: dict[tuple[date, date], pl.DataFrame] = {}

    def window_points(first: date, last: date) -> tuple[datetime, datetime, pl.DataFrame]:
        start, _ = day_window(first, tz)
        _, end = day_window(last, tz)
        if (first, last) not in cache:
            cache[(first, last)] = points_for(start, end)
        return start, end, cache[(first, last)]

    pending = [
        s
        for s in series_first.iter_rows(named=True)
        if tuple(s[k] for k in SERIES_KEYS) not in known
    ]
    if pending:  # version 1: one load covering every pending series' longest possible baseline
        zone = ZoneInfo(tz)
        firsts = [s["first_ts"].astimezone(zone).date() for s in pending]
        _, _, initial = window_points(
            min(firsts), max(firsts) + timedelta(days=MAX_BASELINE_DAYS - 1)
        )
        for s, first_day in zip(pending, firsts, strict=True):
            key = {k: s[k] for k in SERIES_KEYS}
            mine = initial.filter(*[pl.col(k) == v for k, v in key.items()]).sort("ts")
            window = _initial_window(
                mine, first_day, s["last_ts"], day, tz, baseline_days, min_points
            )
            if window is None:
                continue  # the baseline is not over yet
            start, end = day_window(window.first_day, tz)[0], day_window(window.last_day, tz)[1]
            rows += _limits_rows(
                key,
                mine.filter(pl.col("ts") < end),
                1,
                start,
                end,
                window.last_day + timedelta(days=1),
                window.reason,
                now,
            )
    if rebaseline is not None:
        start, end, pts = window_points(rebaseline.first_day, rebaseline.last_day)
        for s in series_first.iter_rows(named=True):
            key = {k: s[k] for k in SERIES_KEYS}
            last = known.get(tuple(key.values()))
            if last is None or (last["last_start"] == start and last["last_end"] == end):
                continue  # no limits yet, or the same re-baseline again: nothing to do
            mine = pts.filter(*[pl.col(k) == v for k, v in key.items()]).sort("ts")
            if mine.height < min_points:
                continue
            rows += _limits_rows(
                key,
                mine,
                int(last["version"]) + 1,
                start,
                end,
                rebaseline.last_day + timedelta(days=1),
                rebaseline.reason,
                now,
            )
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def _version_for(versions: pl.DataFrame, day: date) -> int | None:
    """The version in force on ``day``: the latest effective by then, else version 1 (its own
    baseline days are judged retrospectively, as Phase I)."""
    eff = versions.filter(pl.col("effective_from") <= day)
    if eff.height:
        return int(eff["version"].max())
    return int(versions["version"].min()) if versions.height else None


def _limits_of(rows: pl.DataFrame) -> dict[str, Limits]:
    return {
        r["chart"]: Limits(
            r["chart"],
            r["center"],
            r["lcl"],
            r["ucl"],
            r["sigma"],
            r["parameter"],
            r["size"],
            int(r["baseline_points"]),
        )
        for r in rows.iter_rows(named=True)
    }


def judge_day(
    points: pl.DataFrame, limits: pl.DataFrame, day: date, tz: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(points, violations) of ``day``: each series judged against its version in force;
    ``points`` should reach back RULE_CONTEXT_DAYS so that run rules see earlier points."""
    day_start, day_end = day_window(day, tz)
    out_points, out_viol = [], []
    if points.is_empty():
        return pl.DataFrame(), pl.DataFrame()
    for key_values, series in points.group_by(SERIES_KEYS, maintain_order=True):
        key = dict(zip(SERIES_KEYS, key_values, strict=True))
        chart_type = CHART_OF_SOURCE[key["source"]]
        series = series.sort("ts").with_row_index("point")
        stats = series.select("point", "subgroup", "n", "value")
        versions = (
            limits.filter(*[pl.col(k) == v for k, v in key.items()]) if limits.height else limits
        )
        version = (
            _version_for(versions.select("version", "effective_from").unique(), day)
            if versions.height
            else None
        )
        if version is None:
            # No frozen limits yet (the baseline is still running): provisional Phase I
            # limits from the points at hand, stored as version 0.
            if series.height < PROVISIONAL_MIN_POINTS:
                continue
            lims = phase1_limits(chart_type, stats)
            version, base_start, base_end = 0, series["ts"].min(), day_end
        else:
            rows = versions.filter(pl.col("version") == version)
            lims = _limits_of(rows)
            base_start, base_end = rows["baseline_start"][0], rows["baseline_end"][0]
        pts = chart_points(chart_type, lims, stats)
        pts = pts.join(series.select("point", "ts"), on="point").with_columns(
            pl.lit(version, pl.UInt32).alias("version"),
            pl.when((pl.col("ts") >= base_start) & (pl.col("ts") < base_end))
            .then(pl.lit("I"))
            .otherwise(pl.lit("II"))
            .alias("phase"),
        )
        viol = violations(pts, RULES_OF_SOURCE[key["source"]])
        in_day = (pl.col("ts") >= day_start) & (pl.col("ts") < day_end)
        extra = [pl.lit(v).alias(k) for k, v in key.items()] + [
            pl.lit(chart_type).alias("chart_type")
        ]
        out_points.append(pts.filter(in_day).with_columns(extra))
        if viol.height:
            out_viol.append(viol.filter(in_day).with_columns(extra))
    points_out = pl.concat(out_points) if out_points else pl.DataFrame()
    viol_out = pl.concat(out_viol) if out_viol else pl.DataFrame()
    return points_out, viol_out
