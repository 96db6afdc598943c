"""SPC math: constants, limits of every chart type, rules, capability, ARL and detection."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from assets.spc.analysis import analyze
from assets.spc.capability import capability, series_capability, spec_limits
from assets.spc.charts import ChartDataError
from assets.spc.constants import B4, D4, c4, d2, d3, range_constants
from assets.spc.performance import detection_delays, in_control_arl
from assets.spc.rules import rule_flags


def test_constants_match_known_values() -> None:
    assert d2(2) == pytest.approx(2 / math.sqrt(math.pi), rel=1e-10)  # 1.128
    assert d3(2) == pytest.approx(math.sqrt(2 - 4 / math.pi), rel=1e-8)  # 0.8525
    assert d2(5) == pytest.approx(2.325929, abs=1e-6)
    assert d3(5) == pytest.approx(0.864082, abs=1e-6)
    assert c4(5) == pytest.approx(0.9399856, abs=1e-7)
    assert D4(5) == pytest.approx(2.1145, abs=1e-4) and D4(2) == pytest.approx(3.2665, abs=1e-4)
    assert B4(5) == pytest.approx(2.089, abs=1e-3)
    assert range_constants(5, "qcc") == (2.326, 0.8640855)
    with pytest.raises(ValueError):
        d2(1)


def _frame(**cols) -> pl.DataFrame:
    return pl.DataFrame(cols)


def test_imr_limits_use_mrbar_over_1128() -> None:
    x = [10.0, 12.0, 11.0, 13.0, 12.0, 10.0]
    res = analyze(_frame(x=x), "imr", "x")
    mrbar = np.mean(np.abs(np.diff(x)))
    assert res.limits["I"].sigma == pytest.approx(mrbar / d2(2))
    assert res.limits["I"].ucl == pytest.approx(np.mean(x) + 3 * mrbar / d2(2))
    assert res.limits["MR"].ucl == pytest.approx(mrbar * D4(2))
    assert res.points.filter(pl.col("chart") == "MR").height == len(x) - 1


def test_attribute_chart_limits() -> None:
    defectives = [3, 5, 2, 4, 6, 1]
    sizes = [100, 100, 100, 100, 100, 100]
    p = analyze(_frame(d=defectives, n=sizes), "p", "d", size="n").limits["p"]
    pbar = sum(defectives) / sum(sizes)
    assert p.center == pytest.approx(pbar)
    assert p.ucl == pytest.approx(pbar + 3 * math.sqrt(pbar * (1 - pbar) / 100))
    assert p.lcl == 0.0
    np_ = analyze(_frame(d=defectives, n=sizes), "np", "d", size="n").limits["np"]
    assert np_.center == pytest.approx(100 * pbar)
    c = analyze(_frame(d=defectives), "c", "d").limits["c"]
    assert c.ucl == pytest.approx(np.mean(defectives) + 3 * math.sqrt(np.mean(defectives)))
    u_res = analyze(_frame(d=defectives, n=[1, 2, 1, 2, 1, 2]), "u", "d", size="n")
    ubar = sum(defectives) / 9
    assert u_res.limits["u"].center == pytest.approx(ubar)
    pts = u_res.points.sort("point")
    assert pts["ucl"][1] == pytest.approx(ubar + 3 * math.sqrt(ubar / 2))  # varies with size


def test_laney_u_matches_u_on_poisson_counts_and_widens_on_clustered_ones() -> None:
    rng = np.random.default_rng(3)
    sizes = np.ones(2000)
    poisson = rng.poisson(4.0, 2000)
    # clustered defects: a gamma-mixed Poisson (negative binomial) with the same mean
    clustered = rng.poisson(rng.gamma(1.5, 4.0 / 1.5, 2000))

    def beyond_limits(counts: np.ndarray, chart: str) -> float:
        res = analyze(_frame(d=counts, n=sizes), chart, "d", size="n")
        pts = res.points
        return (
            pts.filter((pl.col("value") > pl.col("ucl")) | (pl.col("value") < pl.col("lcl"))).height
            / pts.height
        )

    lim = analyze(_frame(d=poisson, n=sizes), "laney-u", "d", size="n").limits["laney-u"]
    assert lim.sigma == pytest.approx(1.0, abs=0.06)  # Poisson: sigma_z ~ 1, a plain u chart
    assert lim.ucl == pytest.approx(4.0 + 3 * 2.0 * lim.sigma, abs=0.5)
    # a c chart on clustered counts calls 8 % of the wafers out of control; Laney's limits cut
    # that to what the skew of the counts leaves (normal-theory 3-sigma limits on a skewed count)
    assert beyond_limits(clustered, "c") > 0.05
    assert beyond_limits(clustered, "laney-u") < beyond_limits(clustered, "c") / 3
    assert (
        analyze(_frame(d=clustered, n=sizes), "laney-u", "d", size="n").limits["laney-u"].sigma
        > 1.5
    )


def test_phase2_uses_frozen_limits() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 30), rng.normal(5, 1, 5)])
    phase1 = ["true"] * 30 + ["false"] * 5
    res = analyze(_frame(x=x, p1=phase1), "imr", "x", phase1="p1")
    assert res.phase1_points == 30
    assert res.limits["I"].center == pytest.approx(x[:30].mean())
    hits = res.violations.filter((pl.col("chart") == "I") & (pl.col("rule") == 1))
    assert set(hits["point"].to_list()) >= {31, 32, 33, 34}
    frozen = analyze(_frame(x=x[30:]), "imr", "x", limits=res.limits)
    assert frozen.limits["I"].center == res.limits["I"].center


@pytest.mark.parametrize(
    "rule,z",
    [
        (1, [0, 0, 3.5]),
        (2, [0, 2.5, 0.5, 2.2]),
        (3, [1.5, 0.2, 1.2, 1.8, 1.1]),
        (4, [0.3] * 8),
        (5, [-2, -1.5, -1, 0, 0.5, 1]),
        (6, [0.5, -0.5] * 7),
        (7, [0.2, -0.3] * 7 + [0.1]),
        (8, [1.5, -1.5] * 4),
    ],
)
def test_each_rule_fires_at_the_completing_point(rule: int, z: list[float]) -> None:
    flags = rule_flags(np.array(z, dtype=float))
    assert flags[rule][-1]
    assert not flags[rule][:-1].any()
    shorter = rule_flags(np.array(z[:-1], dtype=float))[rule]
    assert not shorter.any()


def test_rules_need_same_side() -> None:
    assert not rule_flags(np.array([2.5, 0.0, -2.5]))[2].any()
    assert not rule_flags(np.array([0.3] * 7 + [-0.3]))[4].any()


def test_capability_indices() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(10.0, 1.0, 500)
    cap = capability(x, sigma_within=1.0, lsl=7.0, usl=14.0)
    assert cap["Cp"] == pytest.approx(7 / 6)
    assert cap["Cpk"] == pytest.approx(min(14 - x.mean(), x.mean() - 7) / 3)
    assert cap["Pp"] == pytest.approx(7 / (6 * x.std(ddof=1)))
    one_sided = capability(x, 1.0, usl=14.0)
    assert one_sided["Cp"] is None and one_sided["Cpk"] == pytest.approx((14 - x.mean()) / 3)
    assert one_sided["Cpm"] is None and cap["Cpm"] is None  # Cpm needs a target
    on_target = capability(x, 1.0, lsl=7.0, usl=14.0, target=10.5)
    assert on_target["Cpm"] == pytest.approx(7 / (6 * np.hypot(1.0, x.mean() - 10.5)))
    assert on_target["Cpm"] <= on_target["Cp"]


def test_capability_per_series_with_the_recipes_spec_limits() -> None:
    """Cp/Cpk from the sigma of the limits in force (the newest point's), Pp/Ppk from the
    overall spread; a series without spec limits keeps its spread, its indices are null."""
    rng = np.random.default_rng(11)
    ts = pl.datetime_range(
        datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, 5, tzinfo=UTC), "1h", eager=True
    )
    n = len(ts)
    cd = 45.2 + rng.normal(0, 0.3, n)

    def series(machine: str, item: str, recipe: str, values, sigma) -> pl.DataFrame:
        keys = {"source": "measurement", "machine_id": machine, "item": item, "recipe_id": recipe}
        return pl.DataFrame({"ts": ts[: len(values)], "value": values, "sigma": sigma}).select(
            *[pl.lit(v).alias(k) for k, v in keys.items()], pl.all()
        )

    points = pl.concat(
        [
            series("LITHO-01", "critical_dimension_nm", "LITHO-M1", cd, [0.5] * (n - 1) + [0.25]),
            series("ETCH-01", "temperature", "", 175 + rng.normal(0, 1, n), 1.0),
            series("LITHO-02", "critical_dimension_nm", "LITHO-M1", cd[:5], 0.25),  # too few
        ]
    )
    recipes = pl.DataFrame(
        {
            "recipe_id": ["LITHO-M1", "ETCH-POLY"],
            "spec_limits": [
                '{"critical_dimension_nm": '
                '{"lsl": 43.7, "usl": 46.3, "target": 45.0, "unit": "nm"}}',
                "{}",
            ],
        }
    )
    specs = spec_limits(recipes)
    assert specs.rows() == [("LITHO-M1", "critical_dimension_nm", 43.7, 45.0, 46.3, "nm")]
    out = series_capability(points, specs)
    assert out["machine_id"].to_list() == ["LITHO-01", "ETCH-01"]
    litho = out.row(0, named=True)
    mean = float(cd.mean())
    assert litho["points"] == n and litho["unit"] == "nm" and litho["sigma_within"] == 0.25
    assert litho["cp"] == pytest.approx(2.6 / 1.5)
    assert litho["cpk"] == pytest.approx((46.3 - mean) / 0.75)
    assert litho["ppk"] == pytest.approx((46.3 - mean) / (3 * cd.std(ddof=1)))
    assert litho["cpm"] == pytest.approx(2.6 / (6 * np.hypot(0.25, mean - 45.0)))
    etch = out.row(1, named=True)
    assert etch["lsl"] is None and etch["cp"] is None and etch["cpk"] is None
    assert etch["sigma_overall"] == pytest.approx(1.0, rel=0.3)


@pytest.mark.parametrize(
    "df,kwargs,message",
    [
        (_frame(v=[1.0, 2.0, 3.0], g=["a", "a", "b"]), {"subgroup": "g"}, "b"),
        (_frame(v=[1.0, 2.0, 3.0, 4.0, 5.0], g=list("aabbb")), {"subgroup": "g"}, "equal"),
        (_frame(v=[1.0, 2.0], g=["a", "a"]), {"subgroup": "g"}, "at least 2 subgroups"),
    ],
)
def test_bad_xbar_r_data_is_rejected(df: pl.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(ChartDataError, match=message):
        analyze(df, "xbar-r", "v", **kwargs)


def test_in_control_arl_of_rule_1_is_at_least_300() -> None:
    arl = in_control_arl(seed=7, rules=(1,), runs=400)
    assert arl >= 300, arl


@pytest.mark.parametrize("shift,max_mean_delay", [(1.0, 5.0), (1.5, 2.0), (2.0, 1.3)])
def test_mean_shifts_are_detected(shift: float, max_mean_delay: float) -> None:
    delays = detection_delays(seed=11, shift_sigma=shift, runs=100, horizon=100)
    assert (delays <= 100).all()  # every shift flagged
    assert delays.mean() <= max_mean_delay, delays.mean()
