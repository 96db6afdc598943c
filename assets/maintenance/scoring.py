"""Daily failure risk per machine: probability, band, action and the top contributing features.

A feature's contribution for one machine is how much the probability drops when that feature is
set back to its typical (training median) value, everything else unchanged: local, model-agnostic,
and cheap for a handful of machines.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from assets.maintenance.common import ACTIONS, HIGH_THRESHOLD, MEDIUM_THRESHOLD
from assets.maintenance.train import FittedModel, matrix
from fabstack.errors import FabError

TOP_FEATURES = 3
FACT_FAILURE_RISK_COLUMNS = (
    "day",
    "machine_id",
    "machine_type",
    "model_version",
    "probability",
    "band",
    "action",
    "top_features",
)


def band_expr(probability: str = "probability") -> pl.Expr:
    p = pl.col(probability)
    return (
        pl.when(p > HIGH_THRESHOLD)
        .then(pl.lit("HIGH"))
        .when(p > MEDIUM_THRESHOLD)
        .then(pl.lit("MEDIUM"))
        .otherwise(pl.lit("LOW"))
    )


def contributions(fitted: FittedModel, frame: pl.DataFrame, top: int = TOP_FEATURES) -> list[str]:
    """Per row, ``"feature (+0.12)"`` strings of the largest positive contributions, joined."""
    x = matrix(frame, fitted.feature_columns)
    n, k = x.shape
    base = fitted.model.predict_proba(x)[:, 1]
    reference = np.array([fitted.reference_values[c] for c in fitted.feature_columns])
    # One batch: for each row, k copies with one feature reset to its reference value.
    batch = np.repeat(x, k, axis=0)
    idx = np.arange(n * k)
    batch[idx, idx % k] = np.tile(reference, n)
    reset = fitted.model.predict_proba(batch)[:, 1].reshape(n, k)
    delta = base[:, None] - reset
    out = []
    for row in delta:
        order = [j for j in np.argsort(-row)[:top] if row[j] > 0.005]
        out.append(", ".join(f"{fitted.feature_columns[j]} ({row[j]:+.2f})" for j in order))
    return out


def score_day(
    fitted: FittedModel, features: pl.DataFrame, model_version: int, day: date | None = None
) -> pl.DataFrame:
    """fact_failure_risk rows for ``day`` (default: the latest day in ``features``)."""
    if features.is_empty():
        raise FabError("failure risk: no feature rows to score")
    day = day or features["day"].max()
    rows = features.filter(pl.col("day") == day).sort("machine_id")
    if rows.is_empty():
        raise FabError(f"failure risk: no feature rows for day {day}")
    probability = fitted.predict(rows)
    return (
        rows.select("day", "machine_id", "machine_type")
        .with_columns(
            model_version=pl.lit(model_version, pl.Int64),
            probability=pl.Series(probability.round(4)),
        )
        .with_columns(
            band=band_expr(),
            top_features=pl.Series(contributions(fitted, rows)),
        )
        .with_columns(
            action=pl.col("band").replace_strict(ACTIONS),
        )
        .select(FACT_FAILURE_RISK_COLUMNS)
    )
