"""Monte Carlo capacity and on-time forecasts, fits and the ETS cross-check."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from assets.forecasting.ets import ets_forecast
from assets.forecasting.fit import fit_mtbf_mttr, fit_truncnorm
from assets.forecasting.inputs import (
    machine_models_from_plant,
    scheduled_hours_per_day,
    visits_per_wafer,
)
from assets.forecasting.montecarlo import (
    MachineModel,
    Scenario,
    forecast_capacity,
    run_scenarios,
    simulate_machine_output,
    simulate_machine_output_loop,
)
from assets.forecasting.on_time import PlannedOp, forecast_on_time
from fabstack.errors import FabError
from ingestion.plant import load_plant


@pytest.fixture(scope="module")
def demo():
    return load_plant("demo")


@pytest.fixture(scope="module")
def demo_models(demo):
    return machine_models_from_plant(demo)


def test_truncnorm_fit_recovers_parameters() -> None:
    a, b = (0.3 - 0.9) / 0.05, (1.2 - 0.9) / 0.05
    x = stats.truncnorm.rvs(a, b, loc=0.9, scale=0.05, size=4000, random_state=1)
    mu, sigma = fit_truncnorm(x)
    assert mu == pytest.approx(0.9, abs=0.005)
    assert sigma == pytest.approx(0.05, rel=0.05)
    # truncation matters: samples piled against the upper bound
    a, b = (0.3 - 1.15) / 0.1, (1.2 - 1.15) / 0.1
    y = stats.truncnorm.rvs(a, b, loc=1.15, scale=0.1, size=4000, random_state=2)
    mu2, _ = fit_truncnorm(y)
    assert mu2 == pytest.approx(1.15, abs=0.03) and y.mean() < 1.11
    assert fit_truncnorm(np.array([0.9]), prior=(0.95, 0.03)) == (0.9, 0.03)


def test_mtbf_mttr_fit() -> None:
    assert fit_mtbf_mttr(300.0, np.array([2.0, 4.0, 3.0]), prior=(90, 2.5)) == (100.0, 3.0)
    assert fit_mtbf_mttr(50.0, np.array([]), prior=(90, 2.5)) == (90, 2.5)


def test_plant_inputs(demo) -> None:
    assert scheduled_hours_per_day(demo) == 21.0  # 3 x 8 h minus 3 x 60 min breaks
    visits = visits_per_wafer(demo)
    assert visits == {"LITHO": 1, "ETCH": 1, "DEP": 1, "CMP": 1, "CLEAN": 1, "INSP": 1}


def test_capacity_is_seeded_ordered_and_matches_the_analytic_mean(demo, demo_models) -> None:
    f1 = forecast_capacity(demo_models, visits_per_wafer(demo), days=30, sims=4000, seed=5)
    f2 = forecast_capacity(demo_models, visits_per_wafer(demo), days=30, sims=4000, seed=5)
    assert f1.line == f2.line and f1.machines == f2.machines
    for row in [*f1.machines, *f1.areas, f1.line]:
        values = [row[k] for k in ("p5", "p10", "p50", "p90", "p95", "p99")]
        assert values == sorted(values)
        assert row["ci95_low"] <= row["p5"] and row["p95"] <= row["ci95_high"] <= row["p99"]
    # analytic mean for one machine: (hours - expected repair) x rate x mean efficiency
    m = demo_models[0]
    hours = m.scheduled_h_per_day - m.pm_h_per_day
    expected = 30 * (hours - hours / m.mtbf_h * m.mttr_h) * 3600 / m.cycle_time_s * m.eff_mu
    got = next(r for r in f1.machines if r["machine_id"] == m.machine_id)["mean"]
    assert got == pytest.approx(expected, rel=0.01)
    # CMP is a single tool with the slowest per-wafer time: it limits the line
    assert f1.bottleneck_area == "CMP" and f1.bottleneck["CMP"] > 0.9
    assert f1.bottleneck_machine == "CMP-01"
    shares = {r["machine_id"]: r["bottleneck_share"] for r in f1.machines}
    assert shares["CMP-01"] == pytest.approx(f1.bottleneck["CMP"])
    assert sum(shares.values()) == pytest.approx(1.0)


def test_poisson_sampler_is_exact_including_the_tail() -> None:
    from assets.forecasting.montecarlo import _poisson_small

    lam = np.array([0.2, 3.0])
    k = _poisson_small(np.random.default_rng(0), (200_000, 2), lam).astype(float)
    assert k.mean(axis=0) == pytest.approx(lam, rel=0.01)
    assert k.var(axis=0) == pytest.approx(lam, rel=0.02)
    assert (k[:, 1] > 4).mean() == pytest.approx(1 - stats.poisson.cdf(4, 3.0), rel=0.03)


def test_loop_reference_is_the_same_model(demo_models) -> None:
    vec = simulate_machine_output(demo_models, 30, 3000, seed=1)
    loop = simulate_machine_output_loop(demo_models, 30, 300, seed=1)
    assert loop.mean(axis=0) == pytest.approx(vec.mean(axis=0), rel=0.02)
    assert loop.std(axis=0).mean() == pytest.approx(vec.std(axis=0).mean(), rel=0.15)


def test_scenarios_improve_the_bottleneck(demo, demo_models) -> None:
    rows = run_scenarios(
        demo_models,
        visits_per_wafer(demo),
        [
            Scenario("second CMP tool", add_machine_like="CMP-01"),
            Scenario("CMP efficiency +5 %", efficiency_pct=5, area="CMP"),
            Scenario("downtime -50 % on litho", downtime_pct=50, area="LITHO"),
        ],
        sims=2000,
        seed=3,
    )
    by = {r["scenario"]: r for r in rows}
    assert by["second CMP tool"]["improvement_pct"] > 20
    assert by["CMP efficiency +5 %"]["improvement_pct"] == pytest.approx(5, abs=1)
    assert abs(by["downtime -50 % on litho"]["improvement_pct"]) < 0.5  # not the bottleneck
    with pytest.raises(FabError, match="unknown machine 'NOPE'"):
        run_scenarios(demo_models, visits_per_wafer(demo), [Scenario("x", "NOPE")], sims=10)


def test_demand_caps_the_line() -> None:
    m = MachineModel("M1", "A", 60.0, 1.0, 0.01, 1e9, 1.0, 24.0)
    f = forecast_capacity([m], {"A": 1.0}, days=10, sims=500, demand_wafers_per_day=100)
    assert f.line["p50"] == pytest.approx(1000, rel=0.05)
    assert f.bottleneck["demand"] > 0.99


def test_fan_is_ordered_cumulative_and_ends_at_the_totals(demo, demo_models) -> None:
    visits = visits_per_wafer(demo)
    f = forecast_capacity(demo_models, visits, days=20, sims=3000, seed=7, fan=True)
    again = forecast_capacity(demo_models, visits, days=20, sims=3000, seed=7, fan=True)
    plain = forecast_capacity(demo_models, visits, days=20, sims=3000, seed=7)
    assert f.fan is not None and plain.fan is None
    assert f.line == plain.line and f.areas == plain.areas  # the fan changes no totals
    series = {
        "line": (f.fan.line, f.line),
        **{a["area_id"]: (f.fan.areas[a["area_id"]], a) for a in f.areas},
    }
    assert set(series) == {"line", "LITHO", "ETCH", "DEP", "CMP", "CLEAN", "INSP"}
    for name, (fan, total) in series.items():
        bands = np.stack([fan[k] for k in ("p10", "p25", "p50", "p75", "p90")])
        assert bands.shape == (5, 20)
        assert (np.diff(bands, axis=0) >= 0).all(), f"{name}: percentiles out of order"
        assert (np.diff(bands, axis=1) > 0).all(), f"{name}: cumulative output must grow"
        assert bands[0, 0] > 0
        for k in ("p10", "p50", "p90", "mean"):  # the horizon's last day is the total
            assert fan[k][-1] == pytest.approx(total[k], rel=1e-9), (name, k)
        assert np.array_equal(
            fan["p50"], again.fan.line["p50"] if name == "line" else again.fan.areas[name]["p50"]
        )
        # about linear growth: the median after half the horizon is about half the total
        assert fan["p50"][9] == pytest.approx(total["p50"] / 2, rel=0.05)
    other = forecast_capacity(demo_models, visits, days=20, sims=3000, seed=8, fan=True)
    assert not np.array_equal(other.fan.line["p50"], f.fan.line["p50"])


def test_fan_of_a_demand_capped_line_ends_at_the_capped_total() -> None:
    m = MachineModel("M1", "A", 60.0, 1.0, 0.01, 1e9, 1.0, 24.0)
    f = forecast_capacity([m], {"A": 1.0}, days=10, sims=500, demand_wafers_per_day=100, fan=True)
    assert f.fan.line["p50"][-1] == pytest.approx(f.line["p50"], rel=1e-9)
    assert f.fan.line["p50"][0] == pytest.approx(100, rel=0.1)  # releases arrive day by day
    assert (np.diff(f.fan.line["p50"]) >= 0).all()


def test_on_time_probabilities() -> None:
    ops = [
        PlannedOp("L1", 1, "M1", 0, 60),
        PlannedOp("L1", 2, "M2", 60, 120),
        PlannedOp("L2", 1, "M1", 60, 100),
        PlannedOp("L3", 1, "M2", 0, 30),
    ]
    due = {"L1": 125.0, "L2": 400.0, "L3": 29.0}
    f = forecast_on_time(
        ops, due, mtbf_min={"M1": 600, "M2": 600}, mttr_min={"M1": 60, "M2": 60}, sims=2000, seed=1
    )
    p = {r["lot_id"]: r["p_on_time"] for r in f.lots}
    assert 0.3 < p["L1"] < 1.0  # 5 minutes of slack against noise and breakdowns
    assert p["L2"] > 0.99
    assert p["L3"] < 0.5  # planned late already
    again = forecast_on_time(
        ops, due, mtbf_min={"M1": 600, "M2": 600}, mttr_min={"M1": 60, "M2": 60}, sims=2000, seed=1
    )
    assert again.lots == f.lots
    assert f.expected_on_time == pytest.approx(sum(p.values()))


def test_ets_cross_check_has_ordered_intervals() -> None:
    rng = np.random.default_rng(0)
    y = 1000 + 30 * np.sin(np.arange(42) * 2 * np.pi / 7) + rng.normal(0, 20, 42)
    r = ets_forecast(y, horizon=30)
    assert r["model"] == "ETS(A,N,A)"
    assert len(r["daily"]) == 30
    for d in r["daily"]:
        assert d["pi_low"] < d["mean"] < d["pi_high"]
    assert r["total_pi_low"] < r["total_p50"] < r["total_pi_high"]
    assert r["total_mean"] == pytest.approx(30_000, rel=0.03)
    with pytest.raises(FabError, match="at least 7"):
        ets_forecast(np.ones(3))
