"""OEE per machine and window, six big losses, and roll-ups that sum times and counts.

Definitions (ARCHITECTURE.md, oee.com):
- planned production time = window time - planned stops - not scheduled time
  (- time without any state data, which cannot be judged and is reported as ``no_data_min``);
- run time = ``run`` + ``small_stop`` minutes (small stops are a performance loss);
- downtime = breakdown + setup_adjustment + idle minutes = planned production time - run time;
- availability = run / planned; performance = ideal cycle time x total count / run;
  quality = good / total; OEE = A x P x Q (= good x ideal cycle time / planned time).

Six big losses, in minutes: breakdowns, setup and adjustment (availability); small stops and
reduced speed (performance: run time - ideal time of the total count, split into the
small-stop minutes and the rest); start-up rejects and production rejects (quality: scrap x
ideal cycle time, start-up when produced within ``startup_window_min`` of a machine returning
to run after a setup, breakdown, planned stop or unscheduled time). Idle (starved/blocked)
time is downtime but none of the six, so it is reported as ``idle_min``. The identity
planned = fully productive + all losses holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from assets.oee.intervals import clip_to_windows

CATEGORY_COLUMNS = {
    "run": "run_only_min",
    "small_stop": "small_stop_min",
    "idle": "idle_min",
    "setup_adjustment": "setup_adjustment_min",
    "breakdown": "breakdown_min",
    "planned_stop": "planned_stop_min",
    "not_scheduled": "not_scheduled_min",
}
# Additive columns: roll-ups sum these and recompute the ratios from the sums.
ADDITIVE = [
    "window_min",
    "no_data_min",
    *CATEGORY_COLUMNS.values(),
    "planned_production_min",
    "run_min",
    "downtime_min",
    "good",
    "scrap",
    "total",
    "startup_scrap",
    "ideal_run_min",
    "fully_productive_min",
    "reduced_speed_min",
    "startup_reject_min",
    "production_reject_min",
]
# Returning to run after these is a start-up (after idle or a small stop it is not).
STARTUP_AFTER = ("setup_adjustment", "breakdown", "planned_stop", "not_scheduled")


def _minutes_by_category(clipped: pl.DataFrame) -> pl.DataFrame:
    if clipped.is_empty():
        return pl.DataFrame(
            schema={
                "machine_id": pl.Utf8,
                "window_start": pl.Datetime("us", "UTC"),
                **{c: pl.Float64 for c in CATEGORY_COLUMNS.values()},
            }
        )
    return clipped.group_by("machine_id", "window_start").agg(
        (pl.col("minutes").filter(pl.col("loss_category") == cat).sum()).alias(col)
        for cat, col in CATEGORY_COLUMNS.items()
    )


def _run_starts(intervals: pl.DataFrame) -> pl.DataFrame:
    """Moments a machine returns to run after setup, repair, a break or an empty shift."""
    ordered = intervals.sort("machine_id", "start_ts").with_columns(
        pl.col("loss_category").shift(1).over("machine_id").alias("prev_category")
    )
    return ordered.filter(
        (pl.col("loss_category") == "run")
        & (pl.col("prev_category").is_null() | pl.col("prev_category").is_in(STARTUP_AFTER))
    ).select("machine_id", pl.col("start_ts").alias("run_start"))


def _counts_by_window(
    counts: pl.DataFrame, intervals: pl.DataFrame, windows: pl.DataFrame, startup_window_min: float
) -> pl.DataFrame:
    if counts.is_empty():
        counts = pl.DataFrame(
            schema={
                "ts": pl.Datetime("us", "UTC"),
                "machine_id": pl.Utf8,
                "good": pl.Int64,
                "scrap": pl.Int64,
            }
        )
    c = counts.select(
        "machine_id",
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        pl.col("good").cast(pl.Int64),
        pl.col("scrap").cast(pl.Int64),
    ).sort("ts")
    starts = _run_starts(intervals).sort("run_start")
    # Both sides are sorted by time overall, hence within each machine.
    c = c.join_asof(
        starts,
        left_on="ts",
        right_on="run_start",
        by="machine_id",
        strategy="backward",
        check_sortedness=False,
    )
    c = c.with_columns(
        pl.when(pl.col("ts") - pl.col("run_start") <= timedelta(minutes=startup_window_min))
        .then(pl.col("scrap"))
        .otherwise(0)
        .alias("startup_scrap")
    )
    joined = c.join_where(
        windows.select("window_start", "window_end"),
        pl.col("ts") >= pl.col("window_start"),
        pl.col("ts") < pl.col("window_end"),
    )
    return joined.group_by("machine_id", "window_start").agg(
        pl.col("good").sum(), pl.col("scrap").sum(), pl.col("startup_scrap").sum()
    )


def oee_by_window(
    intervals: pl.DataFrame,
    counts: pl.DataFrame,
    machines: pl.DataFrame,
    windows: pl.DataFrame,
    startup_window_min: float = 30.0,
) -> pl.DataFrame:
    """OEE per machine and window.

    intervals: machine_id, start_ts, end_ts, reason_code, loss_category (UTC);
    counts: ts, machine_id, good, scrap (a track-out counts in the window of its ts);
    machines: machine_id, ideal_cycle_time_s (+ any grouping columns, e.g. area_id, line);
    windows: grain, window_date, shift_code, window_start, window_end.
    """
    clipped = clip_to_windows(intervals, windows)
    minutes = _minutes_by_category(clipped)
    produced = _counts_by_window(counts, intervals, windows, startup_window_min)
    grid = machines.join(windows, how="cross")
    out = (
        grid.join(minutes, on=["machine_id", "window_start"], how="left")
        .join(produced, on=["machine_id", "window_start"], how="left")
        .with_columns(
            pl.col(list(CATEGORY_COLUMNS.values())).fill_null(0.0),
            pl.col("good", "scrap", "startup_scrap").fill_null(0),
            ((pl.col("window_end") - pl.col("window_start")).dt.total_microseconds() / 60e6).alias(
                "window_min"
            ),
        )
    )
    ideal_min = pl.col("ideal_cycle_time_s") / 60.0
    out = (
        out.with_columns(
            (pl.col("window_min") - pl.sum_horizontal(list(CATEGORY_COLUMNS.values())))
            .clip(lower_bound=0.0)
            .alias("no_data_min"),
            (pl.col("good") + pl.col("scrap")).alias("total"),
            (pl.col("run_only_min") + pl.col("small_stop_min")).alias("run_min"),
            pl.sum_horizontal(
                "run_only_min",
                "small_stop_min",
                "idle_min",
                "setup_adjustment_min",
                "breakdown_min",
            ).alias("planned_production_min"),
            pl.sum_horizontal("idle_min", "setup_adjustment_min", "breakdown_min").alias(
                "downtime_min"
            ),
        )
        .with_columns(
            ((pl.col("good") + pl.col("scrap")) * ideal_min).alias("ideal_run_min"),
            (pl.col("good") * ideal_min).alias("fully_productive_min"),
            (pl.col("startup_scrap") * ideal_min).alias("startup_reject_min"),
            ((pl.col("scrap") - pl.col("startup_scrap")) * ideal_min).alias(
                "production_reject_min"
            ),
        )
        .with_columns(
            (pl.col("run_min") - pl.col("small_stop_min") - pl.col("ideal_run_min")).alias(
                "reduced_speed_min"
            ),
        )
    )
    return with_ratios(out)


def with_ratios(df: pl.DataFrame) -> pl.DataFrame:
    """(Re)compute availability, performance, quality and OEE from summed times and counts."""

    def ratio(num: str, den: str) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)

    return df.with_columns(
        ratio("run_min", "planned_production_min").alias("availability"),
        ratio("ideal_run_min", "run_min").alias("performance"),
        ratio("good", "total").alias("quality"),
        ratio("fully_productive_min", "planned_production_min").alias("oee"),
    )


def rollup(oee: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Sum times and counts over ``by`` (e.g. area_id + window keys) and recompute the ratios;
    never an average of ratios."""
    return with_ratios(oee.group_by(list(by)).agg(pl.col(ADDITIVE).sum()).sort(list(by)))


SIX_BIG_LOSSES = {
    "breakdowns": "breakdown_min",
    "setup_and_adjustment": "setup_adjustment_min",
    "small_stops": "small_stop_min",
    "reduced_speed": "reduced_speed_min",
    "startup_rejects": "startup_reject_min",
    "production_rejects": "production_reject_min",
}


def six_big_losses(oee: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Long format: one row per key and loss with its minutes (plus idle, which is none of the
    six but still downtime)."""
    losses = {**SIX_BIG_LOSSES, "idle": "idle_min"}
    return oee.select(*keys, *[pl.col(col).alias(name) for name, col in losses.items()]).unpivot(
        index=list(keys), variable_name="loss", value_name="minutes"
    )
