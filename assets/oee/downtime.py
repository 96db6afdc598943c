"""Downtime Pareto by reason code, and MTBF / MTTR per machine."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from assets.oee.intervals import clip_to_windows

DOWNTIME_CATEGORIES = ("breakdown", "setup_adjustment", "idle")


def pareto(df: pl.DataFrame, keys: Sequence[str], value: str, label: str) -> pl.DataFrame:
    """Rank ``label`` by ``value`` within each ``keys`` group; adds share and cumulative share
    (percent) and a 1-based rank."""
    by = list(keys)
    over = by or None
    ordered = df.sort([*by, value, label], descending=[False] * len(by) + [True, False])
    total = pl.col(value).sum().over(over) if over else pl.col(value).sum()
    cum = pl.col(value).cum_sum().over(over) if over else pl.col(value).cum_sum()
    rank = pl.int_range(1, pl.len() + 1).over(over) if over else pl.int_range(1, pl.len() + 1)
    return ordered.with_columns(
        pl.when(total > 0).then(100.0 * pl.col(value) / total).otherwise(0.0).alias("pct"),
        pl.when(total > 0).then(100.0 * cum / total).otherwise(0.0).alias("cum_pct"),
        rank.cast(pl.Int32).alias("rank"),
    )


def downtime_pareto(
    intervals: pl.DataFrame, windows: pl.DataFrame, keys: Sequence[str] = ("machine_id",)
) -> pl.DataFrame:
    """Downtime minutes and occurrences by reason code within each window (and ``keys``),
    ranked largest first with % and cumulative %. Occurrences count intervals that start in
    the window."""
    clipped = clip_to_windows(
        intervals.filter(pl.col("loss_category").is_in(DOWNTIME_CATEGORIES)), windows
    )
    group = [*keys, "window_date", "window_start", "reason_code", "loss_category"]
    agg = clipped.group_by(group).agg(
        pl.col("minutes").sum(),
        (pl.col("start_ts") >= pl.col("window_start")).sum().cast(pl.Int64).alias("occurrences"),
    )
    return pareto(agg, [*keys, "window_start"], "minutes", "reason_code")


def mtbf_mttr(intervals: pl.DataFrame, windows: pl.DataFrame) -> pl.DataFrame:
    """Per machine and window: failures (breakdown episodes starting in the window, back-to-back
    breakdown intervals being one episode), breakdown minutes, run minutes,
    MTBF = run time / failures and MTTR = breakdown time / failures (hours)."""
    ordered = (
        intervals.sort("machine_id", "start_ts")
        .with_columns(
            (pl.col("loss_category") == "breakdown").alias("is_bd"),
        )
        .with_columns(
            (pl.col("is_bd") & ~pl.col("is_bd").shift(1).over("machine_id").fill_null(False)).alias(
                "failure_start"
            )
        )
    )
    clipped = clip_to_windows(ordered, windows)
    return (
        clipped.group_by("machine_id", "window_date", "window_start")
        .agg(
            (pl.col("failure_start") & (pl.col("start_ts") >= pl.col("window_start")))
            .sum()
            .cast(pl.Int64)
            .alias("failures"),
            pl.col("minutes").filter(pl.col("is_bd")).sum().alias("breakdown_min"),
            pl.col("minutes")
            .filter(pl.col("loss_category").is_in(["run", "small_stop"]))
            .sum()
            .alias("run_min"),
        )
        .with_columns(
            pl.when(pl.col("failures") > 0)
            .then(pl.col("run_min") / 60 / pl.col("failures"))
            .alias("mtbf_h"),
            pl.when(pl.col("failures") > 0)
            .then(pl.col("breakdown_min") / 60 / pl.col("failures"))
            .alias("mttr_h"),
        )
        .sort("machine_id", "window_start")
    )
