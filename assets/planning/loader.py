"""Build the planning input (FabData) from the landing zone."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from assets.planning.fab import (
    CalendarException,
    FabData,
    Lot,
    Machine,
    PreviousSlot,
    Recipe,
    RouteStep,
    Shift,
)
from assets.planning.sql import q
from fabstack.errors import FabError


def load_fab_data(
    conn: psycopg.Connection, plan_start: datetime, *, calendar_days: int = 30
) -> FabData:
    """Open lots with their progress, machines, recipes, routes, setups, shifts and exceptions."""
    if plan_start.tzinfo is None:
        raise FabError(f"plan start needs a UTC offset, got {plan_start.isoformat()}")
    until = plan_start + timedelta(days=calendar_days)
    with conn.cursor(row_factory=dict_row) as cur:
        site = cur.execute(q("site")).fetchone()
        if site is None:
            raise FabError("landing zone has no site: run `fab db seed`")
        machines = [
            Machine(
                r["machine_id"],
                r["machine_type"],
                r["area_id"],
                r["efficiency"],
                r["current_family"],
                r["status"],
            )
            for r in cur.execute(q("machines"), {"at": plan_start})
        ]
        recipes = {
            r["recipe_id"]: Recipe(
                r["recipe_id"], r["machine_type"], r["family"], r["process_time_s"]
            )
            for r in cur.execute(q("recipes"))
        }
        routes: dict[str, list[RouteStep]] = {}
        for r in cur.execute(q("route_steps")):
            routes.setdefault(r["product_id"], []).append(
                RouteStep(r["step_no"], r["machine_type"], r["recipe_id"])
            )
        setups = {
            (r["machine_type"], r["from_family"], r["to_family"]): r["minutes"]
            for r in cur.execute(q("setup_times"))
        }
        shifts = [
            Shift(
                r["shift_code"],
                r["start_local"],
                r["duration_min"],
                tuple(zip(r["break_offsets"], r["break_minutes"], strict=True)),
            )
            for r in cur.execute(q("shifts"), {"site": site["site_id"]})
        ]
        exceptions = [
            CalendarException(r["start_ts"], r["end_ts"], r["kind"], r["machine_id"])
            for r in cur.execute(
                q("calendar_exceptions"),
                {"site": site["site_id"], "from": plan_start, "until": until},
            )
        ]
        progress: dict[str, dict[int, dict]] = {}
        for r in cur.execute(q("lot_step_events")):
            if r["ts"] <= plan_start:
                progress.setdefault(r["lot_id"], {})[r["step_no"]] = r
        lots = []
        for r in cur.execute(q("open_lots"), {"until": until}):
            steps = progress.get(r["lot_id"], {})
            done = max((s for s, e in steps.items() if e["event"] == "track_out"), default=0)
            wafers = r["wafer_count"]
            if done:
                wafers = steps[done]["wafers"] or wafers
            current = steps.get(done + 1)
            in_progress = (
                (current["machine_id"], current["ts"])
                if current and current["event"] == "track_in"
                else None
            )
            if done >= len(routes.get(r["product_id"], [])) and routes.get(r["product_id"]):
                continue  # all steps done: nothing left to plan
            lots.append(
                Lot(
                    r["lot_id"],
                    r["product_id"],
                    max(int(wafers), 1),
                    r["priority"],
                    r["hot_lot"],
                    r["release_ts"],
                    r["due_ts"],
                    done + 1,
                    in_progress,
                )
            )
    return FabData(
        plan_start=plan_start,
        timezone=site["timezone"],
        lots=lots,
        machines=machines,
        recipes=recipes,
        routes=routes,
        setup_minutes=setups,
        shifts=shifts,
        exceptions=exceptions,
        calendar_days=calendar_days,
    )


def load_previous_plan(
    conn: psycopg.Connection, plan_start: datetime, plan_id: str
) -> tuple[str | None, list[PreviousSlot]]:
    """The latest successful plan before this one, for the warm start and the frozen horizon."""
    with conn.cursor() as cur:
        row = cur.execute(q("previous_plan"), {"at": plan_start, "plan_id": plan_id}).fetchone()
        if row is None:
            return None, []
        slots = [PreviousSlot(*r) for r in cur.execute(q("plan_slots"), {"plan_id": row[0]})]
    return row[0], slots
