"""Flexible job-shop files (.fjs): parsing, bad input (one line, exit 2), solves and bounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assets.planning.bounds import compute_bounds
from assets.planning.checker import check_schedule
from assets.planning.fjsp import fjsp_problem, parse_fjsp
from assets.planning.model import SolveOptions, solve
from fabstack.errors import FabError
from tests.conftest import REFERENCE
from tests.unit.test_plan_jsp import fab

BRANDIMARTE = REFERENCE / "fjsp" / "brandimarte"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inst.fjs"
    path.write_text(text)
    return path


def test_parses_mk01_header_and_alternatives() -> None:
    inst = parse_fjsp(BRANDIMARTE / "mk01.fjs")
    assert (inst.n_jobs, inst.n_machines) == (10, 6)
    assert sum(len(ops) for ops in inst.jobs) == 55
    # job 0, operation 0: "2 1 5 3 4" -> machine 1 (index 0) for 5, machine 3 (index 2) for 4
    assert inst.jobs[0][0] == ((0, 5), (2, 4))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("2 2\n1 1 1 3\n2 1 1 3\n", ":3: job 1: announces 2 operations but the line has 1"),
        ("1 2\n1 1 3 4\n", ":2: job 0 operation 0: machine index 3 out of range 1..2"),
        ("1 2\n2 1 1 4 0\n", ":2: job 0 operation 1: zero eligible machines"),
        ("1 2\n1 2 1 4 2 -1\n", ":2: job 0 operation 0: negative duration -1"),
        ("2 2\n1 1 1 3\n", ":2: header announces 2 jobs but the file has 1"),
        ("1 x\n1 1 1 3\n", ":1: header n_machines: not an integer: 'x'"),
        ("1 2\n1 2 1 4\n", ":2: job 0 operation 0: announces 2 machines but the line ends"),
    ],
)
def test_bad_file_names_file_line_and_field(tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(FabError) as err:
        parse_fjsp(path)
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def test_cli_bad_file_is_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch) -> None:
    path = _write(tmp_path, "1 2\n1 1 5 4\n")
    code, _, err = fab(capsys, monkeypatch, "plan", "fjsp", str(path))
    assert code == 2
    assert err.strip().splitlines() == [
        f"fab: error: {path}:2: job 0 operation 0: machine index 5 out of range 1..2"
    ]


def test_cli_solves_mk01_with_a_deterministic_budget(capsys, monkeypatch) -> None:
    args = ["plan", "fjsp", str(BRANDIMARTE / "mk01.fjs"), "--det-time", "5", "--workers", "1"]
    code, out, err = fab(capsys, monkeypatch, *args, "--json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["makespan"] == 40  # proven optimal (best_known.json)
    assert result["best_bound"] == 40 and result["status"] == "OPTIMAL"
    assert 0 < result["deterministic_time"] <= 5


def test_deterministic_budget_repeats() -> None:
    problem = fjsp_problem(parse_fjsp(BRANDIMARTE / "mk06.fjs"))
    options = SolveOptions(time_limit_s=600, deterministic_time=0.2, workers=1, seed=3)
    first, second = solve(problem, options), solve(problem, options)
    assert (first.makespan, first.makespan_bound) == (second.makespan, second.makespan_bound)
    assert check_schedule(problem, first.slots) == []


def test_tiny_flexible_instance_is_exact(tmp_path: Path) -> None:
    # two jobs of one operation each, both fastest on machine 1: one moves to machine 2
    problem = fjsp_problem(parse_fjsp(_write(tmp_path, "2 2\n1 2 1 2 2 5\n1 2 1 3 2 4\n")))
    bounds = compute_bounds(problem)
    assert bounds.job_path == 3 and bounds.machine_load == 3  # (2 + 3) work on 2 machines
    result = solve(problem, SolveOptions(time_limit_s=5))
    assert result.status == "OPTIMAL" and result.makespan == 4
    assert check_schedule(problem, result.slots) == []


@pytest.mark.parametrize("name", ["mk01", "mk05", "mk08"])
def test_bounds_never_exceed_best_known(name: str) -> None:
    best = json.loads((BRANDIMARTE / "best_known.json").read_text())[name]
    bounds = compute_bounds(fjsp_problem(parse_fjsp(BRANDIMARTE / f"{name}.fjs")))
    assert best["proven_optimal"] and 0 < bounds.makespan <= best["best_known"]


def test_setups_on_parallel_machines_are_routed_and_respected() -> None:
    from assets.planning.problem import Job, Operation, Problem

    machines = ("E1", "E2")
    jobs = [
        Job(f"L{i}", (Operation(f"L{i}", 1, tuple((m, 10 + i) for m in machines), "AB"[i % 2]),))
        for i in range(8)
    ]
    setup = {(m, a, b): 7 for m in machines for a, b in (("A", "B"), ("B", "A"))}
    problem = Problem(jobs=jobs, machines=list(machines), setup=setup, initial_family={"E1": "A"})
    result = solve(problem, SolveOptions(time_limit_s=20, deterministic_time=5, workers=1))
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert check_schedule(problem, result.slots) == []
    # the best plan runs one family per machine: no setup but E2's first, if it starts with A
    assert sum(s.setup for s in result.slots) <= 7
    assert result.makespan_bound <= result.makespan


def test_tardiness_bound_from_capacity_relaxation_is_positive_and_valid() -> None:
    from assets.planning.problem import Job, Operation, Problem

    # three lots of 10 on one machine, all due at 10: at best 0, 10 and 20 late
    jobs = [Job(f"L{i}", (Operation(f"L{i}", 1, (("M", 10),)),), due=10) for i in range(3)]
    problem = Problem(jobs=jobs, machines=["M"])
    assert compute_bounds(problem).weighted_tardiness == 30
    result = solve(problem, SolveOptions(time_limit_s=10))
    assert result.weighted_tardiness == 30 and result.tardiness_gap == 0
