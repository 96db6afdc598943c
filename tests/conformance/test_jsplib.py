"""JSPLIB instances with published optima: never below the optimum, equal when proven optimal.

Short run here (ft06, la01-la05, la06, la11, la16 with a time limit); the full set with 60 s each
is tests/benchmarks/bench_jsplib.py.
"""

from __future__ import annotations

import json

import pytest

from assets.planning.checker import check_schedule
from assets.planning.jsp import jsp_problem, parse_jsp
from assets.planning.model import SolveOptions, solve
from tests.conftest import REFERENCE

JSPLIB = REFERENCE / "jsplib"
INSTANCES = ["ft06", "la01", "la02", "la03", "la04", "la05", "la06", "la11", "la16"]


@pytest.fixture(scope="module")
def optima() -> dict:
    return json.loads((JSPLIB / "optima.json").read_text())


@pytest.mark.parametrize("name", INSTANCES)
def test_instance_reaches_published_optimum(name: str, optima: dict) -> None:
    problem = jsp_problem(parse_jsp(JSPLIB / f"{name}.txt"))
    result = solve(problem, SolveOptions(time_limit_s=15, workers=2))
    optimum = optima[name]["optimum"]
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert check_schedule(problem, result.slots) == []
    assert result.makespan >= optimum, "a makespan below the published optimum is a bug"
    assert result.makespan_bound <= optimum
    if result.status == "OPTIMAL":
        assert result.makespan == optimum
    # these small instances are proven within seconds: anything else is a regression
    assert result.status == "OPTIMAL"
