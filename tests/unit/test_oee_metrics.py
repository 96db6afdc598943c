"""OEE math on small hand-made intervals: identities, roll-ups, losses, Pareto, MTBF/MTTR."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import polars as pl
import pytest

from assets.oee.downtime import downtime_pareto, mtbf_mttr, pareto
from assets.oee.intervals import intervals_from_events, with_loss_category
from assets.oee.metrics import SIX_BIG_LOSSES, oee_by_window, rollup, six_big_losses
from assets.oee.shifts import Shift, hour_windows, shift_windows
from assets.oee.targets import target, targets_frame

T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 06:00 Europe/Berlin (summer time)
REASONS = pl.DataFrame(
    {
        "reason_code": ["RUN", "SMALL_STOP", "STARVED", "SETUP", "WEAR_OUT", "BREAK", "NO_SHIFT"],
        "loss_category": [
            "run",
            "small_stop",
            "idle",
            "setup_adjustment",
            "breakdown",
            "planned_stop",
            "not_scheduled",
        ],
    }
)
MACHINES = pl.DataFrame(
    {
        "machine_id": ["M1", "M2"],
        "ideal_cycle_time_s": [60.0, 30.0],
        "area_id": ["A", "A"],
    }
)


def _events(machine: str, plan: list[tuple[int, str]]) -> list[dict]:
    return [
        {"ts": T0 + timedelta(minutes=m), "machine_id": machine, "state": "X", "reason_code": r}
        for m, r in plan
    ]


def _oee(
    plans: dict[str, list[tuple[int, str]]],
    counts: list[tuple[int, str, int, int]],
    windows: pl.DataFrame | None = None,
    until_min: int = 480,
) -> pl.DataFrame:
    events = pl.DataFrame([e for m, p in plans.items() for e in _events(m, p)])
    intervals = with_loss_category(
        intervals_from_events(events, T0 + timedelta(minutes=until_min)), REASONS
    )
    c = pl.DataFrame(
        [
            {"ts": T0 + timedelta(minutes=m), "machine_id": mid, "good": g, "scrap": s}
            for m, mid, g, s in counts
        ]
    )
    shifts = [Shift("A", time(6), 480)]
    if windows is None:
        windows = shift_windows(shifts, "Europe/Berlin", date(2026, 6, 1), date(2026, 6, 1))
    return oee_by_window(intervals, c, MACHINES, windows), intervals


PLAN_M1 = [
    (0, "SETUP"),
    (20, "RUN"),
    (100, "SMALL_STOP"),
    (104, "RUN"),
    (120, "BREAK"),
    (135, "RUN"),
    (200, "WEAR_OUT"),
    (260, "RUN"),
    (300, "STARVED"),
    (330, "RUN"),
]
COUNTS = [(25, "M1", 3, 2), (90, "M1", 60, 1), (250, "M1", 0, 0), (400, "M1", 100, 1)]


def test_times_ratios_and_six_big_losses_reconcile() -> None:
    oee, _ = _oee({"M1": PLAN_M1}, COUNTS)
    r = oee.filter(pl.col("machine_id") == "M1").row(0, named=True)
    assert r["window_min"] == 480
    assert r["planned_stop_min"] == 15
    assert r["planned_production_min"] == 465
    assert r["breakdown_min"] == 60 and r["setup_adjustment_min"] == 20 and r["idle_min"] == 30
    assert r["run_min"] == 465 - 110
    assert r["small_stop_min"] == 4
    assert (r["good"], r["scrap"], r["total"]) == (163, 4, 167)
    assert r["startup_scrap"] == 2  # the track-out 5 min after setup ended
    assert r["availability"] == pytest.approx(355 / 465)
    assert r["performance"] == pytest.approx(167 / 355)
    assert r["quality"] == pytest.approx(163 / 167)
    assert r["oee"] == pytest.approx(r["availability"] * r["performance"] * r["quality"])
    losses = sum(r[c] for c in SIX_BIG_LOSSES.values()) + r["idle_min"]
    assert r["fully_productive_min"] + losses == pytest.approx(r["planned_production_min"])


def test_machine_without_data_has_no_planned_time() -> None:
    oee, _ = _oee({"M1": PLAN_M1}, COUNTS)
    r = oee.filter(pl.col("machine_id") == "M2").row(0, named=True)
    assert r["no_data_min"] == 480 and r["planned_production_min"] == 0 and r["oee"] is None


def test_rollup_sums_times_not_ratios() -> None:
    plan_m2 = [(0, "RUN"), (240, "WEAR_OUT"), (480, "RUN")]
    oee, _ = _oee({"M1": PLAN_M1, "M2": plan_m2}, [*COUNTS, (200, "M2", 400, 0)])
    area = rollup(oee, ["area_id", "window_start"]).row(0, named=True)
    m1, m2 = (oee.filter(pl.col("machine_id") == m).row(0, named=True) for m in ("M1", "M2"))
    assert area["planned_production_min"] == m1["planned_production_min"] + 480
    expected = (m1["fully_productive_min"] + 400 * 0.5) / (m1["planned_production_min"] + 480)
    assert area["oee"] == pytest.approx(expected)
    assert area["oee"] != pytest.approx((m1["oee"] + m2["oee"]) / 2)


def test_hour_windows_partition_the_shift() -> None:
    hours = hour_windows(T0, T0 + timedelta(hours=8))
    oee_h, _ = _oee({"M1": PLAN_M1}, COUNTS, windows=hours)
    oee_s, _ = _oee({"M1": PLAN_M1}, COUNTS)
    m1h = oee_h.filter(pl.col("machine_id") == "M1")
    m1s = oee_s.filter(pl.col("machine_id") == "M1").row(0, named=True)
    assert m1h.height == 8
    for col in ("planned_production_min", "run_min", "good", "scrap", "breakdown_min"):
        assert m1h[col].sum() == pytest.approx(m1s[col])


def test_six_big_losses_long_format() -> None:
    oee, _ = _oee({"M1": PLAN_M1}, COUNTS)
    long = six_big_losses(oee.filter(pl.col("machine_id") == "M1"), ["machine_id"])
    assert set(long["loss"]) == {*SIX_BIG_LOSSES, "idle"}
    assert long.filter(pl.col("loss") == "breakdowns")["minutes"][0] == 60


def test_unknown_reason_code_is_an_error() -> None:
    events = pl.DataFrame(_events("M1", [(0, "MYSTERY")]))
    with pytest.raises(ValueError, match="MYSTERY"):
        with_loss_category(intervals_from_events(events, T0 + timedelta(hours=1)), REASONS)


def test_downtime_pareto_and_mtbf_mttr() -> None:
    plan = [
        (0, "RUN"),
        (10, "WEAR_OUT"),
        (40, "WEAR_OUT"),
        (50, "RUN"),
        (200, "WEAR_OUT"),
        (230, "RUN"),
        (300, "SETUP"),
        (305, "RUN"),
    ]
    oee, intervals = _oee({"M1": plan}, [])
    windows = shift_windows(
        [Shift("A", time(6), 480)], "Europe/Berlin", date(2026, 6, 1), date(2026, 6, 1)
    )
    par = downtime_pareto(intervals, windows)
    assert par["reason_code"].to_list() == ["WEAR_OUT", "SETUP"]
    assert par["minutes"].to_list() == [70, 5]
    assert par["cum_pct"][-1] == pytest.approx(100.0)
    rel = mtbf_mttr(intervals, windows).row(0, named=True)
    assert rel["failures"] == 2  # back-to-back WEAR_OUT intervals are one failure
    assert rel["mttr_h"] == pytest.approx(70 / 60 / 2)
    assert rel["mtbf_h"] == pytest.approx((480 - 75) / 60 / 2)


def test_pareto_ranks_and_cumulates() -> None:
    df = pl.DataFrame({"k": ["a", "b", "c"], "v": [1.0, 6.0, 3.0]})
    out = pareto(df, [], "v", "k")
    assert out["k"].to_list() == ["b", "c", "a"]
    assert out["cum_pct"].to_list() == pytest.approx([60.0, 90.0, 100.0])


def test_targets_are_data() -> None:
    assert target("world_class") == {
        "oee": 85.0,
        "availability": 90.0,
        "performance": 95.0,
        "quality": 99.0,
    }
    assert target("plant")["oee"] == 75.0
    assert targets_frame().height == 2
