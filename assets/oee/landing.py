"""Read OEE inputs straight from the landing zone (PostgreSQL); used by the conformance test,
the CLI and as the source when no warehouse is at hand. Queries live in ``sql/``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
import psycopg

from assets.oee.shifts import Shift
from fabstack.sqlfile import SqlFolder

SQL = SqlFolder(Path(__file__).parent / "sql")


def query_frame(
    conn: psycopg.Connection, name: str, params: dict | None = None, schema: dict | None = None
) -> pl.DataFrame:
    """Run the named .sql file with driver parameters; return a polars frame."""
    with conn.cursor() as cur:
        cur.execute(SQL.text(name), params or {})
        cols = [d.name for d in cur.description]
        rows = cur.fetchall()
    if schema is not None:
        return pl.DataFrame(rows, schema=schema, orient="row")
    return pl.DataFrame(rows, schema=cols, orient="row")


@dataclass
class OeeInputs:
    """Everything OEE needs for a time range."""

    events: pl.DataFrame
    counts: pl.DataFrame
    machines: pl.DataFrame
    reasons: pl.DataFrame
    shifts: list[Shift]
    timezone: str


def load_oee_inputs(conn: psycopg.Connection, start: datetime, end: datetime) -> OeeInputs:
    """State events (with the state in force at ``start``), counts, machines, reason mapping
    and the shift calendar (first site) from the landing zone."""
    ts = pl.Datetime("us", "UTC")
    params = {"start": start, "end": end}
    events = query_frame(
        conn,
        "landing_state_events",
        params,
        {"ts": ts, "machine_id": pl.Utf8, "state": pl.Utf8, "reason_code": pl.Utf8},
    )
    counts = query_frame(
        conn,
        "landing_production_counts",
        params,
        {"ts": ts, "machine_id": pl.Utf8, "good": pl.Int64, "scrap": pl.Int64},
    )
    machines = query_frame(
        conn,
        "landing_machines",
        None,
        {
            "machine_id": pl.Utf8,
            "ideal_cycle_time_s": pl.Float64,
            "area_id": pl.Utf8,
            "line": pl.Utf8,
            "site_id": pl.Utf8,
        },
    )
    reasons = query_frame(
        conn,
        "landing_state_reasons",
        None,
        {"reason_code": pl.Utf8, "state": pl.Utf8, "loss_category": pl.Utf8},
    )
    cal = query_frame(conn, "landing_shift_calendar")
    shifts = [
        Shift(r["shift_code"], r["start_local"], r["duration_min"])
        for r in cal.iter_rows(named=True)
    ]
    timezone = cal["timezone"][0] if cal.height else "UTC"
    return OeeInputs(events, counts, machines, reasons, shifts, timezone)
