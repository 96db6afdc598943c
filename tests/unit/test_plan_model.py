"""The flexible fab model: constraints honoured (checked), calendars, setups, frozen slots, warm
start, infeasibility diagnosis and bad lots - all on plain data, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from assets.planning.checker import check_schedule
from assets.planning.fab import (
    CalendarException,
    PreviousSlot,
    Shift,
    build_problem,
    check_lots,
    off_shift_windows,
)
from assets.planning.kpis import plan_kpis
from assets.planning.model import SolveOptions, solve
from assets.planning.nightly import PlanRunOptions, plan_fab
from assets.planning.problem import Job, Operation, Problem, Slot
from assets.planning.synthetic import fab_data_from_plant, synthetic_lots
from fabstack.errors import FabError
from ingestion.plant import load_plant

T0 = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 06:00 in Berlin: shift A starts


@pytest.fixture(scope="module")
def demo():
    return load_plant("demo")


@pytest.fixture(scope="module")
def demo_data(demo):
    return fab_data_from_plant(demo, synthetic_lots(demo, 24, T0, seed=3), T0, calendar_days=7)


@pytest.fixture(scope="module")
def first_plan(demo_data):
    return plan_fab(demo_data, PlanRunOptions(time_limit_s=3))


def _two_machine_problem(**kw) -> Problem:
    # two lots, two machines of one type (different speeds), families A and B with setups
    jobs = [
        Job(
            "L1",
            (
                Operation("L1", 1, (("M1", 10), ("M2", 12)), "A"),
                Operation("L1", 2, (("M1", 5), ("M2", 6)), "B"),
            ),
            due=40,
            weight=5,
        ),
        Job("L2", (Operation("L2", 1, (("M1", 8), ("M2", 9)), "B"),), release=3, due=30),
    ]
    base = dict(
        jobs=jobs,
        machines=["M1", "M2"],
        downtime={"M1": [(20, 30)]},
        setup={(m, a, b): 4 for m in ("M1", "M2") for a, b in (("A", "B"), ("B", "A"))},
    )
    base.update(kw)
    return Problem(**base)


def test_small_flexible_problem_is_optimal_and_valid() -> None:
    problem = _two_machine_problem()
    result = solve(problem, SolveOptions(time_limit_s=5))
    assert result.status == "OPTIMAL"
    assert check_schedule(problem, result.slots) == []
    assert result.weighted_tardiness == 0
    for s in result.slots:  # never inside M1's unavailable window
        assert s.machine != "M1" or s.end <= 20 or s.start >= 30


def test_checker_finds_each_kind_of_violation() -> None:
    problem = _two_machine_problem()
    good = [
        Slot("L1", 1, "M1", 0, 10, 0, "A"),
        Slot("L1", 2, "M1", 14, 19, 4, "B"),
        Slot("L2", 1, "M2", 3, 12, 0, "B"),
    ]
    assert check_schedule(problem, good) == []
    cases = {
        "overlaps": [good[0], replace(good[1], start=8, end=13), good[2]],
        "unavailable window": [good[0], replace(good[1], start=18, end=23), good[2]],
        "no room for the 4 setup": [good[0], replace(good[1], start=11, end=16), good[2]],
        "not eligible": [good[0], good[1], replace(good[2], machine="M3")],
        "before step 1 ends": [
            good[0],
            replace(good[1], machine="M2", start=8, end=14),
            replace(good[2], machine="M1", start=30, end=38),
        ],
        "before release": [good[0], good[1], replace(good[2], start=1, end=10)],
        "not scheduled": good[:2],
        "lasts": [good[0], good[1], replace(good[2], end=20)],
    }
    for needle, slots in cases.items():
        found = check_schedule(problem, slots)
        assert any(needle in f for f in found), (needle, found)


def test_shift_breaks_become_unavailable_windows() -> None:
    shifts = [
        Shift("A", time(6), 480, ((120, 15), (240, 30), (360, 15))),
        Shift("B", time(14), 480, ((120, 15), (240, 30), (360, 15))),
        Shift("C", time(22), 480, ((120, 15), (240, 30), (360, 15))),
    ]
    data = type("D", (), {})()
    data.plan_start, data.timezone, data.shifts, data.calendar_days = T0, "Europe/Berlin", shifts, 1
    windows = off_shift_windows(data)
    assert windows[:3] == [(120, 135), (240, 270), (360, 375)]
    two_shifts = shifts[:2]  # no night shift: 22:00-06:00 Berlin is off
    data.shifts = two_shifts
    assert (960, 1440) in off_shift_windows(data)


def test_demo_plan_is_feasible_and_passes_the_checker(first_plan) -> None:
    summary = first_plan.summary()
    assert summary["status"] in ("OPTIMAL", "FEASIBLE")
    assert first_plan.violations == []
    k = first_plan.kpis
    assert k["on_time_lots"] + k["late_lots"] == len(first_plan.problem.jobs) == 24
    assert k["bottleneck"] in first_plan.problem.machines
    assert all(0 <= u <= 1 for u in k["utilisation"].values())
    assert first_plan.result.gap is not None and 0 <= first_plan.result.gap <= 1


def test_setups_and_breaks_respected_on_demo(first_plan, demo_data) -> None:
    problem = first_plan.problem
    windows = problem.downtime["LITHO-01"]
    assert (120, 135) in windows  # shift A's first break, 08:00 Berlin
    by_machine: dict[str, list] = {}
    for s in first_plan.result.slots:
        by_machine.setdefault(s.machine, []).append(s)
    for machine, slots in by_machine.items():
        slots.sort(key=lambda s: s.start)
        for a, b in zip(slots, slots[1:], strict=False):
            assert b.start >= a.end + problem.setup_time(machine, a.family, b.family)


def test_warm_start_replan_is_stable(demo_data, first_plan) -> None:
    previous = [
        PreviousSlot(r["lot_id"], r["step_no"], r["machine_id"], r["start_ts"])
        for r in first_plan.slot_rows
    ]
    again = plan_fab(demo_data, PlanRunOptions(time_limit_s=3), previous)
    assert again.violations == []
    assert again.result.objective <= first_plan.result.objective
    before = {
        (r["lot_id"], r["step_no"]): (r["machine_id"], r["start_ts"]) for r in first_plan.slot_rows
    }
    same = sum(
        before[(r["lot_id"], r["step_no"])] == (r["machine_id"], r["start_ts"])
        for r in again.slot_rows
    )
    assert same >= 0.9 * len(before)


def test_frozen_horizon_keeps_slots_when_a_hot_lot_arrives(demo, demo_data, first_plan) -> None:
    previous = [
        PreviousSlot(r["lot_id"], r["step_no"], r["machine_id"], r["start_ts"])
        for r in first_plan.slot_rows
    ]
    hot = replace(
        demo_data.lots[0],
        lot_id="HOT1",
        hot_lot=True,
        priority=1,
        next_step=1,
        release=T0,
        due=T0 + timedelta(hours=6),
    )
    data = replace(demo_data, lots=[*demo_data.lots, hot])
    plan = plan_fab(data, PlanRunOptions(time_limit_s=3, frozen_hours=4), previous)
    assert plan.violations == []
    frozen = {
        (r["lot_id"], r["step_no"]): (r["machine_id"], r["start_ts"])
        for r in first_plan.slot_rows
        if r["start_ts"] < T0 + timedelta(hours=4)
    }
    after = {
        (r["lot_id"], r["step_no"]): (r["machine_id"], r["start_ts"], r["frozen"])
        for r in plan.slot_rows
    }
    assert frozen
    for key, (machine, start) in frozen.items():
        assert after[key] == (machine, start, True)


def test_infeasible_frozen_slots_are_blamed() -> None:
    jobs = [
        Job("L1", (Operation("L1", 1, (("M1", 10),), fixed=("M1", 0)),)),
        Job("L2", (Operation("L2", 1, (("M1", 10),), fixed=("M1", 5)),)),
    ]
    result = solve(Problem(jobs=jobs, machines=["M1"]), SolveOptions(time_limit_s=5))
    assert result.status == "INFEASIBLE"
    assert result.infeasible_groups == ["frozen"]


def test_impossible_hard_due_date_is_blamed() -> None:
    problem = _two_machine_problem(
        jobs=[Job("L1", (Operation("L1", 1, (("M1", 10),), "A"),), release=5, due=12)]
    )
    result = solve(problem, SolveOptions(time_limit_s=5, hard_due_dates=True))
    assert result.status == "INFEASIBLE"
    assert "due_dates" in result.infeasible_groups
    assert "release" in result.infeasible_groups  # without the release it would fit


def test_maintenance_window_moves_work_to_the_other_machine(demo, demo_data) -> None:
    # CMP-01 is the only CMP tool: in maintenance for the first 12 h, nothing runs there
    exc = CalendarException(T0, T0 + timedelta(hours=12), "maintenance", "CMP-01")
    data = replace(demo_data, exceptions=[exc])
    plan = plan_fab(data, PlanRunOptions(time_limit_s=2))
    assert plan.violations == []
    cmp_slots = [s for s in plan.result.slots if s.machine == "CMP-01"]
    assert cmp_slots and min(s.start for s in cmp_slots) >= 12 * 60


def test_bad_lots_are_named_or_reported(demo, demo_data) -> None:
    late = replace(
        demo_data.lots[0],
        lot_id="BAD-DUE",
        due=T0 - timedelta(days=3),
        release=T0 - timedelta(days=1),
    )
    orphan = replace(demo_data.lots[1], lot_id="BAD-TYPE")
    machines = demo_data.machines
    routes = dict(demo_data.routes)
    routes["ODD"] = [
        *routes[orphan.product_id][:1],
        replace(routes[orphan.product_id][1], machine_type="IMPLANT"),
    ]
    orphan = replace(orphan, product_id="ODD", next_step=1)
    data = replace(
        demo_data, lots=[late, orphan, *demo_data.lots[2:]], machines=machines, routes=routes
    )
    with pytest.raises(FabError, match=r"lot BAD-DUE: due .* is before release"):
        check_lots(data)
    problem, offenses, _ = build_problem(data)
    assert [(o.lot_id, o.reason) for o in offenses] == [
        ("BAD-DUE", "due 2026-11-18T05:00:00+00:00 is before release 2026-11-20T05:00:00+00:00"),
        ("BAD-TYPE", "route step 2 needs a IMPLANT machine and none can run it"),
    ]
    assert {"BAD-DUE", "BAD-TYPE"}.isdisjoint(j.job_id for j in problem.jobs)
    plan = plan_fab(data, PlanRunOptions(time_limit_s=2))
    assert plan.summary()["offending_lots"][0]["lot_id"] == "BAD-DUE"
    assert plan.violations == []


def test_kpis_on_a_known_schedule() -> None:
    problem = _two_machine_problem()
    slots = [
        Slot("L1", 1, "M1", 0, 10, 0, "A"),
        Slot("L1", 2, "M1", 14, 19, 4, "B"),
        Slot("L2", 1, "M2", 30, 39, 0, "B"),
    ]
    k = plan_kpis(problem, slots)
    assert k["makespan"] == 39
    assert (k["on_time_lots"], k["late_lots"], k["weighted_tardiness"]) == (1, 1, 9)
    assert k["utilisation"]["M1"] == round(19 / 29, 4)  # 15 busy + 4 setup over 39 - 10 off
    assert k["bottleneck"] == "M1"
