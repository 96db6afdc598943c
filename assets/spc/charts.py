"""Shewhart charts: subgroup statistics, Phase I limits, Phase II points against frozen limits.

Chart types and the charts they draw:
  xbar-r -> xbar + R    (sigma = Rbar / d2(n); equal subgroup sizes required)
  xbar-s -> xbar + S    (sigma = mean of s_i / c4(n_i))
  imr    -> I + MR      (sigma = MRbar / d2(2) = MRbar / 1.128)
  p, np  -> proportion / number nonconforming (value = nonconforming count, size = sample size)
  c      -> count per unit; u -> count per unit of size (value = count, size = units)
3-sigma limits; lower limits of R, S, MR and the attribute charts are truncated at 0.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from assets.spc.constants import c4, range_constants

CHART_TYPES: dict[str, tuple[str, ...]] = {
    "xbar-r": ("xbar", "R"),
    "xbar-s": ("xbar", "S"),
    "imr": ("I", "MR"),
    "p": ("p",),
    "np": ("np",),
    "c": ("c",),
    "u": ("u",),
    # Laney u': a u chart whose limits are widened by the spread of the z-scores between
    # points, for counts more variable than Poisson (clustered defects on wafer maps)
    "laney-u": ("laney-u",),
}
ATTRIBUTE_CHARTS = ("p", "np", "c", "u", "laney-u")  # value = a count
K = 3.0


class ChartDataError(ValueError):
    """Data that cannot make the requested chart (the CLI turns it into a one-line error)."""


@dataclass(frozen=True)
class Limits:
    """Frozen Phase I limits of one chart. ``center``/``lcl``/``ucl`` are at subgroup size
    ``size`` (the Phase I size; attribute charts with varying sizes recompute per point from
    ``parameter``). ``sigma`` is the within-subgroup process sigma for variables charts."""

    chart: str
    center: float
    lcl: float
    ucl: float
    sigma: float | None
    parameter: float
    size: float | None
    baseline_points: int

    def as_dict(self) -> dict:
        return asdict(self)


def subgroup_stats(
    df: pl.DataFrame,
    chart_type: str,
    value: str,
    subgroup: str | None = None,
    size: str | None = None,
    order: str | None = None,
) -> pl.DataFrame:
    """Raw rows -> one row per plotted point: ``point`` (0-based, in order of first appearance
    or of ``order``), ``subgroup``, ``n`` and the statistics the chart type needs."""
    if chart_type not in CHART_TYPES:
        raise ChartDataError(f"unknown chart {chart_type!r}; one of {', '.join(CHART_TYPES)}")
    df = df.with_row_index("_row")
    sort_key = order or "_row"
    if chart_type in ("xbar-r", "xbar-s"):
        if subgroup is None:
            raise ChartDataError(f"chart {chart_type} needs --subgroup")
        g = (
            df.group_by(subgroup, maintain_order=True)
            .agg(
                pl.col(sort_key).min().alias("_order"),
                pl.len().alias("n"),
                pl.col(value).mean().alias("mean"),
                (pl.col(value).max() - pl.col(value).min()).alias("range"),
                pl.col(value).std(ddof=1).alias("sd"),
            )
            .sort("_order")
            .rename({subgroup: "subgroup"})
        )
        return g.drop("_order").with_row_index("point")
    ordered = df.sort(sort_key)
    sub = ordered[subgroup] if subgroup else ordered["_row"]
    out = pl.DataFrame({"subgroup": sub.cast(pl.Utf8), "value": ordered[value].cast(pl.Float64)})
    if chart_type in ("p", "np", "u", "laney-u"):
        if size is None:
            raise ChartDataError(f"chart {chart_type} needs --size (sample size per point)")
        out = out.with_columns(n=ordered[size].cast(pl.Float64))
    else:
        out = out.with_columns(n=pl.lit(1.0))
    return out.with_row_index("point")


def _check_subgroups(stats: pl.DataFrame, chart_type: str) -> None:
    if stats.height < 2:
        raise ChartDataError(f"chart {chart_type} needs at least 2 subgroups, got {stats.height}")
    if chart_type in ("xbar-r", "xbar-s"):
        small = stats.filter(pl.col("n") < 2)
        if small.height:
            raise ChartDataError(
                f"subgroup {small['subgroup'][0]!r} has {small['n'][0]} value; need at least 2"
            )
    if chart_type in ("xbar-r", "np"):
        sizes = stats["n"].unique().sort().to_list()
        if len(sizes) > 1:
            raise ChartDataError(
                f"chart {chart_type} needs equal subgroup sizes, got sizes {sizes[:5]}"
            )
    if chart_type in ("p", "np", "u", "laney-u") and (stats["n"] <= 0).any():
        bad = stats.filter(pl.col("n") <= 0)["point"][0]
        raise ChartDataError(f"sample size must be positive (point {bad})")
    if chart_type in ATTRIBUTE_CHARTS:
        _check_counts(stats, chart_type)


def _check_counts(stats: pl.DataFrame, chart_type: str) -> None:
    """Counts of nonconforming units or defects are >= 0, and a p/np count cannot exceed the
    sample it was counted in (a proportion above 1 charts nothing real)."""
    negative = stats.filter(pl.col("value") < 0)
    if negative.height:
        row = negative.row(0, named=True)
        raise ChartDataError(f"count {row['value']:g} is negative (point {row['point']})")
    if chart_type in ("p", "np"):
        over = stats.filter(pl.col("value") > pl.col("n"))
        if over.height:
            row = over.row(0, named=True)
            raise ChartDataError(
                f"count {row['value']:g} is above its sample size {row['n']:g} "
                f"(point {row['point']})"
            )


def phase1_limits(
    chart_type: str, stats: pl.DataFrame, convention: str = "exact"
) -> dict[str, Limits]:
    """Phase I limits of each chart of ``chart_type`` from the baseline points ``stats``.
    ``convention`` "exact" computes d2/d3; "qcc" uses qcc's tables (to match its printouts)."""
    _check_subgroups(stats, chart_type)
    m = stats.height
    if chart_type in ("xbar-r", "xbar-s"):
        n = float(stats["n"].mean())
        xbarbar = float(stats["mean"].mean())
        if chart_type == "xbar-r":
            ni = int(stats["n"][0])
            rbar = float(stats["range"].mean())
            d2n, d3n = range_constants(ni, convention)
            sigma = rbar / d2n
            second = _limits_from("R", rbar, d3n * sigma, sigma, rbar, ni, m)
        else:
            s_over_c4 = [s / c4(int(k)) for s, k in zip(stats["sd"], stats["n"], strict=True)]
            sigma = float(np.mean(s_over_c4))
            ni = int(round(n))
            sbar = float(stats["sd"].mean())
            spread = sigma * math.sqrt(1.0 - c4(ni) ** 2)
            second = _limits_from("S", c4(ni) * sigma, spread, sigma, sbar, ni, m)
        first = _limits_from(
            "xbar", xbarbar, sigma / math.sqrt(n), sigma, xbarbar, n, m, truncate=False
        )
        return {"xbar": first, second.chart: second}
    if chart_type == "imr":
        x = stats["value"].to_numpy()
        mrbar = float(np.mean(np.abs(np.diff(x))))
        d2n, d3n = range_constants(2, convention)
        sigma = mrbar / d2n
        return {
            "I": _limits_from(
                "I", float(x.mean()), sigma, sigma, float(x.mean()), 1, m, truncate=False
            ),
            "MR": _limits_from("MR", mrbar, d3n * sigma, sigma, mrbar, 2, m - 1),
        }
    counts, sizes = stats["value"].to_numpy(), stats["n"].to_numpy()
    n = float(sizes.mean())
    if chart_type in ("p", "np"):
        pbar = float(counts.sum() / sizes.sum())
        if chart_type == "p":
            lim = _limits_from("p", pbar, math.sqrt(pbar * (1 - pbar) / n), None, pbar, n, m)
            return {"p": _cap(lim, 1.0)}
        return {
            "np": _limits_from("np", n * pbar, math.sqrt(n * pbar * (1 - pbar)), None, pbar, n, m)
        }
    if chart_type == "c":
        cbar = float(counts.mean())
        return {"c": _limits_from("c", cbar, math.sqrt(cbar), None, cbar, 1, m)}
    ubar = float(counts.sum() / sizes.sum())
    if chart_type == "laney-u":
        sigma_z = laney_sigma_z(counts, sizes, ubar, convention)
        spread = math.sqrt(ubar / n) * sigma_z
        return {"laney-u": _limits_from("laney-u", ubar, spread, sigma_z, ubar, n, m)}
    return {"u": _limits_from("u", ubar, math.sqrt(ubar / n), None, ubar, n, m)}


def laney_sigma_z(
    counts: np.ndarray, sizes: np.ndarray, ubar: float, convention: str = "exact"
) -> float:
    """Laney's sigma_z: the average moving range of the points' u-chart z-scores over d2(2).
    1 for Poisson counts; above 1 when the counts vary more between points than Poisson."""
    if ubar <= 0 or len(counts) < 2:
        return 1.0
    z = (counts / sizes - ubar) / np.sqrt(ubar / sizes)
    return float(np.mean(np.abs(np.diff(z)))) / range_constants(2, convention)[0]


def _limits_from(
    chart: str,
    center: float,
    spread: float,
    sigma: float | None,
    parameter: float,
    size: float,
    points: int,
    truncate: bool = True,
) -> Limits:
    lcl = center - K * spread
    return Limits(
        chart,
        center,
        max(0.0, lcl) if truncate else lcl,
        center + K * spread,
        sigma,
        parameter,
        size,
        points,
    )


def _cap(lim: Limits, top: float) -> Limits:
    return Limits(
        lim.chart,
        lim.center,
        lim.lcl,
        min(lim.ucl, top),
        lim.sigma,
        lim.parameter,
        lim.size,
        lim.baseline_points,
    )


def chart_points(chart_type: str, limits: dict[str, Limits], stats: pl.DataFrame) -> pl.DataFrame:
    """Every point of every chart judged against frozen ``limits``: chart, point, subgroup, n,
    value, center, lcl, ucl and z = (value - center) / (1-sigma spread of that point)."""
    frames = []
    n = stats["n"].to_numpy().astype(float)
    for chart in CHART_TYPES[chart_type]:
        lim = limits[chart]
        value, center, spread, cap = _point_arrays(chart, lim, stats, n)
        lcl = center - K * spread
        if chart != "xbar" and chart != "I":
            lcl = np.maximum(lcl, 0.0)
        ucl = center + K * spread
        if cap is not None:
            ucl = np.minimum(ucl, cap)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(spread > 0, (value - center) / spread, 0.0)
        frames.append(
            pl.DataFrame(
                {
                    "chart": chart,
                    "point": stats["point"],
                    "subgroup": stats["subgroup"].cast(pl.Utf8),
                    "n": n,
                    "value": value,
                    "center": center,
                    "lcl": lcl,
                    "ucl": ucl,
                    "z": z,
                }
            )
        )
    out = pl.concat(frames)
    if chart_type == "imr":  # the first point has no moving range
        out = out.filter(~((pl.col("chart") == "MR") & (pl.col("point") == 0)))
    return out


def _point_arrays(
    chart: str, lim: Limits, stats: pl.DataFrame, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    ones = np.ones_like(n)
    if chart == "xbar":
        return stats["mean"].to_numpy(), lim.center * ones, lim.sigma / np.sqrt(n), None
    if chart == "R":
        return stats["range"].to_numpy(), lim.center * ones, (lim.ucl - lim.center) / K * ones, None
    if chart == "S":
        c4n = np.array([c4(int(k)) for k in n])
        return (stats["sd"].to_numpy(), c4n * lim.sigma, lim.sigma * np.sqrt(1 - c4n**2), None)
    if chart == "I":
        return stats["value"].to_numpy(), lim.center * ones, lim.sigma * ones, None
    if chart == "MR":
        x = stats["value"].to_numpy()
        mr = np.concatenate([[np.nan], np.abs(np.diff(x))])
        return mr, lim.center * ones, (lim.ucl - lim.center) / K * ones, None
    counts = stats["value"].to_numpy()
    p = lim.parameter
    if chart == "p":
        return counts / n, p * ones, np.sqrt(p * (1 - p) / n), 1.0
    if chart == "np":
        return counts, n * p, np.sqrt(n * p * (1 - p)), None
    if chart == "c":
        return counts, p * ones, math.sqrt(p) * ones, None
    if chart == "laney-u":
        return counts / n, p * ones, np.sqrt(p / n) * lim.sigma, None
    return counts / n, p * ones, np.sqrt(p / n), None  # u
