"""Fit the Monte Carlo inputs on history: a truncated normal for efficiency, MTBF and MTTR."""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

EFFICIENCY_BOUNDS = (0.3, 1.2)


def fit_truncnorm(
    samples: np.ndarray,
    lo: float = EFFICIENCY_BOUNDS[0],
    hi: float = EFFICIENCY_BOUNDS[1],
    *,
    prior: tuple[float, float] = (0.95, 0.03),
) -> tuple[float, float]:
    """Maximum-likelihood (mu, sigma) of a normal truncated to [lo, hi] (scipy.stats.truncnorm).

    Fewer than 3 usable samples, or no spread, fall back to ``prior`` (the plant file's value)."""
    x = np.asarray(samples, dtype=float)
    x = x[np.isfinite(x) & (x >= lo) & (x <= hi)]
    if len(x) < 3 or np.std(x) < 1e-6:
        mu = float(np.mean(x)) if len(x) else prior[0]
        return mu, prior[1]

    def nll(theta: np.ndarray) -> float:
        mu, log_sigma = theta
        sigma = np.exp(log_sigma)
        a, b = (lo - mu) / sigma, (hi - mu) / sigma
        return -float(np.sum(stats.truncnorm.logpdf(x, a, b, loc=mu, scale=sigma)))

    start = np.array([np.mean(x), np.log(max(np.std(x), 1e-3))])
    res = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000}
    )
    mu, sigma = float(res.x[0]), float(np.exp(res.x[1]))
    if not (res.success and np.isfinite(mu) and 1e-4 < sigma < 1):
        return float(np.mean(x)), float(max(np.std(x), 1e-3))
    return mu, sigma


def fit_mtbf_mttr(
    up_hours: float, repair_hours: np.ndarray, *, prior: tuple[float, float]
) -> tuple[float, float]:
    """MTBF = up time / failures, MTTR = mean repair; with no failure seen, the prior
    MTBF is kept unless the observed up time already exceeds it."""
    repairs = np.asarray(repair_hours, dtype=float)
    repairs = repairs[np.isfinite(repairs) & (repairs > 0)]
    if len(repairs) == 0:
        return max(prior[0], float(up_hours)), prior[1]
    return max(float(up_hours) / len(repairs), 1e-3), float(np.mean(repairs))
