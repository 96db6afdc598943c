"""Property-based bad input (hypothesis): generated CSV for `fab spc limits` and `fab oee`,
generated and mutated plant YAML, generated job-shop files for `fab plan jsp`.

Every run must exit 0 with a right answer or 2 with one line; never 1, never a hang (each run
has a deadline in `tests.fab_inprocess.fab`), and never a non-finite number in an answer or a
loaded plant."""

from __future__ import annotations

import copy
import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fabstack.errors import FabError
from ingestion.plant import PLANTS_DIR, load_plant
from tests.fab_inprocess import DEAD_SERVICES, fab

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
DEMO = PLANTS_DIR / "demo.yaml"


@pytest.fixture(scope="module", autouse=True)
def _isolated(tmp_path_factory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAB_HOME", str(tmp_path_factory.mktemp("home")))
        mp.setenv("NO_COLOR", "1")
        for key, value in DEAD_SERVICES.items():
            mp.setenv(key, value)
        yield


def _write(text: str | bytes, suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False)  # noqa: SIM115
    with handle:
        handle.write(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return Path(handle.name)


def _strict_json(text: str):
    """JSON that refuses NaN and Infinity (Python's json writes them; no one can read them)."""

    def refuse(name: str):
        raise AssertionError(f"non-finite number {name} in the answer")

    return json.loads(text, parse_constant=refuse)


# --- CSV cells -------------------------------------------------------------------------------

NUMBER_TEXT = st.one_of(
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:.4g}"),
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "inf",
            "-inf",
            "1e999",
            "-1e308",
            "1e308",
            "abc",
            "1,5",
            "٣",
            "0x10",
            "1_000",
            '"7"',
            "TRUE",
        ]
    ),
)
SMALL_COUNT = st.integers(-3, 30).map(str)


def _cell(text: str) -> str:
    return f'"{text}"' if ("," in text or '"' in text) and not text.startswith('"') else text


# --- spc limits ------------------------------------------------------------------------------

CHARTS = ["xbar-r", "xbar-s", "imr", "p", "np", "c", "u", "laney-u"]


@st.composite
def spc_inputs(draw) -> tuple[str, list[str]]:
    chart = draw(st.sampled_from(CHARTS))
    rows = draw(st.integers(0, 14))
    attribute = chart in ("p", "np", "c", "u", "laney-u")
    clean = draw(st.booleans())  # half well-formed, so answers get checked
    if clean:
        cell = st.integers(0, 30) if attribute else st.floats(-1e3, 1e3).map(lambda x: f"{x:.3f}")
        values = [str(v) for v in draw(st.lists(cell, min_size=rows, max_size=rows))]
        size = draw(st.integers(30, 40))  # equal sizes (np), never below a count (p)
        sizes = [str(size)] * rows
    else:
        values = draw(
            st.lists(
                SMALL_COUNT if attribute and draw(st.booleans()) else NUMBER_TEXT,
                min_size=rows,
                max_size=rows,
            )
        )
        sizes = draw(
            st.lists(
                st.one_of(st.integers(-2, 40).map(str), NUMBER_TEXT), min_size=rows, max_size=rows
            )
        )
    groups = [str(i // draw(st.integers(1, 4))) if rows else "" for i in range(rows)]
    lines = ["v,n,g"] + [
        f"{_cell(v)},{_cell(n)},{g}" for v, n, g in zip(values, sizes, groups, strict=True)
    ]
    args = ["--chart", chart, "--value", "v", "--size", "n", "--subgroup", "g"]
    if chart in ("xbar-r", "xbar-s", "imr"):
        for option in ("--lsl", "--usl"):
            if draw(st.booleans()):
                args += [option, draw(NUMBER_TEXT.filter(lambda t: t.strip() != ""))]
    return "\n".join(lines) + "\n", args


@PROPERTY
@given(spc_inputs())
def test_spc_limits_on_generated_csv(case) -> None:
    text, args = case
    result = fab("spc", "limits", _write(text, ".csv"), *args, "--json")
    result.assert_contract()
    event(f"exit {result.code}")
    if result.code != 0:
        return
    report = _strict_json(result.out)
    for lim in report["limits"].values():
        assert lim["lcl"] <= lim["center"] <= lim["ucl"], lim
    if "capability" in report:
        cap = report["capability"]
        assert cap["lsl"] is None or cap["usl"] is None or cap["lsl"] < cap["usl"]


@PROPERTY
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30))
def test_spc_imr_centre_is_the_mean(values: list[float]) -> None:
    path = _write("v\n" + "".join(f"{x!r}\n" for x in values), ".csv")
    result = fab("spc", "limits", path, "--chart", "imr", "--value", "v", "--json")
    result.assert_contract()
    assert result.code == 0, result.err
    centre = _strict_json(result.out)["limits"]["I"]["center"]
    assert centre == pytest.approx(math.fsum(values) / len(values), abs=1e-6)


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 50)), min_size=2, max_size=20))
def test_spc_p_centre_is_the_pooled_fraction(samples: list[tuple[int, int]]) -> None:
    rows = [(min(d, n), n) for d, n in samples]
    path = _write("d,n\n" + "".join(f"{d},{n}\n" for d, n in rows), ".csv")
    result = fab("spc", "limits", path, "--chart", "p", "--value", "d", "--size", "n", "--json")
    assert result.code == 0, result.err
    centre = _strict_json(result.out)["limits"]["p"]["center"]
    assert centre == pytest.approx(sum(d for d, _ in rows) / sum(n for _, n in rows))


# --- oee -------------------------------------------------------------------------------------

TIMESTAMP = st.one_of(
    st.builds(
        lambda day, minute, offset: (
            f"2026-11-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00{offset}"
        ),
        st.integers(18, 22),
        st.integers(0, 1439),
        st.sampled_from(["+01:00", "Z", "+00:00", "-05:00", "", "+0100"]),
    ),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59+00:00",
            "2016-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "yesterday",
            "",
            "2026-02-30T00:00:00Z",
            "2026-11-20 06:00:00+01:00",
        ]
    ),
)
REASONS = st.sampled_from(
    ["RUN", "SMALL_STOP", "STARVED", "SETUP", "WEAR_OUT", "BREAK", "NO_SHIFT", "", "NOPE"]
)
MACHINES = st.sampled_from(["ETCH-01", "ETCH-02", "LITHO-01", "X-99", ""])


GOOD_TIMESTAMP = st.builds(
    lambda day, minute: f"2026-11-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00+01:00",
    st.integers(19, 21),
    st.integers(0, 1439),
)


@st.composite
def oee_inputs(draw) -> tuple[str, list[str]]:
    """Half the files mostly well-formed (so answers get checked), half anything."""
    clean = draw(st.booleans())
    stamp = GOOD_TIMESTAMP if clean else TIMESTAMP
    reasons = (
        st.sampled_from(["RUN", "SMALL_STOP", "SETUP", "WEAR_OUT", "BREAK"]) if clean else REASONS
    )
    machines = st.sampled_from(["ETCH-01", "LITHO-01"]) if clean else MACHINES
    counts = st.integers(0, 40).map(str) if clean else NUMBER_TEXT
    scraps = st.integers(0, 3).map(str) if clean else SMALL_COUNT
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["state", "state", "count"] + ([] if clean else ["other"])))
        reason = draw(reasons) if kind == "state" else ""
        good, scrap = ("", "") if kind == "state" else (draw(counts), draw(scraps))
        rows.append(
            ",".join([draw(stamp), draw(machines), kind, reason, _cell(good), _cell(scrap)])
        )
    args = []
    if draw(st.booleans()):
        cycle = st.integers(1, 120).map(str) if clean else NUMBER_TEXT.filter(str.strip)
        args = ["--ideal-cycle-s", draw(cycle)]
    return "ts,machine_id,kind,reason_code,good,scrap\n" + "\n".join(rows) + "\n", args


@PROPERTY
@given(oee_inputs())
def test_oee_on_generated_events(case) -> None:
    text, args = case
    result = fab("oee", _write(text, ".csv"), *args, "--json")
    result.assert_contract()
    event(f"exit {result.code}")
    if result.code != 0:
        return
    report = _strict_json(result.out)
    machine_rows = {id(r) for r in report["machines"]}
    for row in [*report["machines"], *report["plant_total"]]:
        assert 0 < row["planned_production_min"] <= 24 * 60
        assert 0 <= row["oee"] <= 1
        assert 0 <= row["availability"] <= 1 and row["run_min"] >= 0
        assert row["performance"] is None or row["performance"] >= 0
        if row["quality"] is not None:
            assert 0 <= row["quality"] <= 1
        ratios = (row["availability"], row["performance"], row["quality"])
        if None in ratios:  # without a count there is no quality, and OEE is 0
            assert row["oee"] == 0 and row["good"] == 0
        elif id(row) in machine_rows:  # a plant roll-up mixes cycle times: A x P x Q is not OEE
            assert row["oee"] == pytest.approx(math.prod(ratios), rel=1e-6, abs=1e-9)


# --- plant files -----------------------------------------------------------------------------

DEMO_DATA = yaml.safe_load(DEMO.read_text())
SCALAR = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.text(max_size=12),
    st.sampled_from([None, True, [], {}, "1e400", "-.inf", ".nan", "0x1F", "2026-13-40"]),
)


def _paths(value, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in [prefix + (k,), *_paths(v, prefix + (k,))]]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in [prefix + (i,), *_paths(v, prefix + (i,))]]
    return []


PLANT_PATHS = _paths(DEMO_DATA)


@st.composite
def mutated_plants(draw) -> str:
    data = copy.deepcopy(DEMO_DATA)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PLANT_PATHS))
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = draw(SCALAR)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a parent
    text = yaml.safe_dump(data, allow_unicode=True)
    if draw(st.booleans()):  # and sometimes raw damage to the text itself
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=20)) + text[cut:]
    return text


def _floats(value) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _floats(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _floats(v)


@PROPERTY
@given(mutated_plants())
def test_plant_files_load_finite_or_refuse_in_one_line(text: str) -> None:
    path = _write(text, ".yaml")
    try:
        plant = load_plant(str(path))
    except FabError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        event("refused")
        return
    event("loaded")
    assert all(math.isfinite(f) for f in _floats(plant.model_dump()))


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(mutated_plants())
def test_plant_files_through_the_cli(text: str) -> None:
    events = _write(
        "ts,machine_id,kind,reason_code,good,scrap\n"
        "2026-11-20T06:00:00+01:00,ETCH-01,state,RUN,,\n"
        "2026-11-20T08:00:00+01:00,ETCH-01,state,RUN,,\n",
        ".csv",
    )
    fab("oee", events, "--plant", _write(text, ".yaml"), "--json").assert_contract()


# --- plan jsp --------------------------------------------------------------------------------

TOKEN = st.one_of(
    st.integers(-3, 12).map(str),
    st.sampled_from(["99999999999", str(2**62), "1e21", "٣", "1_0", "x", "-0", "+2", "3.0"]),
)


@st.composite
def jsp_instances(draw) -> tuple[str, list[list[tuple[int, int]]] | None]:
    """A valid small instance (with its jobs, to check the answer) or a damaged one."""
    n_jobs, n_machines = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    jobs = [
        [
            (draw(st.integers(0, n_machines - 1)), draw(st.integers(0, 20)))
            for _ in range(draw(st.integers(1, 3)))
        ]
        for _ in range(n_jobs)
    ]
    lines = [f"{n_jobs} {n_machines}"] + [" ".join(f"{m} {d}" for m, d in job) for job in jobs]
    if draw(st.booleans()):
        return "\n".join(lines) + "\n", jobs
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        tokens = lines[i].split()
        tokens[draw(st.integers(0, len(tokens) - 1))] = draw(TOKEN)
        lines[i] = " ".join(tokens)
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=10)))
    return "\n".join(lines) + "\n", None


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(jsp_instances())
def test_plan_jsp_on_generated_instances(case) -> None:
    text, jobs = case
    result = fab("plan", "jsp", _write(text, ".txt"), "--time-limit", "5", "--json", deadline_s=30)
    result.assert_contract()
    event(f"exit {result.code}" + (" (valid)" if jobs else ""))
    if jobs is None or result.code != 0:
        return
    answer = _strict_json(result.out)
    longest_job = max(sum(d for _, d in job) for job in jobs)
    loads: dict[int, int] = {}
    for job in jobs:
        for m, d in job:
            loads[m] = loads.get(m, 0) + d
    assert answer["status"] == "OPTIMAL"
    assert answer["makespan"] >= max(longest_job, *loads.values())
    assert answer["makespan"] <= sum(loads.values())
