"""Run rules on a chart's points: Western Electric 1-4 and Nelson 5-8.

Rule ids (the combined numbering used by Minitab-style "tests for special causes"):
  1  one point beyond the 3-sigma limits                                    (WE 1)
  2  2 of 3 consecutive points beyond 2 sigma on the same side              (WE 2)
  3  4 of 5 consecutive points beyond 1 sigma on the same side              (WE 3)
  4  8 consecutive points on the same side of the centre line               (WE 4)
  5  6 consecutive points steadily increasing or decreasing                 (Nelson 3)
  6  14 consecutive points alternating up and down                          (Nelson 4)
  7  15 consecutive points within 1 sigma of the centre line, either side   (Nelson 7)
  8  8 consecutive points beyond 1 sigma, either side                       (Nelson 8)
A violation is reported at the point that completes the pattern (and, for rules 2 and 3, only
if that point itself is in the zone), so a rule fires as soon as it can be known.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

RULES: dict[int, str] = {
    1: "1 point beyond 3 sigma",
    2: "2 of 3 beyond 2 sigma, same side",
    3: "4 of 5 beyond 1 sigma, same side",
    4: "8 in a row on one side",
    5: "6 in a row increasing or decreasing",
    6: "14 in a row alternating up and down",
    7: "15 in a row within 1 sigma",
    8: "8 in a row beyond 1 sigma, either side",
}


def _count_window(flags: np.ndarray, width: int) -> np.ndarray:
    """Per index i: how many of flags[i-width+1 .. i] are true (0 before a full window)."""
    out = np.zeros(len(flags), dtype=int)
    if len(flags) >= width:
        out[width - 1 :] = sliding_window_view(flags.astype(int), width).sum(axis=1)
    return out


def rule_flags(
    z: np.ndarray, beyond_limits: np.ndarray | None = None, rules: Iterable[int] = RULES
) -> dict[int, np.ndarray]:
    """Boolean array per rule: True where that rule fires at the point. ``z`` is each point's
    distance from the centre line in sigma units of that point; ``beyond_limits`` (default
    |z| > 3) lets rule 1 use the actual, possibly truncated, limits."""
    z = np.asarray(z, dtype=float)
    valid = ~np.isnan(z)
    zz = np.where(valid, z, 0.0)
    out: dict[int, np.ndarray] = {}
    for rule in rules:
        if rule == 1:
            hit = np.abs(zz) > 3 if beyond_limits is None else np.asarray(beyond_limits, bool)
        elif rule in (2, 3):
            k, width, level = (2, 3, 2.0) if rule == 2 else (4, 5, 1.0)
            up, down = zz > level, zz < -level
            hit = ((_count_window(up, width) >= k) & up) | (
                (_count_window(down, width) >= k) & down
            )
        elif rule == 4:
            hit = (_count_window(zz > 0, 8) == 8) | (_count_window(zz < 0, 8) == 8)
        elif rule == 5:
            d = np.diff(zz, prepend=np.nan)
            hit = (_count_window(d > 0, 5) == 5) | (_count_window(d < 0, 5) == 5)
        elif rule == 6:
            d = np.diff(zz, prepend=np.nan)
            sign = np.sign(d)
            alt = np.concatenate([[False], (sign[1:] * sign[:-1]) < 0])  # d_i flips vs d_{i-1}
            hit = _count_window(alt, 12) == 12  # 14 points = 13 moves = 12 flips
        elif rule == 7:
            hit = _count_window(np.abs(zz) < 1, 15) == 15
        elif rule == 8:
            hit = _count_window(np.abs(zz) > 1, 8) == 8
        else:
            raise ValueError(f"unknown rule {rule}; rules are 1-8")
        out[rule] = hit & valid
    return out


def violations(
    points: pl.DataFrame, rules: Iterable[int] = RULES, keys: Iterable[str] = ()
) -> pl.DataFrame:
    """Rule violations of chart points (columns chart, point, value, lcl, ucl, z, plus any
    series ``keys`` such as machine and metric): one row per (series, chart, point, rule)."""
    rules = tuple(rules)
    by = [*keys, "chart"]
    frames = []
    for _, part in points.group_by(by, maintain_order=True):
        part = part.sort("point")
        beyond = ((part["value"] > part["ucl"]) | (part["value"] < part["lcl"])).to_numpy()
        flags = rule_flags(part["z"].to_numpy(), beyond, rules)
        for rule, hit in flags.items():
            if hit.any():
                frames.append(
                    part.filter(pl.Series(hit)).with_columns(
                        pl.lit(rule, pl.Int8).alias("rule"),
                        pl.lit(RULES[rule]).alias("rule_text"),
                    )
                )
    if not frames:
        return points.clear().with_columns(
            pl.lit(0, pl.Int8).alias("rule"), pl.lit("").alias("rule_text")
        )
    return pl.concat(frames).sort([*by, "point", "rule"])
