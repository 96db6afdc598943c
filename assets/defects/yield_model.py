"""Yield impact: defect density D0 and the Poisson die-yield estimate Y = exp(-D0 * A), and
Poisson / negative-binomial fits of measured sort yield against defect density."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.optimize import curve_fit

INSPECTED_RADIUS_CM = 14.7  # 300 mm wafer with 3 mm edge exclusion
INSPECTED_AREA_CM2 = math.pi * INSPECTED_RADIUS_CM**2


def wafer_yield(
    inspections: pl.DataFrame,
    die_area_mm2: pl.DataFrame | float,
    area_cm2: float = INSPECTED_AREA_CM2,
) -> pl.DataFrame:
    """Per wafer inspection: d0_per_cm2 = defects / inspected area and poisson_yield.
    ``inspections``: inspection_id, wafer_id, lot_id, defect_count (+ product_id when
    ``die_area_mm2`` is a frame product_id -> die_area_mm2)."""
    df = inspections
    if isinstance(die_area_mm2, pl.DataFrame):
        df = df.join(die_area_mm2.select("product_id", "die_area_mm2"), on="product_id", how="left")
    else:
        df = df.with_columns(pl.lit(float(die_area_mm2)).alias("die_area_mm2"))
    return df.with_columns(
        (pl.col("defect_count") / area_cm2).alias("d0_per_cm2"),
    ).with_columns(
        (-pl.col("d0_per_cm2") * pl.col("die_area_mm2") / 100.0).exp().alias("poisson_yield")
    )


def lot_yield(wafers: pl.DataFrame, area_cm2: float = INSPECTED_AREA_CM2) -> pl.DataFrame:
    """Per lot from ``wafer_yield`` rows: pooled D0 = all defects / all inspected area."""
    return (
        wafers.group_by("lot_id")
        .agg(
            pl.len().alias("wafers"),
            pl.col("defect_count").sum().cast(pl.Int64).alias("defects"),
            pl.col("die_area_mm2").first(),
        )
        .with_columns((pl.col("defects") / (pl.col("wafers") * area_cm2)).alias("d0_per_cm2"))
        .with_columns(
            (-pl.col("d0_per_cm2") * pl.col("die_area_mm2") / 100.0).exp().alias("poisson_yield")
        )
        .sort("lot_id")
    )


def fit_yield_models(
    d0_per_cm2: np.ndarray, die_yield: np.ndarray, die_area_cm2: float
) -> dict[str, dict[str, float]]:
    """Fit die yield against defect density per wafer (sort yield vs inspection D0):
    Poisson ``Y = Y0 * exp(-A * k * D0)`` and negative binomial
    ``Y = Y0 * (1 + A * k * D0 / alpha) ** -alpha`` (clustered defects: alpha small).
    ``k`` is the share of inspected defects that kill a die, ``Y0`` the yield without any
    (parametric losses). Returns each model's parameters, RMSE and R²."""
    d0 = np.asarray(d0_per_cm2, float)
    y = np.asarray(die_yield, float)
    ok = np.isfinite(d0) & np.isfinite(y)
    d0, y = d0[ok], y[ok]
    if d0.size < 3:
        raise ValueError(f"need at least 3 wafers with yield and defect density, got {d0.size}")
    a = float(die_area_cm2)

    def poisson(x, y0, k):
        return y0 * np.exp(-a * k * x)

    def negbin(x, y0, k, alpha):
        return y0 * (1 + a * k * x / alpha) ** (-alpha)

    out: dict[str, dict[str, float]] = {}
    total = float(((y - y.mean()) ** 2).sum()) or 1e-12
    for name, f, p0, bounds in (
        ("poisson", poisson, (1.0, 0.5), ([0, 0], [1, np.inf])),
        ("negative_binomial", negbin, (1.0, 0.5, 2.0), ([0, 0, 0.05], [1, np.inf, 100])),
    ):
        params, _ = curve_fit(f, d0, y, p0=p0, bounds=bounds, maxfev=20_000)
        resid = y - f(d0, *params)
        names = ("y0", "kill_ratio", "alpha")[: len(params)]
        out[name] = {n: float(v) for n, v in zip(names, params, strict=True)}
        out[name]["rmse"] = float(np.sqrt((resid**2).mean()))
        out[name]["r2"] = 1 - float((resid**2).sum()) / total
    return out
