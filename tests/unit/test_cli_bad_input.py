"""Issue 18, break 10: every bad input the red team found, through the real `fab` entry point.

Each case must end in exit 0 with a right answer or exit 2 with one line naming what is wrong:
never exit 1, never a hang (each run has a deadline), never Infinity stored or printed."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fab_inprocess import fab, isolated_env

DEMO_PLANT = REPO / "ingestion" / "plants" / "demo.yaml"
# the OR-Tools job-shop example: optimal makespan 11
SMALL_JSP = "3 3\n0 3 1 2 2 2\n0 2 2 1 1 4\n1 4 2 3\n"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path: Path) -> None:
    isolated_env(monkeypatch, tmp_path / "home")


@pytest.fixture
def small_jsp(tmp_path: Path) -> Path:
    path = tmp_path / "small.txt"
    path.write_text(SMALL_JSP)
    return path


def _csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- usage errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["nosuch"], "No such command 'nosuch'"),
        (["plan", "jsp", "x.txt", "--bogus"], "plan jsp: No such option: --bogus"),
        (["plan", "jsp", "x.txt", "--time-limit", "soon"], "Invalid value for '--time-limit'"),
        (["db", "retention", "--keep-days", "0"], "Invalid value for '--keep-days'"),
        (["spc", "limits"], "Missing argument 'file'"),
        (["simulate", "chaos", "--machine", "ETCH-01"], "Missing option '--fault'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    fab(*args).assert_refused(fragment, "--help")


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "jsp", "x.txt", "--workers", "many"],
        ["spc", "limits", "{big}", "--chart", "imr", "--value", "v"],  # numpy overflow inside
    ],
)
def test_one_line_in_a_real_process(tmp_path, args) -> None:
    """The console script itself: no usage box, no library warning on stderr, exit 2."""
    big = _csv(tmp_path, "v\n1e308\n-1e308\n1e308\n-1e308\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAB_")}
    result = subprocess.run(
        [sys.executable, "-m", "fabcli.main", *[a.format(big=big) for a in args]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**env, "FAB_HOME": str(tmp_path / "home"), "PYTHONWARNINGS": "always"},
    )
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("fab: error: ")


def test_a_bare_group_prints_its_help_and_exits_0() -> None:
    result = fab("plan")
    assert result.code == 0 and "jsp" in result.out and result.err == ""


# --- spc limits ------------------------------------------------------------------------------

IMR = ["--chart", "imr", "--value", "v"]


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        (["1e308", "-1e308", "1e308", "-1e308"], "too large"),
        (["1", "1e999", "2", "3"], "not a finite number"),
        (["1", "-inf", "2", "3"], "not a finite number"),
    ],
)
def test_spc_values_that_overflow_are_refused(tmp_path, values, fragment) -> None:
    path = _csv(tmp_path, "v\n" + "\n".join(values) + "\n")
    fab("spc", "limits", path, *IMR).assert_refused(fragment, "'v'")


def test_spc_constant_column_with_spec_limits_has_no_indices(tmp_path) -> None:
    path = _csv(tmp_path, "v\n" + "5\n" * 12)
    result = fab("spc", "limits", path, *IMR, "--lsl", "1", "--usl", "9", "--json")
    assert result.code == 0, result.err
    cap = json.loads(result.out)["capability"]
    assert cap["Cp"] is None and cap["Cpk"] is None and cap["Ppk"] is None
    text = fab("spc", "limits", path, *IMR, "--lsl", "1", "--usl", "9")
    assert text.code == 0 and "no spread" in text.out


@pytest.mark.parametrize(
    ("limits", "fragment"),
    [
        (["--lsl", "20", "--usl", "1"], "--lsl 20 must be below --usl 1"),
        (["--lsl", "5", "--usl", "5"], "--lsl 5 must be below --usl 5"),
        (["--lsl", "nan"], "--lsl: must be a finite number"),
        (["--usl", "inf"], "--usl: must be a finite number"),
        (["--usl", "1e999"], "--usl: must be a finite number"),
    ],
)
def test_spc_spec_limits_are_checked(tmp_path, limits, fragment) -> None:
    path = _csv(tmp_path, "v\n" + "\n".join(str(x) for x in range(12)) + "\n")
    fab("spc", "limits", path, *IMR, *limits).assert_refused(fragment)


@pytest.mark.parametrize(
    ("chart", "rows", "fragment"),
    [
        ("p", [("-1", "10"), ("2", "10"), ("3", "10")], "count -1 is negative"),
        ("p", [("11", "10"), ("2", "10"), ("3", "10")], "count 11 is above its sample size 10"),
        ("np", [("12", "10"), ("2", "10"), ("3", "10")], "count 12 is above its sample size 10"),
        ("c", [("-2", "1"), ("2", "1"), ("3", "1")], "count -2 is negative"),
        ("u", [("-2", "4"), ("2", "4"), ("3", "4")], "count -2 is negative"),
        ("laney-u", [("2", "0"), ("2", "4"), ("3", "4")], "sample size must be positive"),
        ("u", [("2", "-4"), ("2", "4"), ("3", "4")], "sample size must be positive"),
    ],
)
def test_spc_attribute_counts_are_checked(tmp_path, chart, rows, fragment) -> None:
    path = _csv(tmp_path, "d,n\n" + "".join(f"{d},{n}\n" for d, n in rows))
    fab("spc", "limits", path, "--chart", chart, "--value", "d", "--size", "n").assert_refused(
        fragment
    )


def test_spc_laney_u_uses_the_sample_size(tmp_path) -> None:
    path = _csv(tmp_path, "d,n\n4,2\n8,4\n6,3\n10,5\n")
    result = fab(
        "spc", "limits", path, "--chart", "laney-u", "--value", "d", "--size", "n", "--json"
    )
    assert result.code == 0, result.err
    assert json.loads(result.out)["limits"]["laney-u"]["center"] == pytest.approx(2.0)


# --- oee -------------------------------------------------------------------------------------

OEE_HEADER = "ts,machine_id,kind,reason_code,good,scrap\n"


def _oee_csv(tmp_path: Path, *rows: str) -> Path:
    return _csv(tmp_path, OEE_HEADER + "".join(r + "\n" for r in rows), "events.csv")


GOOD_ROWS = (
    "2026-11-20T06:00:00+01:00,ETCH-01,state,RUN,,",
    "2026-11-20T07:00:00+01:00,ETCH-01,count,,50,1",
    "2026-11-20T08:00:00+01:00,ETCH-01,state,RUN,,",
)


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        (["0001-01-01T00:00:00+00:00,ETCH-01,state,RUN,,", GOOD_ROWS[0]], "year 1"),
        (["9999-12-31T00:00:00+00:00,ETCH-01,state,RUN,,"], "year 9999"),
        (
            ["2016-01-01T00:00:00+00:00,ETCH-01,state,RUN,,", GOOD_ROWS[0]],
            "events span 3976 days",
        ),
        (
            ["2026-11-20T06:00:00,ETCH-01,state,RUN,,", GOOD_ROWS[2]],
            "is not an ISO timestamp with a UTC offset",
        ),
        (
            [*GOOD_ROWS, "2026-11-20T07:30:00+01:00,ETCH-01,count,,9000000000000000000,0"],
            "good '9000000000000000000' is not a count in 0..10,000,000",
        ),
        ([*GOOD_ROWS, "2026-11-20T07:30:00+01:00,ETCH-01,count,,9e18,0"], "good '9e18'"),
    ],
)
def test_oee_bad_events_are_refused(tmp_path, rows, fragment) -> None:
    fab("oee", _oee_csv(tmp_path, *rows)).assert_refused(fragment)


@pytest.mark.parametrize("value", ["inf", "nan", "1e999", "0", "-5", "1e12"])
def test_oee_ideal_cycle_time_is_bounded(tmp_path, value) -> None:
    path = _oee_csv(tmp_path, *GOOD_ROWS)
    fab("oee", path, "--ideal-cycle-s", value).assert_refused("--ideal-cycle-s")


def test_oee_good_events_still_answer(tmp_path) -> None:
    result = fab("oee", _oee_csv(tmp_path, *GOOD_ROWS), "--json")
    assert result.code == 0, result.err
    shift = json.loads(result.out)["machines"][0]
    assert shift["good"] == 50 and 0 < shift["oee"] <= 1


# --- plant files -----------------------------------------------------------------------------


def _plant(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "plant.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (bytes(range(256)) * 4, "not UTF-8 text"),
        (ALIAS_BOMB, "aliases"),
        (
            DEMO_PLANT.read_text().replace(
                "ideal_cycle_time_s: ", "ideal_cycle_time_s: 1e400 #", 1
            ),
            "ideal_cycle_time_s: Input should be a finite number",
        ),
        (
            DEMO_PLANT.read_text().replace("setpoint: 22.0", "setpoint: .nan", 1),
            "setpoint: Input should be a finite number",
        ),
    ],
)
def test_bad_plant_files_are_refused(tmp_path, content, fragment) -> None:
    path = _plant(tmp_path, content)
    fab("db", "seed", "--plant", path).assert_refused(str(path), fragment)


def test_a_directory_is_not_a_plant_file(tmp_path) -> None:
    fab("db", "seed", "--plant", ".").assert_refused("plant file . is not a file")
    fab("oee", tmp_path, "--plant", tmp_path).assert_refused("not a file")


def test_every_float_in_a_loaded_plant_is_finite() -> None:
    from ingestion.plant import load_plant

    def floats(value) -> list[float]:
        if isinstance(value, float):
            return [value]
        if isinstance(value, dict):
            return [f for v in value.values() for f in floats(v)]
        if isinstance(value, list | tuple):
            return [f for v in value for f in floats(v)]
        return []

    dumped = load_plant("demo").model_dump()
    assert floats(dumped) and all(math.isfinite(f) for f in floats(dumped))


# --- plan jsp --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1 1\n0 1000000000000000000000\n", "duration 1000000000000000000000 is above"),
        (f"1 1\n0 {2**62}\n", f"duration {2**62} is above"),
        ("2 99999999999\n0 1\n0 1\n", "99999999999 machines is above"),
        ("1000000 2\n0 1 1 1\n", "1000000 jobs is above"),
        ("1 1\n0 ٣\n", "not an integer: '٣'"),
        ("١ 1\n0 3\n", "not an integer: '١'"),
    ],
)
def test_jsp_instances_are_bounded(tmp_path, text, fragment) -> None:
    path = _csv(tmp_path, text, "inst.txt")
    fab("plan", "jsp", path, "--time-limit", "5").assert_refused(fragment)


def test_jsp_operations_are_bounded(tmp_path) -> None:
    path = _csv(tmp_path, "10000 3\n" + "0 1 1 1 2 1\n" * 10_000, "inst.txt")
    fab("plan", "jsp", path).assert_refused("20001 operations is above the limit of 20,000")


def test_jsp_total_work_is_bounded(tmp_path) -> None:
    job = " ".join(f"{m} 999999999" for m in range(10))
    path = _csv(tmp_path, "200 10\n" + (job + "\n") * 200, "inst.txt")
    fab("plan", "jsp", path).assert_refused("total duration")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--time-limit", "nan"),
        ("--time-limit", "inf"),
        ("--time-limit", "-1"),
        ("--time-limit", "1e9"),
        ("--workers", "100000"),
        ("--workers", "0"),
    ],
)
def test_jsp_solver_options_are_bounded(small_jsp, option, value) -> None:
    fab("plan", "jsp", small_jsp, option, value).assert_refused(option)


def test_jsp_still_solves_a_good_instance(small_jsp) -> None:
    result = fab("plan", "jsp", small_jsp, "--time-limit", "10", "--json", deadline_s=60)
    assert result.code == 0, result.err
    assert json.loads(result.out)["makespan"] == 11


# --- simulate chaos --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout", "inf"),
        ("--timeout", "nan"),
        ("--timeout", "0"),
        ("--timeout", "1e7"),
        ("--duration", "inf"),
        ("--duration", "nan"),
    ],
)
def test_chaos_waits_are_bounded(option, value) -> None:
    result = fab(
        "simulate", "chaos", "--machine", "ETCH-01", "--fault", "machine_down", option, value
    )
    result.assert_refused(option)


# --- times and day ranges given on the command line ------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["warehouse", "build", "0001-01-01", "9999-12-31"], "FIRST: '0001-01-01' is in year 1"),
        (["warehouse", "build", "2020-01-01", "2026-01-01"], "2193 days; build at most 366"),
        (["plan", "run", "--at", "9999-12-31T23:59:59+00:00"], "--at: '9999-12-31T23:59:59+00:00'"),
        (["boards", "check", "--now", "0001-01-01"], "--now: '0001-01-01' is in year 1"),
        (["simulate", "--days", "1", "--end", "0001-01-01T00:00:00Z"], "--end:"),
        (["simulate", "--live", "--start", "9999-01-01T00:00:00Z"], "--start:"),
    ],
)
def test_times_at_the_calendars_edges_are_refused(args, fragment) -> None:
    fab(*args).assert_refused(fragment, "expected 1970..2200" if "year" in fragment else "")
