"""`fab simulate` bad input: one line naming the field and value, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from fabstack.errors import FabError
from tests.conftest import REPO

BAD = [
    (["--days", "0"], "--days"),
    (["--days", "-2"], "--days"),
    (["--days", "1", "--rate", "0"], "--rate"),
    (["--days", "1", "--end", "2026-01-01T00:00"], "--end"),
    (["--days", "1", "--end", "tomorrow"], "--end"),
    (["--live", "--speed", "0"], "--speed"),
    (["--live", "--speed", "-5"], "--speed"),
    (["--live", "--security", "Maybe"], "--security"),
    (["chaos", "--machine", "ETCH-99", "--fault", "machine_down"], "ETCH-99"),
    (["chaos", "--machine", "ETCH-01", "--fault", "meltdown"], "meltdown"),
    (["chaos", "--machine", "ETCH-01", "--fault", "machine_down", "--duration", "0"], "--duration"),
    (
        ["chaos", "--machine", "ETCH-01", "--fault", "sensor_spike", "--duration", "-3"],
        "--duration",
    ),
]


@pytest.mark.parametrize(("args", "named"), BAD)
def test_bad_input_is_a_fab_error_naming_the_field(args, named, fab_home):
    from fabcli.simulate import app

    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, FabError), result.output
    message = str(result.exception)
    assert named in message and "\n" not in message


def test_plant_whose_route_names_a_missing_machine_type(tmp_path, fab_home):
    from fabcli.simulate import app

    text = (REPO / "ingestion" / "plants" / "demo.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace(
            "- {machine_type: CMP, recipe: CMP-STD}",
            "- {machine_type: PLATING, recipe: CMP-STD}",
            1,
        )
    )
    result = CliRunner().invoke(app, ["--plant", str(bad), "--days", "1"])
    assert isinstance(result.exception, FabError)
    assert "PLATING" in str(result.exception) and "bad.yaml" in str(result.exception)


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "chaos", "--machine", "NOPE-1", "--fault", "machine_down"],
    ],
)
def test_fab_cli_exits_2_with_one_line(args, fab_home):
    fab = REPO / ".venv" / "bin" / "fab"
    cmd = [str(fab)] if fab.exists() else [sys.executable, "-m", "fabcli.main"]
    proc = subprocess.run(cmd + args, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fab: error: ")
