"""One plant-local day of OEE facts from the warehouse (state intervals, machines, shifts) and
the landing zone (track-outs with exact timestamps). Plain code: the asset and tests call it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import polars as pl
import psycopg

from assets.oee.downtime import downtime_pareto, mtbf_mttr
from assets.oee.landing import SQL
from assets.oee.metrics import ADDITIVE, oee_by_window, rollup, six_big_losses
from assets.oee.shifts import WINDOW_SCHEMA, hour_windows
from assets.oee.targets import targets_frame
from fabstack.calendar import day_window
from warehouse.client import Warehouse
from warehouse.writer import insert_frame, replace_partition

UTC_TS = pl.Datetime("us", "UTC")
LEVELS = {"machine": "machine_id", "area": "area_id", "line": "line", "plant": "site_id"}


def ensure_oee_schema(wh: Warehouse) -> None:
    wh.run_script(SQL.text("schema"))


def write_targets(wh: Warehouse) -> int:
    wh.command(SQL.statement("wh_replace_targets"))
    return insert_frame(wh, "dim_oee_target", targets_frame())


@dataclass
class OeeDay:
    """The frames of one day, before they are written."""

    oee: pl.DataFrame
    losses: pl.DataFrame
    pareto: pl.DataFrame
    reliability: pl.DataFrame


def _ts(frame: pl.DataFrame, *cols: str) -> pl.DataFrame:
    return frame.with_columns(pl.col(c).cast(UTC_TS) for c in cols)


def compute_oee_day(
    wh: Warehouse, landing: psycopg.Connection, day: date, tz: str, now: datetime | None = None
) -> OeeDay:
    """OEE per machine/area/line/plant for the shifts ending in ``day`` and its hours."""
    start, end = day_window(day, tz)
    as_of = min(end, now or datetime.now(UTC))
    shifts = wh.query(SQL.statement("wh_shifts"), {"start": start, "end": end})
    shift_windows = (
        _ts(shifts, "window_start", "window_end")
        .select(
            pl.lit("shift").alias("grain"),
            pl.col("shift_date").alias("window_date"),
            pl.col("shift_code").cast(pl.Utf8),
            "window_start",
            "window_end",
        )
        .cast(WINDOW_SCHEMA)
    )
    hours = hour_windows(start, end).with_columns(pl.lit(day).alias("window_date"))
    read_from = min([start, *shift_windows["window_start"].to_list()]) - timedelta(hours=1)
    intervals = _ts(
        wh.query(
            SQL.statement("wh_machine_state"),
            {
                "first_day": day - timedelta(days=2),
                "last_day": day,
                "start": read_from,
                "end": end,
            },
        ),
        "start_ts",
        "end_ts",
    )
    unknown = intervals.filter(pl.col("loss_category") == "")["reason_code"].unique().to_list()
    if unknown:
        raise ValueError(f"state reason codes without a loss_category: {sorted(unknown)}")
    with landing.cursor() as cur:
        cur.execute(SQL.text("landing_counts_range"), {"start": read_from, "end": end})
        counts = pl.DataFrame(
            cur.fetchall(),
            orient="row",
            schema={"ts": UTC_TS, "machine_id": pl.Utf8, "good": pl.Int64, "scrap": pl.Int64},
        )
    machines = wh.query(SQL.statement("wh_machines")).with_columns(
        pl.col("machine_id", "area_id", "line", "site_id").cast(pl.Utf8)
    )

    frames = []
    for windows in (shift_windows, hours):
        per_machine = oee_by_window(intervals, counts, machines, windows)
        keys = ["grain", "window_date", "shift_code", "window_start", "window_end"]
        for level, col in LEVELS.items():
            grouped = per_machine if level == "machine" else rollup(per_machine, [col, *keys])
            frames.append(
                grouped.select(
                    pl.lit(level).alias("level"),
                    pl.col(col).alias("entity_id"),
                    *keys,
                    *ADDITIVE,
                    "availability",
                    "performance",
                    "quality",
                    "oee",
                )
            )
    oee = pl.concat(frames).with_columns(
        pl.col("window_date").alias("shift_date"),
        (pl.col("window_end") <= as_of).cast(pl.UInt8).alias("complete"),
    )
    machine_shifts = oee.filter((pl.col("grain") == "shift") & (pl.col("level") == "machine"))
    losses = six_big_losses(
        machine_shifts.rename({"entity_id": "machine_id"}),
        ["machine_id", "shift_date", "shift_code", "window_start"],
    )
    day_window_frame = pl.DataFrame(
        [("day", day, "", start, end)], schema=WINDOW_SCHEMA, orient="row"
    )
    per_machine_pareto = downtime_pareto(intervals, day_window_frame, ("machine_id",))
    plant_pareto = downtime_pareto(
        intervals.with_columns(pl.lit("").alias("machine_id")), day_window_frame, ("machine_id",)
    )
    pareto = pl.concat([per_machine_pareto, plant_pareto])
    reliability = mtbf_mttr(intervals, day_window_frame)
    return OeeDay(oee, losses, pareto, reliability)


def write_oee_day(wh: Warehouse, day: date, frames: OeeDay) -> dict[str, int]:
    """Replace the day in every OEE fact; returns rows written per table."""
    ensure_oee_schema(wh)
    return {
        "fact_oee": replace_partition(wh, "fact_oee", day, frames.oee),
        "fact_oee_losses": replace_partition(wh, "fact_oee_losses", day, frames.losses),
        "fact_downtime_pareto": replace_partition(wh, "fact_downtime_pareto", day, frames.pareto),
        "fact_mtbf_mttr": replace_partition(wh, "fact_mtbf_mttr", day, frames.reliability),
    }
