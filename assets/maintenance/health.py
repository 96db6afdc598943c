"""A 0-100 health score per machine from failure risk and the recent anomaly rate.

health = 100 - 70 x risk - 30 x min(1, anomaly_rate_7d / 0.25): a certain failure costs 70 points,
a quarter or more of anomalous windows in the last week costs the other 30. Missing inputs count
as healthy for that part.
"""

from __future__ import annotations

import polars as pl

RISK_WEIGHT = 70.0
ANOMALY_WEIGHT = 30.0
ANOMALY_RATE_AT_WORST = 0.25


def health_expr(probability: str = "probability", anomaly_rate: str = "anomaly_rate_7d") -> pl.Expr:
    risk = pl.col(probability).fill_null(0.0).clip(0.0, 1.0)
    rate = (pl.col(anomaly_rate).fill_null(0.0) / ANOMALY_RATE_AT_WORST).clip(0.0, 1.0)
    return (100.0 - RISK_WEIGHT * risk - ANOMALY_WEIGHT * rate).clip(0.0, 100.0).round(1)
