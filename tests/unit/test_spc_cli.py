"""`fab spc limits`: the engineer's CLI, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REFERENCE

PISTONRINGS = REFERENCE / "spc" / "pistonrings.csv"


def fab(*args: str) -> subprocess.CompletedProcess:
    code = "from fabstack.cli.main import run; run()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)


def test_limits_json_on_pistonrings() -> None:
    out = fab("spc", "limits", str(PISTONRINGS), "--chart", "xbar-r", "--value", "diameter",
              "--subgroup", "sample", "--phase1", "trial", "--constants", "qcc", "--json",
              "--lsl", "73.95", "--usl", "74.05")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert f"{report['limits']['R']['ucl']:.7g}" == "0.04812533"
    assert f"{report['limits']['xbar']['lcl']:.7g}" == "73.98805"
    rule1 = [v["subgroup"] for v in report["violations"] if v["rule"] == 1]
    assert rule1 == ["37", "38", "39"]
    assert report["capability"]["Cpk"] > 1.0


def test_limits_table_output() -> None:
    out = fab("spc", "limits", str(PISTONRINGS), "--chart", "imr", "--value", "diameter")
    assert out.returncode == 0, out.stderr
    assert "MR" in out.stdout and "rule violations" in out.stdout


@pytest.mark.parametrize(
    "rows,args,needle",
    [
        ("v,g\n1,a\n2,a\n3,b\n4,b\n", ["--value", "missing", "--subgroup", "g"], "'missing'"),
        ("v,g\n1,a\n2,a\nabc,b\n4,b\n", ["--value", "v", "--subgroup", "g"], "'abc'"),
        ("v,g\n1,a\n2,a\n3,b\n4,b\n5,b\n", ["--value", "v", "--subgroup", "g"], "equal"),
        ("v,g\n1,a\n2,a\n", ["--value", "v", "--subgroup", "g"], "at least 2 subgroups"),
        ("v,g\n1,a\n2,a\n", ["--value", "v", "--subgroup", "g", "--constants", "x"], "constants"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, rows: str, args: list[str],
                                      needle: str) -> None:
    f = tmp_path / "data.csv"
    f.write_text(rows)
    out = fab("spc", "limits", str(f), "--chart", "xbar-r", *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fab: error:"), out.stderr
    assert needle in lines[0]


def test_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    out = fab("spc", "limits", str(tmp_path / "nope.csv"), "--chart", "c", "--value", "v")
    assert out.returncode == 2 and "not found" in out.stderr
