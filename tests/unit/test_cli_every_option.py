"""Every `fab` command's bad-argument paths, listed from the CLI itself (so a new command or
option is covered the day it is added): unknown options, and every numeric option given
nan, inf, 1e999, negative, zero and out-of-range values. Each must exit 0 or exit 2 with one
line, within a deadline. Services are unreachable here, so nothing real is started."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
import typer.main

from fabcli.main import app
from tests.fab_inprocess import fab, isolated_env

ROOT = typer.main.get_command(app)
BAD_NUMBERS = ["nan", "inf", "-inf", "1e999", "-1", "0", "1e300", "99999999999999999999999"]


def _leaves(group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    out = []
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            out.append((prefix + (name,), cmd))  # a group's own options (simulate) count too
            out += _leaves(cmd, prefix + (name,))
        else:
            out.append((prefix + (name,), cmd))
    return out


COMMANDS = _leaves(ROOT)


def _is_numeric(param) -> bool:
    annotation = param.type_descriptor.annotation
    kinds = typing.get_args(annotation) or (annotation,)
    return any(k in (int, float) for k in kinds) and not getattr(param, "is_flag", False)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    events = root / "events.csv"
    events.write_text(
        "ts,machine_id,kind,reason_code,good,scrap\n"
        "2026-11-20T06:00:00+01:00,ETCH-01,state,RUN,,\n"
        "2026-11-20T07:00:00+01:00,ETCH-01,count,,50,1\n"
        "2026-11-20T08:00:00+01:00,ETCH-01,state,RUN,,\n"
    )
    values = root / "values.csv"
    values.write_text("v\n" + "".join(f"{x % 7}\n" for x in range(20)))
    jsp = root / "small.txt"
    jsp.write_text("3 3\n0 3 1 2 2 2\n0 2 2 1 1 4\n1 4 2 3\n")
    fjsp = root / "small.fjs"  # Brandimarte format: 2 jobs, 2 machines
    fjsp.write_text("2 2 1\n2 1 1 3 1 2 4\n1 2 1 2 2 5\n")
    return {"events": events, "values": values, "jsp": jsp, "fjsp": fjsp}


def _required(path: tuple[str, ...], files: dict[str, Path]) -> list[str]:
    """Good values for a command's required arguments, so the bad option is what is judged."""
    return {
        ("oee",): [str(files["events"])],
        ("trace",): ["W1"],
        ("warehouse", "build"): ["2026-11-20"],
        ("simulate", "chaos"): ["--machine", "ETCH-01", "--fault", "machine_down"],
        ("plan", "jsp"): [str(files["jsp"])],
        ("plan", "fjsp"): [str(files["fjsp"])],
        ("spc", "limits"): [str(files["values"]), "--chart", "imr", "--value", "v"],
        ("model", "show"): ["1"],
        ("model", "promote"): ["1"],
        # the option checks run before the file is read: any path will do
        ("defects", "train"): ["maps.csv"],
        ("defects", "classify"): ["maps.csv"],
    }.get(path, [])


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path: Path) -> None:
    isolated_env(monkeypatch, tmp_path / "home")


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_an_unknown_option_is_one_usage_line(path, cmd, files) -> None:
    fab(*path, *_required(path, files), "--no-such-option").assert_refused(
        "No such option: --no-such-option"
    )


NUMERIC_CASES = [
    (path, param.opts[0], value)
    for path, cmd in COMMANDS
    for param in cmd.params
    if _is_numeric(param) and param.opts[0].startswith("--")
    for value in BAD_NUMBERS
]


def test_every_numeric_option_is_listed() -> None:
    options = {(p, o) for p, o, _ in NUMERIC_CASES}
    assert (("plan", "jsp"), "--time-limit") in options
    assert (("simulate", "chaos"), "--timeout") in options
    assert (("oee",), "--ideal-cycle-s") in options
    assert len(options) >= 25


# Options where a huge finite value is a right answer's input (a spec limit of 1e300 gives a
# finite, if absurd, Cpk), and commands whose option checks belong to other work in flight:
# they still keep the contract (exit 0 or 2 with one line), only not the option-named refusal.
LARGE_IS_FINE = {(("spc", "limits"), "--lsl"), (("spc", "limits"), "--usl")}
CHECKED_ELSEWHERE = {"ingest", "model", "mlflow"}  # ingestion and model-registry work


@pytest.mark.parametrize(
    ("path", "option", "value"),
    NUMERIC_CASES,
    ids=[f"{' '.join(p)} {o} {v}" for p, o, v in NUMERIC_CASES],
)
def test_bad_numbers_exit_0_or_2_with_one_line(path, option, value, files) -> None:
    result = fab(*path, *_required(path, files), option, value)
    result.assert_contract()
    if path[0] in CHECKED_ELSEWHERE or value in ("-1", "0"):
        return
    if value in ("nan", "inf", "-inf", "1e999") or (path, option) not in LARGE_IS_FINE:
        # never numbers anyone means: refused by the option's own check, before any service
        result.assert_refused(option)
