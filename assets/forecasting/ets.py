"""The classical cross-check: an ETS (exponential smoothing) forecast of daily output."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from fabstack.errors import FabError


def ets_forecast(
    daily_output: np.ndarray,
    horizon: int = 30,
    *,
    alpha: float = 0.05,
    sims: int = 2_000,
    seed: int = 0,
) -> dict:
    """Daily mean and (1 - alpha) prediction intervals, plus the horizon total's interval
    (from simulated paths). Additive errors; a weekly season when there are 3+ weeks of data."""
    y = np.asarray(daily_output, dtype=float)
    if len(y) < 7 or not np.all(np.isfinite(y)):
        raise FabError(f"ETS forecast: needs at least 7 finite daily values, got {len(y)}")
    seasonal = "add" if len(y) >= 21 else None
    # a pandas series: statsmodels' prediction results need an index
    model = ETSModel(
        pd.Series(y),
        error="add",
        trend=None,
        seasonal=seasonal,
        seasonal_periods=7 if seasonal else None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short, flat series
        fit = model.fit(disp=False)
        frame = fit.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(
            alpha=alpha
        )
        paths = fit.simulate(
            nsimulations=horizon, repetitions=sims, anchor="end", rng=np.random.default_rng(seed)
        )
    totals = np.asarray(paths, dtype=float).reshape(horizon, -1).sum(axis=0)
    lo, mid, hi = np.percentile(totals, [100 * alpha / 2, 50, 100 * (1 - alpha / 2)])
    return {
        "model": f"ETS(A,N,{'A' if seasonal else 'N'})",
        "daily": [
            {
                "day": i + 1,
                "mean": float(r["mean"]),
                "pi_low": float(r["pi_lower"]),
                "pi_high": float(r["pi_upper"]),
            }
            for i, (_, r) in enumerate(frame.iterrows())
        ],
        "total_mean": float(frame["mean"].sum()),
        "total_p50": float(mid),
        "total_pi_low": float(lo),
        "total_pi_high": float(hi),
        "aic": float(fit.aic),
    }
