"""Yield models fitted to wafers: each recovers its own parameters from noiseless data, and
clustered (negative-binomial) data is fitted better by the negative binomial."""

from __future__ import annotations

import numpy as np
import pytest

from assets.defects.yield_model import fit_yield_models


def test_fits_recover_parameters() -> None:
    d0 = np.linspace(0.01, 2.0, 40)
    area = 1.0
    poisson = 0.95 * np.exp(-area * 0.6 * d0)
    fit = fit_yield_models(d0, poisson, area)["poisson"]
    assert fit["y0"] == pytest.approx(0.95, abs=1e-4)
    assert fit["kill_ratio"] == pytest.approx(0.6, abs=1e-4)
    assert fit["r2"] > 0.9999
    clustered = 0.9 * (1 + area * 0.8 * d0 / 0.7) ** -0.7
    both = fit_yield_models(d0, clustered, area)
    assert both["negative_binomial"]["alpha"] == pytest.approx(0.7, rel=1e-3)
    assert both["negative_binomial"]["rmse"] < both["poisson"]["rmse"]


def test_too_few_wafers_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3 wafers"):
        fit_yield_models(np.array([0.1, np.nan]), np.array([0.9, 0.8]), 1.0)
