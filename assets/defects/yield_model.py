"""Yield impact: defect density D0 and the Poisson die-yield estimate Y = exp(-D0 * A)."""

from __future__ import annotations

import math

import polars as pl

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
