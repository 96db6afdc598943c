"""One call from raw rows to limits, judged points and violations; shared by the CLI and assets."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.spc.charts import (
    CHART_TYPES,
    ChartDataError,
    Limits,
    chart_points,
    phase1_limits,
    subgroup_stats,
)
from assets.spc.rules import RULES, violations

TRUE_WORDS = {"true", "t", "1", "yes", "y"}


@dataclass
class SpcResult:
    """Limits per chart, every point judged against them, and the rule violations."""

    chart_type: str
    limits: dict[str, Limits]
    points: pl.DataFrame
    violations: pl.DataFrame
    phase1_points: int


def _require_columns(df: pl.DataFrame, columns: Iterable[str | None]) -> None:
    for col in columns:
        if col is not None and col not in df.columns:
            raise ChartDataError(f"column {col!r} not found; columns are {', '.join(df.columns)}")


def _numeric(df: pl.DataFrame, col: str) -> pl.DataFrame:
    """Cast ``col`` to float; the first value that is not a number is an error with its row."""
    if df[col].dtype.is_numeric():
        cast = df[col].cast(pl.Float64)
    else:
        cast = df[col].cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)
    bad = cast.is_null() | cast.is_nan()
    if bad.any():
        i = int(bad.arg_true()[0])
        raise ChartDataError(
            f"column {col!r} row {i + 2}: value {df[col][i]!r} is not a number"
        )  # row + 2: 1-based and after the CSV header
    infinite = cast.is_infinite()  # 1e999 and inf parse as floats but chart nothing
    if infinite.any():
        i = int(infinite.arg_true()[0])
        raise ChartDataError(
            f"column {col!r} row {i + 2}: value {df[col][i]!r} is not a finite number"
        )
    return df.with_columns(cast.alias(col))


def _finite_limits(limits: dict[str, Limits], value: str) -> None:
    """Values near the float range (1e308) overflow sums and ranges: refuse, never print inf."""
    for lim in limits.values():
        numbers = (lim.center, lim.lcl, lim.ucl, lim.sigma, lim.parameter)
        if not all(math.isfinite(x) for x in numbers if x is not None):
            raise ChartDataError(
                f"column {value!r}: values too large for finite {lim.chart} limits "
                f"(centre {lim.center:g}, UCL {lim.ucl:g})"
            )


def _phase1_mask(df: pl.DataFrame, col: str) -> pl.Series:
    s = df[col]
    if s.dtype == pl.Boolean:
        return s.fill_null(False)
    return s.cast(pl.Utf8).str.strip_chars().str.to_lowercase().is_in(list(TRUE_WORDS))


def analyze(
    df: pl.DataFrame,
    chart_type: str,
    value: str,
    subgroup: str | None = None,
    size: str | None = None,
    phase1: str | None = None,
    convention: str = "exact",
    rules: Iterable[int] = RULES,
    limits: dict[str, Limits] | None = None,
) -> SpcResult:
    """Phase I limits from the rows where ``phase1`` is true (all rows without it), unless
    frozen ``limits`` are given; then every point judged against them (Phase II)."""
    if chart_type not in CHART_TYPES:
        raise ChartDataError(f"unknown chart {chart_type!r}; one of {', '.join(CHART_TYPES)}")
    _require_columns(df, [value, subgroup, size, phase1])
    if df.height == 0:
        raise ChartDataError("no rows")
    df = _numeric(df, value)
    if size is not None:
        df = _numeric(df, size)
    if phase1 is not None:
        df = df.with_columns(_phase1_mask(df, phase1).alias("_phase1"))
    else:
        df = df.with_columns(pl.lit(True).alias("_phase1"))
    stats = subgroup_stats(df, chart_type, value, subgroup, size)
    if chart_type in ("xbar-r", "xbar-s"):
        flags = df.group_by(subgroup, maintain_order=True).agg(pl.col("_phase1").all())
        stats = stats.with_columns(flags["_phase1"].alias("_phase1"))
    else:
        ordered = df.with_row_index("_r").sort("_r")
        stats = stats.with_columns(ordered["_phase1"].alias("_phase1"))
    baseline = stats.filter(pl.col("_phase1"))
    if limits is None:
        if baseline.height < 2:
            raise ChartDataError(
                f"chart {chart_type} needs at least 2 subgroups in Phase I, got {baseline.height}"
            )
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is judged just below
            limits = phase1_limits(chart_type, baseline, convention)
        _finite_limits(limits, value)
    elif chart_type in ("xbar-r", "np"):
        phase1_limits(chart_type, stats.head(2), convention)  # same size checks as Phase I
    points = chart_points(chart_type, limits, stats).join(
        stats.select("point", pl.col("_phase1").alias("phase1")), on="point"
    )
    return SpcResult(chart_type, limits, points, violations(points, rules), baseline.height)
