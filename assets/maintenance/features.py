"""Failure features per machine x UTC day over a 30-day lookback, from aggregated inputs.

Inputs are small frames the warehouse computes where the data is (hourly sensor aggregates,
daily alarm and production counts, state events); this module finishes them in polars:

- per sensor metric, in units of the distance from setpoint to the limit (1.0 = at the limit):
  ``level`` (day mean), ``level_delta`` (vs the previous 30 days), ``slope_24h`` (within the day,
  per day), ``slope_3d`` / ``slope_7d`` (of daily means, per day), ``std`` (within-day spread),
  ``std_ratio`` (vs the previous 30 days), ``excursion`` (day max) and ``excursion_30d``;
- alarm counts over 1, 7 and 30 days; running hours and cycles over 1 and 30 days; hours since
  maintenance, since the last failure and since the last failure of each reason (component age);
  failures in 30 days; MTBF so far and the age since the last failure relative to it; anomaly
  rates (share of anomalous hourly windows); the machine type (one-hot).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from assets.maintenance.common import FAILURE_REASONS, LOOKBACK_DAYS
from assets.maintenance.labels import (
    daily_state_hours,
    failure_events,
    normalise_ts,
    prediction_time,
    state_intervals,
)
from fabstack.errors import FabError

SENSOR_FEATURES = (
    "level",
    "level_delta",
    "slope_24h",
    "slope_3d",
    "slope_7d",
    "std",
    "std_ratio",
    "excursion",
    "excursion_30d",
)
KEY = ("machine_id", "day")

HOURLY_SCHEMA = {
    "machine_id": pl.String,
    "hour": pl.Datetime("us", "UTC"),
    "metric": pl.String,
    "avg": pl.Float64,
    "min": pl.Float64,
    "max": pl.Float64,
    "std": pl.Float64,
    "n": pl.Int64,
}


@dataclass
class MaintenanceInputs:
    """What the features need, each frame already aggregated near the data.

    - ``machines``: machine_id, machine_type
    - ``limits``: machine_id, metric, setpoint, min_value, max_value
    - ``sensor_hourly``: machine_id, hour, metric, avg, min, max, std, n
    - ``states``: machine_id, ts, state, reason_code (events)
    - ``counts``: machine_id, day, cycles (wafers processed that day)
    - ``alarms``: machine_id, day, alarm_count
    - ``anomaly_daily`` (optional): machine_id, day, windows, anomalous
    """

    machines: pl.DataFrame
    limits: pl.DataFrame
    sensor_hourly: pl.DataFrame
    states: pl.DataFrame
    counts: pl.DataFrame
    alarms: pl.DataFrame
    anomaly_daily: pl.DataFrame | None = None


def hourly_aggregates(readings: pl.DataFrame) -> pl.DataFrame:
    """Raw ``machine_id, ts, metric, value`` readings -> hourly aggregates (as the SQL computes)."""
    readings = normalise_ts(readings)
    return (
        readings.group_by("machine_id", pl.col("ts").dt.truncate("1h").alias("hour"), "metric")
        .agg(
            avg=pl.col("value").mean(),
            min=pl.col("value").min(),
            max=pl.col("value").max(),
            std=pl.col("value").std(ddof=0).fill_null(0.0),
            n=pl.len().cast(pl.Int64),
        )
        .sort("machine_id", "metric", "hour")
    )


def _scale(limits: pl.DataFrame) -> pl.DataFrame:
    """Per machine and metric: setpoint and the distance to the limit the metric drifts toward."""
    upper = pl.col("max_value") - pl.col("setpoint")
    lower = pl.col("setpoint") - pl.col("min_value")
    return limits.select(
        "machine_id",
        "metric",
        pl.col("setpoint").cast(pl.Float64),
        scale=pl.when(upper > 0)
        .then(upper)
        .when(lower > 0)
        .then(lower)
        .otherwise(pl.max_horizontal(pl.col("setpoint").abs(), pl.lit(1.0)))
        .cast(pl.Float64),
    )


def _rolling_slope(y: str, ind: str, window: int) -> pl.Expr:
    """Least-squares slope of ``y`` over the last ``window`` rows (days), nulls skipped."""
    x = pl.col("day_index").cast(pl.Float64)
    w = pl.col(ind).cast(pl.Float64)
    yv = pl.col(y).fill_null(0.0)
    group = ("machine_id", "metric")
    n = w.rolling_sum(window, min_samples=1).over(group)
    sx = (x * w).rolling_sum(window, min_samples=1).over(group)
    sy = (yv * w).rolling_sum(window, min_samples=1).over(group)
    sxx = (x * x * w).rolling_sum(window, min_samples=1).over(group)
    sxy = (x * yv * w).rolling_sum(window, min_samples=1).over(group)
    denom = n * sxx - sx * sx
    return pl.when((n >= 2) & (denom > 0)).then((n * sxy - sx * sy) / denom).otherwise(None)


def _trailing_mean(y: str, ind: str, window: int) -> pl.Expr:
    """Mean of ``y`` over the ``window`` rows before the current one (nulls skipped)."""
    group = ("machine_id", "metric")
    w = pl.col(ind).cast(pl.Float64)
    total = (pl.col(y).fill_null(0.0) * w).rolling_sum(window, min_samples=1).shift(1).over(group)
    count = w.rolling_sum(window, min_samples=1).shift(1).over(group)
    return pl.when(count > 0).then(total / count).otherwise(None)


def sensor_day_features(
    sensor_hourly: pl.DataFrame, limits: pl.DataFrame, days: pl.DataFrame
) -> pl.DataFrame:
    """Long frame ``machine_id, day, metric`` + SENSOR_FEATURES on the complete day grid."""
    hourly = normalise_ts(sensor_hourly, "hour").join(
        _scale(limits), on=["machine_id", "metric"], how="inner"
    )
    norm = lambda c: (pl.col(c) - pl.col("setpoint")) / pl.col("scale")  # noqa: E731
    hourly = hourly.with_columns(
        u_avg=norm("avg"),
        u_max=norm("max"),
        u_std=pl.col("std") / pl.col("scale"),
        day=pl.col("hour").dt.date(),
        t=pl.col("hour").dt.hour().cast(pl.Float64) / 24.0,
    )
    daily = hourly.group_by("machine_id", "metric", "day").agg(
        n=pl.col("n").sum(),
        level=(pl.col("u_avg") * pl.col("n")).sum() / pl.col("n").sum(),
        excursion=pl.col("u_max").max(),
        ss=(pl.col("n") * (pl.col("u_std") ** 2 + pl.col("u_avg") ** 2)).sum(),
        # slope of hourly means across the day, in limit-units per day
        slope_24h=(
            (pl.col("t") - pl.col("t").mean()) * (pl.col("u_avg") - pl.col("u_avg").mean())
        ).sum()
        / ((pl.col("t") - pl.col("t").mean()) ** 2).sum(),
        hours=pl.len(),
    )
    daily = daily.with_columns(
        std=(pl.col("ss") / pl.col("n") - pl.col("level") ** 2).clip(lower_bound=0.0).sqrt(),
        slope_24h=pl.when(pl.col("hours") >= 6).then(pl.col("slope_24h")).otherwise(None),
    ).drop("ss", "n", "hours")
    pairs = daily.select("machine_id", "metric").unique()
    grid = (
        pairs.join(days.select("machine_id", "day", "day_index"), on="machine_id", how="inner")
        .join(daily, on=["machine_id", "metric", "day"], how="left")
        .sort("machine_id", "metric", "day")
        .with_columns(has=pl.col("level").is_not_null())
    )
    group = ("machine_id", "metric")
    return grid.with_columns(
        level_delta=pl.col("level") - _trailing_mean("level", "has", LOOKBACK_DAYS),
        slope_3d=_rolling_slope("level", "has", 3),
        slope_7d=_rolling_slope("level", "has", 7),
        std_ratio=pl.col("std") / _trailing_mean("std", "has", LOOKBACK_DAYS),
        excursion_30d=pl.col("excursion").rolling_max(LOOKBACK_DAYS, min_samples=1).over(group),
    ).select("machine_id", "day", "metric", *SENSOR_FEATURES)


def _rolling_sum(col: str, window: int) -> pl.Expr:
    return pl.col(col).fill_null(0).rolling_sum(window, min_samples=1).over("machine_id")


def _since(grid: pl.DataFrame, events: pl.DataFrame, at: str, name: str, start) -> pl.DataFrame:
    """Hours from the last event at or before the prediction time; from ``start`` if none."""
    events = events.sort(at).rename({at: "_event"})
    joined = grid.sort("scored_at").join_asof(
        events,
        left_on="scored_at",
        right_on="_event",
        by="machine_id",
        strategy="backward",
        check_sortedness=False,
    )
    return joined.with_columns(
        (
            (pl.col("scored_at") - pl.col("_event").fill_null(start)).dt.total_seconds() / 3600.0
        ).alias(name)
    ).drop("_event")


def build_features(inputs: MaintenanceInputs) -> pl.DataFrame:
    """One row per machine x day: ``machine_id, machine_type, day, scored_at`` + feature columns.

    Raises FabError when there is no sensor data at all.
    """
    if inputs.sensor_hourly.is_empty():
        raise FabError("maintenance features: no sensor data in the window (no hourly rows)")
    hourly = normalise_ts(inputs.sensor_hourly, "hour")
    first_day, last_day = hourly["hour"].min().date(), hourly["hour"].max().date()
    all_days = pl.date_range(first_day, last_day, "1d", eager=True).alias("day")
    # Machines without any sensor data in the window are not scored (nothing to say).
    machines = (
        inputs.machines.select("machine_id", "machine_type")
        .unique()
        .filter(pl.col("machine_id").is_in(hourly["machine_id"].unique().implode()))
    )
    days = (
        machines.join(all_days.to_frame(), how="cross")
        .with_columns(day_index=(pl.col("day") - pl.lit(first_day)).dt.total_days())
        .sort("machine_id", "day")
    )
    sensor = sensor_day_features(hourly, inputs.limits, days)
    wide = days.select("machine_id", "machine_type", "day")
    for metric in sorted(sensor["metric"].unique().to_list()):
        part = sensor.filter(pl.col("metric") == metric).select(
            "machine_id", "day", *[pl.col(f).alias(f"{metric}__{f}") for f in SENSOR_FEATURES]
        )
        wide = wide.join(part, on=list(KEY), how="left")

    # Counts per day, on the full grid.
    states = normalise_ts(inputs.states) if not inputs.states.is_empty() else inputs.states
    period_end = prediction_time(pl.lit(last_day)).alias("x")
    until = pl.select(period_end).item()
    intervals = state_intervals(states, until) if not states.is_empty() else states
    hours = (
        daily_state_hours(intervals) if not states.is_empty() else daily_state_hours(pl.DataFrame())
    )
    failures = (
        failure_events(states)
        if not states.is_empty()
        else pl.DataFrame(
            schema={
                "machine_id": pl.String,
                "onset": pl.Datetime("us", "UTC"),
                "reason_code": pl.String,
                "repaired": pl.Datetime("us", "UTC"),
            }
        )
    )
    failures_daily = failures.group_by("machine_id", pl.col("onset").dt.date().alias("day")).agg(
        failures=pl.len().cast(pl.Int64)
    )
    alarms = inputs.alarms.select("machine_id", "day", pl.col("alarm_count").cast(pl.Int64))
    counts = inputs.counts.select("machine_id", "day", pl.col("cycles").cast(pl.Int64))
    wide = (
        wide.join(hours, on=list(KEY), how="left")
        .join(alarms, on=list(KEY), how="left")
        .join(counts, on=list(KEY), how="left")
        .join(failures_daily, on=list(KEY), how="left")
        .sort("machine_id", "day")
        .with_columns(
            pl.col("running_h", "failure_down_h", "maintenance_h").fill_null(0.0),
            pl.col("alarm_count", "cycles", "failures").fill_null(0),
        )
    )
    wide = wide.with_columns(
        alarms_1d=pl.col("alarm_count"),
        alarms_7d=_rolling_sum("alarm_count", 7),
        alarms_30d=_rolling_sum("alarm_count", LOOKBACK_DAYS),
        running_h_1d=pl.col("running_h"),
        running_h_30d=_rolling_sum("running_h", LOOKBACK_DAYS),
        cycles_1d=pl.col("cycles"),
        cycles_30d=_rolling_sum("cycles", LOOKBACK_DAYS),
        failures_30d=_rolling_sum("failures", LOOKBACK_DAYS),
        cum_running_h=pl.col("running_h").cum_sum().over("machine_id"),
        cum_failures=pl.col("failures").cum_sum().over("machine_id"),
        scored_at=prediction_time(pl.col("day")),
    ).with_columns(
        mtbf_so_far_h=pl.col("cum_running_h") / pl.max_horizontal(pl.col("cum_failures"), 1),
    )
    start = prediction_time(pl.lit(first_day)) - timedelta(days=1)
    start_value = pl.select(start).item()
    pm_starts = (
        intervals.filter(pl.col("state") == "MAINTENANCE").select("machine_id", at=pl.col("end"))
        if not states.is_empty()
        else pl.DataFrame(schema={"machine_id": pl.String, "at": pl.Datetime("us", "UTC")})
    )
    repairs = failures.select("machine_id", at=pl.col("repaired")).drop_nulls()
    wide = _since(wide, pm_starts, "at", "hours_since_maintenance", start_value)
    wide = _since(wide, repairs, "at", "hours_since_failure", start_value)
    # Component age: a wear-out clock restarts when that kind of failure is repaired.
    for reason in FAILURE_REASONS:
        by_reason = failures.filter(pl.col("reason_code") == reason)
        wide = _since(
            wide,
            by_reason.select("machine_id", at=pl.col("repaired")).drop_nulls(),
            "at",
            f"hours_since_{reason.lower()}",
            start_value,
        )
    if inputs.anomaly_daily is not None and not inputs.anomaly_daily.is_empty():
        anomalies = inputs.anomaly_daily.select(
            "machine_id",
            "day",
            pl.col("windows").cast(pl.Float64),
            pl.col("anomalous").cast(pl.Float64),
        )
        wide = wide.join(anomalies, on=list(KEY), how="left").sort("machine_id", "day")
        wide = wide.with_columns(
            anomaly_rate_1d=pl.col("anomalous") / pl.col("windows"),
            anomaly_rate_7d=_rolling_sum("anomalous", 7) / _rolling_sum("windows", 7),
        ).drop("windows", "anomalous")
    # The tool type matters (a scanner and a polisher wear differently): one-hot columns.
    wide = wide.with_columns(
        [
            (pl.col("machine_type") == t).cast(pl.Float64).alias(f"type__{t}")
            for t in sorted(machines["machine_type"].unique().to_list())
        ]
    ).with_columns(
        age_vs_mtbf=pl.col("hours_since_failure") / pl.col("mtbf_so_far_h").clip(lower_bound=1.0)
    )
    return wide.drop(
        "running_h",
        "failure_down_h",
        "maintenance_h",
        "alarm_count",
        "cycles",
        "failures",
        "cum_running_h",
        "cum_failures",
    ).sort("machine_id", "day")


def feature_columns(features: pl.DataFrame) -> list[str]:
    """The model inputs: every column except keys, time and labels."""
    skip = {
        "machine_id",
        "machine_type",
        "day",
        "scored_at",
        "label",
        "next_failure_h",
        "next_onset",
        "split",
    }
    return [c for c in features.columns if c not in skip]
