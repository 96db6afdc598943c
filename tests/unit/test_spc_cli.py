"""`fab spc limits`: the engineer's CLI. Two runs as a real process (exit codes, one-line
errors); the rest in-process through the same code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fabcli.spc import app, limits_report
from fabstack.errors import FabError
from tests.conftest import REFERENCE

PISTONRINGS = REFERENCE / "spc" / "pistonrings.csv"


def fab(*args: str) -> subprocess.CompletedProcess:
    code = "from fabcli.main import run; run()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=180
    )


def test_limits_json_on_pistonrings_as_a_process() -> None:
    out = fab(
        "spc",
        "limits",
        str(PISTONRINGS),
        "--chart",
        "xbar-r",
        "--value",
        "diameter",
        "--subgroup",
        "sample",
        "--phase1",
        "trial",
        "--constants",
        "qcc",
        "--json",
        "--lsl",
        "73.95",
        "--usl",
        "74.05",
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert f"{report['limits']['R']['ucl']:.7g}" == "0.04812533"
    assert f"{report['limits']['xbar']['lcl']:.7g}" == "73.98805"
    rule1 = [v["subgroup"] for v in report["violations"] if v["rule"] == 1]
    assert rule1 == ["37", "38", "39"]
    assert report["capability"]["Cpk"] > 1.0


def test_bad_input_is_one_line_and_exit_2_as_a_process(tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_text("v,g\n1,a\n2,a\nabc,b\n4,b\n")
    out = fab("spc", "limits", str(f), "--chart", "xbar-r", "--value", "v", "--subgroup", "g")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fab: error:"), out.stderr
    assert "'abc'" in lines[0] and "row 4" in lines[0]


def test_limits_table_output() -> None:
    root = typer.Typer()
    root.add_typer(app, name="spc")  # as `fab` mounts it
    result = CliRunner().invoke(
        root, ["spc", "limits", str(PISTONRINGS), "--chart", "imr", "--value", "diameter"]
    )
    assert result.exit_code == 0, result.output
    assert "MR" in result.output and "rule violations" in result.output


@pytest.mark.parametrize(
    "rows,kwargs,needle",
    [
        ("v,g\n1,a\n2,a\n3,b\n4,b\n", {"value": "missing", "subgroup": "g"}, "'missing'"),
        ("v,g\n1,a\n2,a\nabc,b\n4,b\n", {"value": "v", "subgroup": "g"}, "'abc'"),
        ("v,g\n1,a\n2,a\n3,b\n4,b\n5,b\n", {"value": "v", "subgroup": "g"}, "equal"),
        ("v,g\n1,a\n2,a\n", {"value": "v", "subgroup": "g"}, "at least 2 subgroups"),
        ("v,g\n1,a\n2,a\n", {"value": "v", "subgroup": "g", "constants": "x"}, "constants"),
        ("v,n\n1,10\n2,oops\n", {"value": "v", "size": "n", "chart": "p"}, "'oops'"),
    ],
)
def test_bad_input_names_the_problem(tmp_path: Path, rows: str, kwargs: dict, needle: str) -> None:
    f = tmp_path / "data.csv"
    f.write_text(rows)
    args = {
        "chart": "xbar-r",
        "subgroup": None,
        "size": None,
        "phase1": None,
        "constants": "exact",
        "lsl": None,
        "usl": None,
        **kwargs,
    }
    with pytest.raises(FabError, match=needle) as err:
        limits_report(f, **args)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FabError, match="not found"):
        limits_report(tmp_path / "nope.csv", "c", "v", None, None, None, "exact", None, None)
