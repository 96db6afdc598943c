"""The plain approach, for honesty: one Isolation Forest on raw temperature and vibration.

All machines share one forest over raw (unscaled) readings, fitted on the training window with
contamination 0.05. A flagged reading is a failure warning: a machine-day is warned (counted like
HIGH) when any of its readings is flagged, and its score is the share of flagged readings.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sklearn.ensemble import IsolationForest

from assets.maintenance.anomaly import CONTAMINATION
from assets.maintenance.labels import normalise_ts
from fabstack.errors import FabError

METRICS = ("temperature", "vibration")


def baseline_daily_scores(
    readings: pl.DataFrame,
    *,
    fit_until: datetime,
    seed: int,
    contamination: float = CONTAMINATION,
) -> pl.DataFrame:
    """``machine_id, day, probability, warned`` from raw ``machine_id, ts, metric, value``."""
    fit_until = fit_until.astimezone(UTC)
    raw = normalise_ts(readings).filter(pl.col("metric").is_in(list(METRICS)))
    if raw.is_empty():
        raise FabError("baseline: no temperature or vibration readings in the window")
    wide = (
        raw.pivot(
            on="metric", index=["machine_id", "ts"], values="value", aggregate_function="mean"
        )
        .drop_nulls()
        .sort("machine_id", "ts")
    )
    missing = [m for m in METRICS if m not in wide.columns]
    if missing:
        raise FabError(f"baseline: no {missing[0]} readings in the window")
    fit = wide.filter(pl.col("ts") < fit_until)
    if fit.is_empty():
        raise FabError(f"baseline: no readings before {fit_until.isoformat()} to fit on")
    forest = IsolationForest(
        n_estimators=100, contamination=contamination, random_state=seed, n_jobs=1
    ).fit(fit.select(METRICS).to_numpy())
    flagged = forest.predict(wide.select(METRICS).to_numpy()) == -1
    return (
        wide.with_columns(flagged=pl.Series(flagged))
        .group_by("machine_id", pl.col("ts").dt.date().alias("day"))
        .agg(probability=pl.col("flagged").mean(), warned=pl.col("flagged").any())
        .sort("machine_id", "day")
    )
