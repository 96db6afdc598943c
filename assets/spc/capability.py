"""Process capability: Cp, Cpk (within-subgroup sigma) and Pp, Ppk (overall sigma).

Standard definitions (Montgomery, *Introduction to Statistical Quality Control*, ch. 8):
Cp = (USL - LSL) / 6 sigma_within, Cpk = min(USL - mean, mean - LSL) / 3 sigma_within; Pp and
Ppk the same with the overall (sample) standard deviation; Cpm = (USL - LSL) / 6 sqrt(sigma^2 +
(mean - target)^2) with the within sigma. sigma_within is the control chart's (R-bar/d2,
S-bar/c4, MR-bar/1.128), so Cp/Cpk say what the process could do and Pp/Ppk what it did.
"""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl

from assets.spc.series import SERIES_KEYS

WINDOW_DAYS = 7  # capability of a day: the points of that day and the 6 before
MIN_POINTS = 10  # fewer points say nothing about the spread
SPEC_SCHEMA = {
    "recipe_id": pl.Utf8,
    "item": pl.Utf8,
    "lsl": pl.Float64,
    "target": pl.Float64,
    "usl": pl.Float64,
    "unit": pl.Utf8,
}
INDICES = ("Cp", "Cpk", "Pp", "Ppk", "Cpm")


def capability(
    values: np.ndarray,
    sigma_within: float,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
) -> dict[str, float | None]:
    """Indices for the individual ``values``. One-sided specs give only the k-indices
    (Cpk/Ppk from the side that exists); Cp/Pp need both limits, Cpm also a target."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    sigma_overall = float(x.std(ddof=1))
    out: dict[str, float | None] = {
        "mean": mean,
        "sigma_within": sigma_within,
        "sigma_overall": sigma_overall,
        "lsl": lsl,
        "usl": usl,
    }
    both = usl is not None and lsl is not None
    for prefix, sigma in (("c", sigma_within), ("p", sigma_overall)):
        if not (math.isfinite(sigma) and sigma > 0):  # constant values: no index means anything
            out[f"{prefix.upper()}p"] = out[f"{prefix.upper()}pk"] = None
            continue
        sides = []
        if usl is not None:
            sides.append((usl - mean) / (3 * sigma))
        if lsl is not None:
            sides.append((mean - lsl) / (3 * sigma))
        out[f"{prefix.upper()}p"] = (usl - lsl) / (6 * sigma) if both else None
        out[f"{prefix.upper()}pk"] = min(sides) if sides else None
    spread = math.hypot(sigma_within, mean - target) if target is not None else 0.0
    out["Cpm"] = (usl - lsl) / (6 * spread) if both and spread > 0 else None
    return out


def spec_limits(recipes: pl.DataFrame) -> pl.DataFrame:
    """dim_recipe rows (recipe_id, spec_limits JSON) -> one row per recipe and item."""
    rows = [
        {
            "recipe_id": r["recipe_id"],
            "item": item,
            "lsl": s.get("lsl"),
            "target": s.get("target"),
            "usl": s.get("usl"),
            "unit": s.get("unit") or "",
        }
        for r in recipes.iter_rows(named=True)
        for item, s in json.loads(r["spec_limits"] or "{}").items()
    ]
    return pl.DataFrame(rows, schema=SPEC_SCHEMA)


def series_capability(
    points: pl.DataFrame, specs: pl.DataFrame, min_points: int = MIN_POINTS
) -> pl.DataFrame:
    """One row per series with ``min_points`` or more: mean, within and overall sigma, the
    spec limits of its recipe and item (null without) and the indices they allow.

    ``points``: the series keys, ts, value (individual values, e.g. lot means on an I chart)
    and sigma (the within sigma of the limits each point was judged against); the newest
    point's sigma is the one in force."""
    rows = []
    if points.is_empty():
        return pl.DataFrame()
    with_specs = points.join(specs, on=["recipe_id", "item"], how="left")
    for key, series in with_specs.sort("ts").group_by(SERIES_KEYS, maintain_order=True):
        if series.height < min_points:
            continue
        spec = series.row(-1, named=True)
        sigma = spec["sigma"]
        if sigma is None or not sigma > 0:
            continue  # limits without a spread (a constant series): no index means anything
        cap = capability(
            series["value"].to_numpy(), sigma, spec["lsl"], spec["usl"], spec["target"]
        )
        rows.append(
            {
                **dict(zip(SERIES_KEYS, key, strict=True)),
                "points": series.height,
                "unit": spec["unit"] or "",
                "lsl": spec["lsl"],
                "target": spec["target"],
                "usl": spec["usl"],
                "mean": cap["mean"],
                "sigma_within": sigma,
                "sigma_overall": cap["sigma_overall"],
                **{k.lower(): cap[k] for k in INDICES},
            }
        )
    nullable = {k: pl.Float64 for k in ("lsl", "target", "usl", *(i.lower() for i in INDICES))}
    return pl.DataFrame(rows, schema_overrides=nullable) if rows else pl.DataFrame()
