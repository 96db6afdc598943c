"""State events -> state intervals, and intervals clipped to reporting windows.

A landing ``machine_state`` row says "from ts on, the machine is in this state". An interval
lasts until the machine's next event, or until ``until`` for the last one.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")


def intervals_from_events(events: pl.DataFrame, until: datetime) -> pl.DataFrame:
    """``events`` (ts, machine_id, state, reason_code) -> (machine_id, start_ts, end_ts, state,
    reason_code), one row per event, the last one of each machine ending at ``until``."""
    return (
        events.select(
            pl.col("machine_id"),
            pl.col("ts").cast(UTC_TS).alias("start_ts"),
            pl.col("state"),
            pl.col("reason_code"),
        )
        .sort("machine_id", "start_ts")
        .with_columns(
            pl.col("start_ts")
            .shift(-1)
            .over("machine_id")
            .fill_null(pl.lit(until).cast(UTC_TS))
            .alias("end_ts")
        )
        .filter(pl.col("end_ts") > pl.col("start_ts"))
        .select("machine_id", "start_ts", "end_ts", "state", "reason_code")
    )


def with_loss_category(intervals: pl.DataFrame, reasons: pl.DataFrame) -> pl.DataFrame:
    """Attach ``loss_category`` from the state_reason data; an unknown reason code is an error,
    not a silent guess (the mapping is data and must cover every code seen)."""
    out = intervals.join(
        reasons.select("reason_code", "loss_category"), on="reason_code", how="left"
    )
    unknown = out.filter(pl.col("loss_category").is_null())["reason_code"].unique().to_list()
    if unknown:
        raise ValueError(f"state reason codes without a loss_category: {sorted(unknown)}")
    return out


def clip_to_windows(intervals: pl.DataFrame, windows: pl.DataFrame) -> pl.DataFrame:
    """Intersect every interval with every window it overlaps; adds ``minutes`` of overlap and
    the window columns. Windows are shared by all machines."""
    joined = intervals.join_where(
        windows,
        pl.col("start_ts") < pl.col("window_end"),
        pl.col("end_ts") > pl.col("window_start"),
    )
    return joined.with_columns(
        pl.max_horizontal("start_ts", "window_start").alias("clip_start"),
        pl.min_horizontal("end_ts", "window_end").alias("clip_end"),
    ).with_columns(
        ((pl.col("clip_end") - pl.col("clip_start")).dt.total_microseconds() / 60e6).alias(
            "minutes"
        )
    )
