"""Chart performance by simulation: in-control average run length and detection delay of mean
shifts, for an x-bar chart with Phase I limits estimated from simulated baseline data."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from assets.spc.charts import chart_points, phase1_limits
from assets.spc.rules import rule_flags


def _stats(x: np.ndarray, first_point: int = 0) -> pl.DataFrame:
    n = x.shape[1]
    return pl.DataFrame(
        {
            "point": np.arange(first_point, first_point + len(x)),
            "subgroup": [str(i) for i in range(first_point, first_point + len(x))],
            "n": np.full(len(x), n),
            "mean": x.mean(axis=1),
            "range": np.ptp(x, axis=1),
            "sd": x.std(axis=1, ddof=1),
        }
    )


def _signals(x: np.ndarray, limits: dict, rules: Iterable[int]) -> np.ndarray:
    pts = chart_points("xbar-r", limits, _stats(x)).filter(pl.col("chart") == "xbar")
    beyond = ((pts["value"] > pts["ucl"]) | (pts["value"] < pts["lcl"])).to_numpy()
    flags = rule_flags(pts["z"].to_numpy(), beyond, rules)
    return np.any(np.vstack(list(flags.values())), axis=0)


def in_control_arl(
    seed: int,
    rules: Iterable[int] = (1,),
    runs: int = 400,
    baseline_subgroups: int = 50,
    horizon: int = 4000,
    n: int = 5,
) -> float:
    """Average run length to the first false alarm of an in-control process: each run
    estimates its own Phase I limits from ``baseline_subgroups`` subgroups of size ``n`` and
    then monitors until the first signal. A run without a signal in ``horizon`` subgroups
    counts as ``horizon`` (so the estimate errs low)."""
    rng = np.random.default_rng(seed)
    rules = tuple(rules)
    lengths = np.empty(runs)
    for i in range(runs):
        limits = phase1_limits("xbar-r", _stats(rng.normal(size=(baseline_subgroups, n))))
        hits = _signals(rng.normal(size=(horizon, n)), limits, rules)
        lengths[i] = int(np.argmax(hits)) + 1 if hits.any() else horizon
    return float(lengths.mean())


def detection_delays(
    seed: int,
    shift_sigma: float,
    rules: Iterable[int] = (1, 2, 3, 4),
    runs: int = 200,
    baseline_subgroups: int = 25,
    horizon: int = 200,
    n: int = 5,
) -> np.ndarray:
    """Subgroups from a sustained mean shift of ``shift_sigma`` process sigmas to the first
    signal (1 = flagged at the first shifted subgroup); ``horizon + 1`` when never flagged."""
    rng = np.random.default_rng(seed)
    rules = tuple(rules)
    delays = np.empty(runs, dtype=int)
    for i in range(runs):
        limits = phase1_limits("xbar-r", _stats(rng.normal(size=(baseline_subgroups, n))))
        hits = _signals(rng.normal(loc=shift_sigma, size=(horizon, n)), limits, rules)
        delays[i] = int(np.argmax(hits)) + 1 if hits.any() else horizon + 1
    return delays
