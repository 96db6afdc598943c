"""Isolation Forest anomaly scores per machine type on hourly sensor windows.

A window is one machine-hour: the mean and spread of each metric. Each column is standardised per
machine (median and IQR of that machine over the fit window) so that one forest per machine type
compares tools of the same kind on the same footing; contamination 0.05.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sklearn.ensemble import IsolationForest

from assets.maintenance.labels import normalise_ts

CONTAMINATION = 0.05


def sensor_windows(sensor_hourly: pl.DataFrame) -> pl.DataFrame:
    """Hourly aggregates (long) -> one row per machine-hour with ``{metric}__avg/__std``."""
    hourly = normalise_ts(sensor_hourly, "hour")
    wide = hourly.select("machine_id", "hour").unique()
    for metric in sorted(hourly["metric"].unique().to_list()):
        part = hourly.filter(pl.col("metric") == metric).select(
            "machine_id",
            "hour",
            pl.col("avg").alias(f"{metric}__avg"),
            pl.col("std").alias(f"{metric}__std"),
        )
        wide = wide.join(part, on=["machine_id", "hour"], how="left")
    return wide.sort("machine_id", "hour")


def detect_anomalies(
    windows: pl.DataFrame,
    machines: pl.DataFrame,
    *,
    seed: int,
    fit_until: datetime | None = None,
    contamination: float = CONTAMINATION,
) -> pl.DataFrame:
    """Score every window; forests are fitted on windows before ``fit_until`` (all if None).

    Returns ``machine_id, machine_type, window_start, window_end, score, is_anomaly`` where a
    higher score is more anomalous.
    """
    if fit_until is not None:  # polars tells "UTC" from zoneinfo's "Etc/UTC": normalise
        fit_until = fit_until.astimezone(UTC)
    frame = windows.join(machines.select("machine_id", "machine_type"), on="machine_id")
    out: list[pl.DataFrame] = []
    for mtype in sorted(frame["machine_type"].unique().to_list()):
        part = frame.filter(pl.col("machine_type") == mtype)
        cols = [c for c in part.columns if "__" in c and part[c].null_count() < part.height]
        fit_mask = pl.col("hour") < fit_until if fit_until is not None else pl.lit(True)
        stats = (
            part.filter(fit_mask)
            .group_by("machine_id")
            .agg(
                *[pl.col(c).median().alias(f"{c}__med") for c in cols],
                *[
                    (pl.col(c).quantile(0.75) - pl.col(c).quantile(0.25)).alias(f"{c}__iqr")
                    for c in cols
                ],
            )
        )
        standard = part.join(stats, on="machine_id", how="inner").with_columns(
            [
                (
                    (pl.col(c) - pl.col(f"{c}__med"))
                    / pl.max_horizontal(pl.col(f"{c}__iqr") / 1.349, pl.lit(1e-9))
                )
                .fill_null(0.0)
                .alias(c)
                for c in cols
            ]
        )
        if standard.is_empty():
            continue
        x_all = standard.select(cols).to_numpy()
        x_fit = standard.filter(fit_mask).select(cols).to_numpy()
        forest = IsolationForest(
            n_estimators=100, contamination=contamination, random_state=seed, n_jobs=1
        ).fit(x_fit)
        out.append(
            standard.select(
                "machine_id",
                "machine_type",
                pl.col("hour").alias("window_start"),
            ).with_columns(
                window_end=pl.col("window_start").dt.offset_by("1h"),
                score=pl.Series(-forest.score_samples(x_all)),
                is_anomaly=pl.Series(forest.predict(x_all) == -1),
            )
        )
    if not out:
        return pl.DataFrame(
            schema={
                "machine_id": pl.String,
                "machine_type": pl.String,
                "window_start": pl.Datetime("us", "UTC"),
                "window_end": pl.Datetime("us", "UTC"),
                "score": pl.Float64,
                "is_anomaly": pl.Boolean,
            }
        )
    return pl.concat(out).sort("machine_id", "window_start")


def anomaly_daily(anomalies: pl.DataFrame) -> pl.DataFrame:
    """Per machine and UTC day: number of windows and of anomalous ones (a features input)."""
    return (
        anomalies.group_by("machine_id", pl.col("window_start").dt.date().alias("day"))
        .agg(windows=pl.len().cast(pl.Int64), anomalous=pl.col("is_anomaly").sum().cast(pl.Int64))
        .sort("machine_id", "day")
    )
