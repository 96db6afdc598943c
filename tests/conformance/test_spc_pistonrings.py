"""qcc's piston-ring limits (Montgomery), reproduced from the CSV by our SPC code."""

from __future__ import annotations

import json

import polars as pl
import pytest

from assets.spc.analysis import analyze
from tests.conftest import REFERENCE

DATA = REFERENCE / "spc" / "pistonrings.csv"


def _reference() -> dict:
    return json.loads((REFERENCE / "spc" / "pistonrings_limits.json").read_text())


def _sig7(x: float) -> float:
    return float(f"{x:.7g}")


def _limits(chart_type: str, convention: str) -> dict:
    df = pl.read_csv(DATA, infer_schema=False)
    res = analyze(
        df, chart_type, "diameter", subgroup="sample", phase1="trial", convention=convention
    )
    assert res.phase1_points == 25
    return res.limits


@pytest.mark.parametrize("chart_type,charts", [("xbar-r", ("xbar", "R")), ("xbar-s", ("S",))])
def test_qcc_printout_reproduced_digit_for_digit(chart_type: str, charts: tuple) -> None:
    """With qcc's constants tables, every printed figure matches to its 7 significant digits."""
    ref = _reference()
    limits = _limits(chart_type, "qcc")
    for chart in charts:
        got, want = limits[chart], ref[chart]
        assert _sig7(got.center) == pytest.approx(want["center"], abs=0, rel=1e-12)
        assert _sig7(got.lcl) == pytest.approx(want["lcl"], abs=1e-12)
        assert _sig7(got.ucl) == pytest.approx(want["ucl"], rel=1e-12)
        assert _sig7(got.sigma) == pytest.approx(want["sigma_within"], rel=1e-12)


@pytest.mark.parametrize("chart_type,charts", [("xbar-r", ("xbar", "R")), ("xbar-s", ("S",))])
def test_exact_constants_agree_with_qcc(chart_type: str, charts: tuple) -> None:
    """With exactly computed d2/d3/c4 the limits differ from qcc only by qcc rounding d2(5) to
    2.326 (relative 3e-5); the S chart, which needs only c4, is identical."""
    ref = _reference()
    limits = _limits(chart_type, "exact")
    for chart in charts:
        got, want = limits[chart], ref[chart]
        assert got.center == pytest.approx(want["center"], rel=1e-6)
        assert got.lcl == pytest.approx(want["lcl"], rel=1e-6, abs=1e-9)
        assert got.ucl == pytest.approx(want["ucl"], rel=5e-5)
        assert got.sigma == pytest.approx(want["sigma_within"], rel=5e-5)
    if chart_type == "xbar-s":
        assert _sig7(limits["S"].ucl) == ref["S"]["ucl"]


def test_phase2_flags_qcc_out_of_control_samples() -> None:
    """The textbook's Phase II: samples 37, 38 and 39 are beyond the x-bar UCL."""
    df = pl.read_csv(DATA, infer_schema=False)
    res = analyze(df, "xbar-r", "diameter", subgroup="sample", phase1="trial")
    rule1 = res.violations.filter((pl.col("chart") == "xbar") & (pl.col("rule") == 1))
    assert rule1["subgroup"].to_list() == ["37", "38", "39"]
    assert not res.violations.filter(pl.col("phase1")).height  # Phase I is in control
