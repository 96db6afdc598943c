"""Defect Pareto, daily trends with a tested linear slope, and per-tool statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl
import statsmodels.api as sm

from assets.oee.downtime import pareto


def defect_pareto(defects: pl.DataFrame, by: str, keys: Sequence[str] = ()) -> pl.DataFrame:
    """Defect counts by ``by`` (defect_type, machine_id or step_no) within ``keys``, largest
    first, with share and cumulative share in percent."""
    counts = defects.group_by([*keys, by]).agg(pl.len().cast(pl.Int64).alias("defects"))
    return pareto(counts.with_columns(pl.col(by).cast(pl.Utf8)), keys, "defects", by)


def daily_counts(defects: pl.DataFrame, first_day: date, last_day: date) -> pl.DataFrame:
    """Defects per type and UTC day over every day of the range (0 where none)."""
    days = pl.DataFrame({"day": pl.date_range(first_day, last_day, "1d", eager=True)})
    types = defects.select("defect_type").unique()
    counts = (
        defects.with_columns(pl.col("ts").dt.date().alias("day"))
        .group_by("defect_type", "day")
        .agg(pl.len().cast(pl.Int64).alias("defects"))
    )
    return (
        types.join(days, how="cross")
        .join(counts, on=["defect_type", "day"], how="left")
        .with_columns(pl.col("defects").fill_null(0))
        .sort("defect_type", "day")
    )


def trends(daily: pl.DataFrame, window: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(daily with ``rolling_mean`` over ``window`` days, one row per type with the OLS slope
    in defects/day, its p-value and the number of days). A flat series has slope 0, p 1."""
    rolled = daily.sort("defect_type", "day").with_columns(
        pl.col("defects")
        .cast(pl.Float64)
        .rolling_mean(window, min_samples=1)
        .over("defect_type")
        .alias("rolling_mean")
    )
    rows = []
    for (dtype,), part in rolled.group_by("defect_type", maintain_order=True):
        y = part["defects"].to_numpy().astype(float)
        slope, p = 0.0, 1.0
        if len(y) >= 3 and np.ptp(y) > 0:
            x = sm.add_constant(np.arange(len(y), dtype=float))
            fit = sm.OLS(y, x).fit()
            slope, p = float(fit.params[1]), float(fit.pvalues[1])
        rows.append(
            {
                "defect_type": dtype,
                "slope_per_day": slope,
                "p_value": p,
                "days": len(y),
                "mean_per_day": float(y.mean()),
            }
        )
    schema = {
        "defect_type": pl.Utf8,
        "slope_per_day": pl.Float64,
        "p_value": pl.Float64,
        "days": pl.Int64,
        "mean_per_day": pl.Float64,
    }
    return rolled, pl.DataFrame(rows, schema=schema)


def tool_stats(inspections: pl.DataFrame) -> pl.DataFrame:
    """Per inspection tool: inspections, wafers, defects, mean defects per wafer, last one.
    ``inspections``: ts, inspection_id, machine_id, wafer_id, defect_count."""
    return (
        inspections.group_by("machine_id")
        .agg(
            pl.col("inspection_id").n_unique().alias("inspections"),
            pl.col("wafer_id").n_unique().alias("wafers"),
            pl.col("defect_count").sum().cast(pl.Int64).alias("defects"),
            pl.col("ts").max().alias("last_inspection"),
        )
        .with_columns((pl.col("defects") / pl.col("inspections")).alias("mean_per_wafer"))
        .sort("machine_id")
    )
