"""The nightly plan against the real landing zone (demo plant): load lots with their progress,
plan, check, store idempotently, re-plan with warm start and frozen slots; CLI bad input."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from assets.planning.checker import check_schedule
from assets.planning.loader import load_fab_data
from assets.planning.nightly import PlanRunOptions, run_plan
from ingestion.landing.migrate import ensure_partitions

T0 = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 02:00 Berlin, the nightly run


def _seed_lots(conn: psycopg.Connection, n: int = 16) -> None:
    ensure_partitions(conn, (T0 - timedelta(days=2)).date(), (T0 + timedelta(days=1)).date())
    lots, moves = [], []
    for i in range(n):
        product = "LOGIC-A" if i % 2 else "LOGIC-B"
        release = T0 - timedelta(hours=20 - i)
        lots.append(
            (
                f"LOT{i:03d}",
                product,
                25,
                1 + i % 5,
                i == 3,
                release,
                T0 + timedelta(hours=8 + 2 * i),
                "queued",
            )
        )
        done = i % 4  # steps 1..done are finished
        recipes = (
            ["LITHO-M1", "ETCH-POLY", "DEP-CVD"]
            if product == "LOGIC-A"
            else ["LITHO-M2", "ETCH-OX", "DEP-PVD"]
        )
        machines = ["LITHO-01", "ETCH-01", "DEP-01"]
        t = release
        for step in range(1, done + 1):
            moves.append(
                (t, f"LOT{i:03d}", step, machines[step - 1], recipes[step - 1], "track_in", 25)
            )
            moves.append(
                (
                    t + timedelta(minutes=30),
                    f"LOT{i:03d}",
                    step,
                    machines[step - 1],
                    recipes[step - 1],
                    "track_out",
                    24 if step == 2 else 25,
                )
            )
            t += timedelta(minutes=40)
    # LOT005 is on ETCH-02 right now, started 10 minutes before the plan
    moves.append((T0 - timedelta(minutes=10), "LOT005", 2, "ETCH-02", "ETCH-POLY", "track_in", 25))
    lots.append(("LOTDONE", "LOGIC-A", 25, 3, False, T0 - timedelta(days=1), T0, "completed"))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO landing.lot (lot_id, product_id, wafer_count, priority, "
            "hot_lot, release_ts, due_ts, status) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
            lots,
        )
        cur.executemany(
            "INSERT INTO landing.lot_move (ts, lot_id, step_no, machine_id, "
            "recipe_id, event, wafers) VALUES (%s,%s,%s,%s,%s,%s,%s)",
            moves,
        )


@pytest.fixture(scope="module")
def planned(module_landing_dsn: str):
    with psycopg.connect(module_landing_dsn, autocommit=True) as conn:
        _seed_lots(conn)
        outcome = run_plan(conn, T0, PlanRunOptions(time_limit_s=5))
    return module_landing_dsn, outcome


def test_loader_reads_progress(planned) -> None:
    dsn, _ = planned
    with psycopg.connect(dsn) as conn:
        data = load_fab_data(conn, T0)
    lots = {lot.lot_id: lot for lot in data.lots}
    assert "LOTDONE" not in lots
    assert lots["LOT003"].next_step == 4 and lots["LOT003"].hot_lot
    assert lots["LOT002"].wafer_count == 24  # scrap seen at step 2's track-out
    assert lots["LOT005"].in_progress == ("ETCH-02", T0 - timedelta(minutes=10))
    machines = {m.machine_id: m for m in data.machines}
    assert machines["ETCH-02"].current_family == "POLY"
    assert len(data.shifts) == 3 and data.timezone == "Europe/Berlin"


def test_demo_plan_is_feasible_valid_and_stored(planned) -> None:
    dsn, outcome = planned
    assert outcome.result.status in ("OPTIMAL", "FEASIBLE")
    assert outcome.violations == []
    assert check_schedule(outcome.problem, outcome.result.slots) == []
    in_progress = next(s for s in outcome.slot_rows if s["lot_id"] == "LOT005")
    assert (in_progress["step_no"], in_progress["machine_id"]) == (2, "ETCH-02")
    assert in_progress["start_ts"] == T0 and in_progress["frozen"]
    with psycopg.connect(dsn) as conn:
        run = conn.execute(
            "SELECT status, lots, operations, bottleneck FROM landing.plan_run WHERE plan_id = %s",
            (outcome.plan_id,),
        ).fetchone()
        n = conn.execute(
            "SELECT count(*) FROM landing.schedule_slot WHERE plan_id = %s", (outcome.plan_id,)
        ).fetchone()[0]
    assert run[0] == outcome.result.status and run[1] == 16
    assert n == run[2] == len(outcome.slot_rows)


def test_replan_is_idempotent_and_warm_started(planned) -> None:
    dsn, first = planned
    with psycopg.connect(dsn, autocommit=True) as conn:
        # the limit covers loading, greedy start and build too: 5 s leaves the solver room
        again = run_plan(conn, T0, PlanRunOptions(time_limit_s=5))  # same id: replaced
        assert conn.execute("SELECT count(*) FROM landing.plan_run").fetchone()[0] == 1
        later = run_plan(
            conn, T0 + timedelta(hours=1), PlanRunOptions(time_limit_s=5, frozen_hours=2)
        )
        assert conn.execute("SELECT count(*) FROM landing.plan_run").fetchone()[0] == 2
    assert again.slot_rows and again.violations == []
    assert later.warm_start_from == first.plan_id
    assert later.result.status in ("OPTIMAL", "FEASIBLE")
    assert later.violations == []
    before = {
        (r["lot_id"], r["step_no"]): (r["machine_id"], r["start_ts"]) for r in again.slot_rows
    }
    kept = [r for r in later.slot_rows if r["frozen"] and r["lot_id"] != "LOT005"]
    assert kept, "slots starting within the frozen 2 hours keep their place"
    for r in kept:
        assert before[(r["lot_id"], r["step_no"])] == (r["machine_id"], r["start_ts"])


@pytest.fixture
def fab(planned, capsys, monkeypatch):
    """The `fab` entry point in-process against this module's landing zone."""
    from fabcli.main import run

    monkeypatch.setenv("FAB_PG_DSN", planned[0])

    def call(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["fab", *args])
        with pytest.raises(SystemExit) as exc:
            run()
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), out, err

    return call


def test_cli_plan_run_and_dispatch(fab) -> None:
    code, out, err = fab(
        "plan",
        "run",
        "--at",
        "2026-11-21T03:00:00+00:00",
        "--time-limit",
        "1",
        "--json",
        "--dry-run",
    )
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] in ("OPTIMAL", "FEASIBLE") and summary["violations"] == 0
    code, out, err = fab("dispatch", "--rule", "edd", "--json")
    assert code == 0, err
    rows = json.loads(out.strip().splitlines()[-1])
    assert rows and all(r["rank"] >= 1 for r in rows)
    code, _, err = fab("dispatch", "--rule", "fifo")
    assert code == 2 and "unknown dispatch rule 'fifo'" in err


def test_bad_lot_is_named_by_cli_and_reported_by_the_plan(planned, fab) -> None:
    dsn, _ = planned
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO landing.product (product_id, name, die_area_mm2) VALUES ('ODD', 'odd', 10)"
        )
        conn.execute("INSERT INTO landing.machine_type VALUES ('IMPLANT', 'implanter', 60, 90, 2)")
        conn.execute(
            "INSERT INTO landing.recipe (recipe_id, machine_type, family, "
            "process_time_s) VALUES ('IMP-1', 'IMPLANT', 'IMP', 60)"
        )
        conn.execute("INSERT INTO landing.route_step VALUES ('ODD', 1, 'IMPLANT', 'IMP-1')")
        conn.execute(
            "INSERT INTO landing.lot (lot_id, product_id, wafer_count, priority, "
            "release_ts, due_ts) VALUES ('LOTODD', 'ODD', 25, 3, %s, %s)",
            (T0, T0 + timedelta(days=1)),
        )
    code, _, err = fab("plan", "run", "--at", T0.isoformat(), "--time-limit", "1", "--dry-run")
    assert code == 2
    assert err.strip() == (
        "fab: error: lot LOTODD: route step 1 needs a IMPLANT machine and none can run it"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        outcome = run_plan(conn, T0, PlanRunOptions(time_limit_s=1))
        stored = conn.execute(
            "SELECT offending_lots FROM landing.plan_run WHERE plan_id = %s", (outcome.plan_id,)
        ).fetchone()[0]
    assert stored == [
        {"lot_id": "LOTODD", "reason": "route step 1 needs a IMPLANT machine and none can run it"}
    ]
    assert outcome.violations == [] and len(outcome.problem.jobs) == 16
