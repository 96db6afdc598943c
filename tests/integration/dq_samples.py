"""A small, valid landing-zone day (and bad rows to inject) for the dbt and data-quality tests.

Written through ``ingestion.sink.LandingSink`` like every producer; lots and wafers are
reference rows, inserted directly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from assets.data_quality.landing_day import DayWindow
from ingestion.payloads import make_wafer_id
from ingestion.sink import LandingSink

# Route step -> the tool each sample lot uses (first tool of the step's machine type).
ROUTE_TOOLS = ("LITHO-01", "ETCH-01", "DEP-01", "CMP-01", "CLEAN-01", "INSP-01")
LOTS = (("LOTA001", "LOGIC-A", 3), ("LOTB001", "LOGIC-B", 2))
LAST_ROW_H = 20  # every valid row lies in the first 20 hours of the day


def write_valid_day(dsn: str, window: DayWindow) -> dict[str, int]:
    """Land one consistent day inside ``window``; returns rows landed per table."""
    t0 = window.start
    at = lambda minutes: t0 + timedelta(minutes=minutes)  # noqa: E731
    rows: dict[str, list[tuple]] = {
        t: []
        for t in (
            "sensor_reading",
            "machine_state",
            "production_count",
            "lot_move",
            "inspection",
            "defect",
        )
    }
    with psycopg.connect(dsn, autocommit=True) as conn:
        limits = conn.execute(
            "SELECT machine_id, metric, setpoint FROM landing.machine_metric_limit"
        ).fetchall()
        machines = [r[0] for r in conn.execute("SELECT machine_id FROM landing.machine")]
        recipes = dict(
            conn.execute(
                "SELECT product_id || ':' || step_no, recipe_id FROM landing.route_step"
            ).fetchall()
        )
        for lot_id, product, wafers in LOTS:
            conn.execute(
                "INSERT INTO landing.lot (lot_id, product_id, wafer_count, priority, release_ts,"
                " due_ts) VALUES (%s, %s, %s, 3, %s, %s) ON CONFLICT DO NOTHING",
                (lot_id, product, wafers, t0, t0 + timedelta(days=3)),
            )
            for slot in range(1, wafers + 1):
                conn.execute(
                    "INSERT INTO landing.wafer (wafer_id, lot_id, slot) VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (make_wafer_id(lot_id, slot), lot_id, slot),
                )

        # Readings every 15 minutes at the setpoint, up to LAST_ROW_H.
        for minute in range(0, LAST_ROW_H * 60, 15):
            rows["sensor_reading"] += [(at(minute), m, metric, sp, 0) for m, metric, sp in limits]
        # Each machine: run, starve for an hour, run, a 15-minute break, run.
        for seq, (minute, state, reason) in enumerate(
            [
                (60, "RUNNING", "RUN"),
                (300, "IDLE", "STARVED"),
                (360, "RUNNING", "RUN"),
                (480, "OFFLINE", "BREAK"),
                (495, "RUNNING", "RUN"),
            ]
        ):
            rows["machine_state"] += [(at(minute), m, state, reason, seq) for m in machines]
        # Each lot walks its route: track in, 30 minutes later track out with the count.
        for n, (lot_id, product, wafers) in enumerate(LOTS):
            for step, tool in enumerate(ROUTE_TOOLS, start=1):
                start = 90 + 60 * step + 7 * n
                recipe = recipes[f"{product}:{step}"]
                rows["lot_move"] += [
                    (at(start), lot_id, step, tool, recipe, "track_in", wafers),
                    (at(start + 30), lot_id, step, tool, recipe, "track_out", wafers),
                ]
                rows["production_count"].append((at(start + 30), tool, lot_id, step, wafers, 0, n))
            for slot in range(1, wafers + 1):
                wafer = make_wafer_id(lot_id, slot)
                inspection = f"I-{wafer}"
                ts = at(90 + 60 * 6 + 7 * n + 30)
                rows["inspection"].append((ts, inspection, "INSP-01", lot_id, wafer, 6, 1))
                rows["defect"].append(
                    (ts, inspection, 1, wafer, 10.0, -20.0, 0.5, "particle", None, None)
                )
        sink = LandingSink(conn)
        return {table: sink.write(table, batch) for table, batch in rows.items()}


def write_bad_rows(dsn: str, window: DayWindow, now: datetime) -> dict[str, tuple]:
    """Inject one bad row per rule into ``window``; returns the rows by what is wrong."""
    mid = window.start + timedelta(hours=10, minutes=7)  # between the valid rows
    bad = {
        # ETCH-01 temperature limits are 160..188 degC; 1880 is a broken sensor, not a process.
        "above_limit": ("sensor_reading", (mid, "ETCH-01", "temperature", 1880.0, 0)),
        "unknown_machine": ("sensor_reading", (mid, "GHOST-99", "temperature", 22.0, 0)),
        "future": ("machine_state", (now + timedelta(hours=1), "DEP-01", "DOWN", "WEAR_OUT", 99)),
        "negative_count": (
            "production_count",
            (mid, "CMP-01", "LOTA001", 4, -3, 0, 99),
        ),
    }
    with psycopg.connect(dsn, autocommit=True) as conn:
        # The landing DDL already rejects negative counts; a source without that constraint
        # (an older schema, a foreign loader) is what the suite guards against.
        conn.execute(
            "ALTER TABLE landing.production_count"
            " DROP CONSTRAINT IF EXISTS production_count_good_check"
        )
        sink = LandingSink(conn)
        for table, row in bad.values():
            assert sink.write(table, [row]) == 1, (table, row)
    return {what: row for what, (_, row) in bad.items()}
