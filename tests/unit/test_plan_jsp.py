"""Job-shop instance files: parsing, bad input (file and line named, exit 2) and small solves."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assets.planning.checker import check_schedule
from assets.planning.jsp import jsp_problem, parse_jsp
from assets.planning.model import SolveOptions, solve
from fabstack.errors import FabError
from tests.conftest import REFERENCE


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inst.txt"
    path.write_text(text)
    return path


def test_parses_ft06_with_comments_and_blank_lines(tmp_path: Path) -> None:
    text = "# a comment\n\n" + (REFERENCE / "jsplib" / "ft06.txt").read_text()
    inst = parse_jsp(_write(tmp_path, text))
    assert (inst.n_jobs, inst.n_machines) == (6, 6)
    assert inst.jobs[0][:2] == ((2, 1), (0, 3))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("6\n0 1\n", ":1: bad header"),
        ("2 two\n0 1\n0 1\n", ":1: not an integer: 'two'"),
        ("0 3\n", ":1: bad header"),
        ("2 2\n0 5 1 4\n", ":2: header announces 2 jobs"),
        ("1 2\n0 5 2 4\n", ":2: job 0 operation 1: machine index 2 out of range 0..1"),
        ("1 2\n0 5 1 -4\n", ":2: job 0 operation 1: negative duration -4"),
        ("1 2\n0 5 1\n", ":2: job 0: expected 'machine duration' pairs"),
        ("1 2\n0 5 1 4\n1 1\n", ":3: extra line"),
    ],
)
def test_bad_instance_names_file_and_line(tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(FabError) as err:
        parse_jsp(path)
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def fab(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """Run the `fab` entry point in-process: (exit code, stdout, stderr)."""
    from fabcli.main import run

    monkeypatch.setattr(sys, "argv", ["fab", *args])
    with pytest.raises(SystemExit) as exc:
        run()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_cli_bad_file_is_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch) -> None:
    path = _write(tmp_path, "1 2\n0 5 7 4\n")
    code, _, err = fab(capsys, monkeypatch, "plan", "jsp", str(path))
    assert code == 2
    assert err.strip().splitlines() == [
        f"fab: error: {path}:2: job 0 operation 1: machine index 7 out of range 0..1"
    ]


def test_cli_solves_ft06_as_json(capsys, monkeypatch) -> None:
    code, out, err = fab(
        capsys,
        monkeypatch,
        "plan",
        "jsp",
        str(REFERENCE / "jsplib" / "ft06.txt"),
        "--time-limit",
        "20",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "OPTIMAL"
    assert result["makespan"] == 55 and result["best_bound"] == 55


def test_tiny_instance_is_exact_and_valid(tmp_path: Path) -> None:
    # job 0: M0 3 then M1 2; job 1: M1 4 then M0 1: both first ops in parallel, optimum 6
    problem = jsp_problem(parse_jsp(_write(tmp_path, "2 2\n0 3 1 2\n1 4 0 1\n")))
    result = solve(problem, SolveOptions(time_limit_s=5))
    assert result.status == "OPTIMAL"
    assert result.makespan == 6
    assert check_schedule(problem, result.slots) == []
