"""Alerts from the facts: new Western Electric (rules 1-4) violations and shifts whose OEE fell
below the plant target, written once each to ``landing.alert``. Plain code (no Dagster)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import psycopg
from psycopg.types.json import Jsonb

from assets.oee.targets import target
from fabstack.sqlfile import SqlFolder
from warehouse.client import Warehouse

SQL = SqlFolder(Path(__file__).parent / "sql")
ALERT_SOURCES = ("measurement",)  # sensor drift and defect-map charts are too chatty


def candidate_alerts(
    wh: Warehouse,
    since: date,
    sources: tuple[str, ...] = ALERT_SOURCES,
    oee_target_name: str = "plant",
) -> list[dict]:
    """Alert rows for violations and low-OEE shifts on or after ``since`` (a fact day)."""
    alerts: list[dict] = []
    try:
        viol = wh.query(
            SQL.statement("wh_alert_violations"),
            {"first_day": since, "sources": list(sources)},
        )
    except Exception:  # the SPC facts do not exist yet
        viol = pl.DataFrame()
    for v in viol.iter_rows(named=True):
        series = f"{v['machine_id']}/{v['item']}" + (f"/{v['recipe_id']}" if v["recipe_id"] else "")
        alerts.append(
            {
                "kind": "spc",
                "severity": 4 if v["rule"] == 1 else 3,
                "machine_id": v["machine_id"],
                "subject": f"SPC rule {v['rule']} on {series} {v['chart']}: {v['rule_text']}",
                "event_ts": v["ts"],
                "detail": {k: (str(val) if k == "ts" else val) for k, val in v.items()},
                "dedupe_key": f"spc|{v['source']}|{series}|{v['chart']}|{v['ts']}|{v['rule']}",
            }
        )
    goal = target(oee_target_name)["oee"] / 100.0
    try:
        low = wh.query(SQL.statement("wh_alert_oee"), {"first_day": since, "target": goal})
    except Exception:
        low = pl.DataFrame()
    for s in low.iter_rows(named=True):
        alerts.append(
            {
                "kind": "oee",
                "severity": 2,
                "machine_id": s["machine_id"],
                "subject": f"OEE {100 * s['oee']:.1f} % below the {oee_target_name} target "
                f"{100 * goal:.0f} % on {s['machine_id']} shift {s['shift_code']} "
                f"of {s['shift_date']}",
                "event_ts": s["window_end"],
                "detail": {
                    k: (str(val) if not isinstance(val, (int, float)) else val)
                    for k, val in s.items()
                },
                "dedupe_key": f"oee|{s['machine_id']}|{s['shift_date']}|{s['shift_code']}",
            }
        )
    return alerts


def record_alerts(conn: psycopg.Connection, alerts: list[dict]) -> list[dict]:
    """Insert alerts; returns only those that are new (the rest were raised before)."""
    new = []
    sql = SQL.text("landing_insert_alert")
    with conn.cursor() as cur:
        for a in alerts:
            cur.execute(
                sql, {**a, "detail": Jsonb(json.loads(json.dumps(a["detail"], default=str)))}
            )
            row = cur.fetchone()
            if row:
                new.append({**a, "id": row[0]})
    return new


def tag_run(conn: psycopg.Connection, alert_ids: list[int], run_id: str) -> None:
    """Remember which run announced the alerts."""
    conn.execute(SQL.text("landing_tag_alert_run"), {"run_id": run_id, "ids": alert_ids})


def alerts_by_id(conn: psycopg.Connection, alert_ids: list[int]) -> list[tuple]:
    return conn.execute(SQL.text("landing_alerts_by_id"), {"ids": alert_ids}).fetchall()
