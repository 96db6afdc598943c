"""Failure events and labels from machine-state events (a row = the state from ``ts`` on).

A failure is the start of an unplanned DOWN with a failure reason (``FAILURE_REASONS``); planned
maintenance, breaks, interlocks and operator stops are not failures. A machine-day is labelled 1
when a failure starts within ``horizon_days`` after the end of that day (the prediction time).
"""

from __future__ import annotations

from datetime import UTC as dt_utc
from datetime import datetime, timedelta

import polars as pl

from assets.maintenance.common import FAILURE_REASONS, check_horizon

UTC = "UTC"


def normalise_ts(frame: pl.DataFrame, column: str = "ts") -> pl.DataFrame:
    """Make ``column`` a microsecond UTC datetime (naive input is taken as UTC)."""
    dtype = frame.schema[column]
    expr = pl.col(column)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        expr = expr.dt.replace_time_zone(UTC)
    elif isinstance(dtype, pl.Datetime):
        expr = expr.dt.convert_time_zone(UTC)
    return frame.with_columns(expr.dt.cast_time_unit("us").alias(column))


def state_intervals(states: pl.DataFrame, until: datetime | None = None) -> pl.DataFrame:
    """State events -> intervals ``machine_id, start, end, state, reason_code``.

    The last event of each machine lasts until ``until`` (default: the latest event overall).
    """
    states = normalise_ts(states).sort("machine_id", "ts")
    if until is None:
        until = states["ts"].max()
    elif until.tzinfo is None:
        until = until.replace(tzinfo=dt_utc)
    last = pl.lit(until, dtype=pl.Datetime("us", UTC))
    return (
        states.with_columns(end=pl.col("ts").shift(-1).over("machine_id").fill_null(last))
        .rename({"ts": "start"})
        .filter(pl.col("end") > pl.col("start"))
        .select("machine_id", "start", "end", "state", "reason_code")
    )


def failure_events(
    states: pl.DataFrame, reasons: tuple[str, ...] = FAILURE_REASONS
) -> pl.DataFrame:
    """One row per failure: ``machine_id, onset, repaired, reason_code``.

    Repeated DOWN events with the same reason (e.g. a re-sent state) are one failure.
    """
    states = normalise_ts(states).sort("machine_id", "ts")
    marked = states.with_columns(
        is_failure=(pl.col("state") == "DOWN") & pl.col("reason_code").is_in(list(reasons)),
        prev_state=pl.col("state").shift(1).over("machine_id"),
        prev_reason=pl.col("reason_code").shift(1).over("machine_id"),
        next_ts=pl.col("ts").shift(-1).over("machine_id"),
    )
    # The repair ends at the first following event that is not the same DOWN.
    marked = marked.with_columns(
        continues=pl.col("is_failure")
        & (pl.col("prev_state") == "DOWN")
        & (pl.col("prev_reason") == pl.col("reason_code"))
    )
    onsets = marked.filter(pl.col("is_failure") & ~pl.col("continues").fill_null(False))
    ends = marked.filter(~pl.col("is_failure")).select("machine_id", pl.col("ts").alias("repaired"))
    return (
        onsets.select("machine_id", pl.col("ts").alias("onset"), "reason_code")
        .sort("onset")
        .join_asof(
            ends.sort("repaired"),
            left_on="onset",
            right_on="repaired",
            by="machine_id",
            strategy="forward",
            check_sortedness=False,
        )
        .sort("machine_id", "onset")
    )


def daily_state_hours(intervals: pl.DataFrame) -> pl.DataFrame:
    """Hours per machine and UTC day in RUNNING, in failure DOWN, and in MAINTENANCE."""
    if intervals.is_empty():
        return pl.DataFrame(
            schema={
                "machine_id": pl.String,
                "day": pl.Date,
                "running_h": pl.Float64,
                "failure_down_h": pl.Float64,
                "maintenance_h": pl.Float64,
            }
        )
    exploded = intervals.with_columns(
        day_start=pl.datetime_ranges(
            pl.col("start").dt.truncate("1d"), pl.col("end"), interval="1d", closed="left"
        )
    ).explode("day_start")
    exploded = exploded.with_columns(
        hours=(
            pl.min_horizontal(pl.col("end"), pl.col("day_start") + timedelta(days=1))
            - pl.max_horizontal(pl.col("start"), pl.col("day_start"))
        ).dt.total_microseconds()
        / 3.6e9
    ).filter(pl.col("hours") > 0)
    is_failure = (pl.col("state") == "DOWN") & pl.col("reason_code").is_in(list(FAILURE_REASONS))
    return (
        exploded.group_by("machine_id", pl.col("day_start").dt.date().alias("day"))
        .agg(
            running_h=pl.col("hours").filter(pl.col("state") == "RUNNING").sum(),
            failure_down_h=pl.col("hours").filter(is_failure).sum(),
            maintenance_h=pl.col("hours").filter(pl.col("state") == "MAINTENANCE").sum(),
        )
        .sort("machine_id", "day")
    )


def prediction_time(day: pl.Expr) -> pl.Expr:
    """A machine-day is scored at the end of the UTC day."""
    return (day.cast(pl.Datetime("us")) + timedelta(days=1)).dt.replace_time_zone(UTC)


def label_rows(rows: pl.DataFrame, failures: pl.DataFrame, horizon_days: int) -> pl.DataFrame:
    """Add ``scored_at``, ``next_failure_h`` and ``label`` (a failure within the horizon).

    ``rows`` has ``machine_id, day``; ``failures`` comes from :func:`failure_events`.
    """
    horizon_days = check_horizon(horizon_days)
    with_time = rows.with_columns(scored_at=prediction_time(pl.col("day"))).sort("scored_at")
    nxt = failures.select("machine_id", pl.col("onset").alias("next_onset")).sort("next_onset")
    joined = with_time.join_asof(
        nxt,
        left_on="scored_at",
        right_on="next_onset",
        by="machine_id",
        strategy="forward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    return (
        joined.with_columns(
            next_failure_h=(pl.col("next_onset") - pl.col("scored_at")).dt.total_seconds() / 3600.0
        )
        .with_columns(
            label=(pl.col("next_failure_h") <= horizon_days * 24.0).fill_null(False).cast(pl.Int8)
        )
        .sort("machine_id", "day")
    )
