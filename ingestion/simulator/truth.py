"""Ground truth of a run: derived from the model and written to the ``truth`` schema."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from ingestion.simulator import calendar as cal
from ingestion.simulator.model import FabModel
from ingestion.simulator.queries import q

TRUTH_TABLES: dict[str, tuple[str, ...]] = {
    "state_interval": ("machine_id", "start_ts", "end_ts", "state", "reason_code"),
    "shift_window": ("shift_date", "shift_code", "start_ts", "end_ts", "complete"),
    "shift_count": ("machine_id", "shift_date", "shift_code", "good", "scrap", "lot_steps"),
    "failure": ("machine_id", "reason_code", "onset_ts", "failure_ts", "repair_end_ts", "wear_out"),
    "spc_shift": ("machine_id", "parameter", "kind", "start_ts", "end_ts", "magnitude_sigma"),
    "wafer_map": ("inspection_id", "wafer_id", "machine_id", "ts", "signature", "defect_count"),
    "interlock_trigger": ("machine_id", "ts", "metric", "threshold", "rule_id"),
    "chaos_fault": ("machine_id", "fault", "start_ts", "end_ts"),
    "sort_map": ("wafer_id", "ts", "signature", "failed_dies"),
}


def dt(t: float) -> datetime:
    return datetime.fromtimestamp(round(t, 6), UTC)


def run_id_for(plant: str, seed: int, origin: float) -> str:
    return f"{plant}-s{seed}-{dt(origin):%Y%m%dT%H%M}"


def truth_rows(model: FabModel, end: float) -> dict[str, list[tuple]]:
    """Every truth table's rows for [origin, end), times as datetimes."""
    origin = model.origin
    rows: dict[str, list[tuple]] = defaultdict(list)
    for m in model.machines.values():
        times = m.state_times + [end]
        for i, (state, reason) in enumerate(m.state_codes):
            a, b = max(times[i], origin), min(times[i + 1], end)
            if b > a:
                rows["state_interval"].append((m.id, dt(a), dt(b), state, reason))
    windows = [w for w in model.windows if w.end > origin and w.start < end]
    for w in windows:
        complete = w.start >= origin and w.end <= end
        rows["shift_window"].append(
            (w.shift_date, w.code, dt(max(w.start, origin)), dt(min(w.end, end)), complete)
        )
    counts: dict[tuple, list[int]] = {
        (m, w.shift_date, w.code): [0, 0, 0] for m in model.machines for w in windows
    }
    for machine, ts, _lot, _step, good, scrap in model.truth["count"]:
        w = cal.shift_of(windows, ts)
        if w is None or ts >= end:
            continue
        c = counts[(machine, w.shift_date, w.code)]
        c[0] += good
        c[1] += scrap
        c[2] += 1
    rows["shift_count"] = [(m, d, code, *c) for (m, d, code), c in counts.items()]
    for machine, reason, onset, failed, repaired, wear in model.truth["failure"]:
        if failed < end:
            rows["failure"].append((machine, reason, dt(onset), dt(failed), dt(repaired), wear))
    for machine, param, kind, start, stop, size in model.truth["spc_shift"]:
        if start < end:
            rows["spc_shift"].append((machine, param, kind, dt(start), dt(stop), size))
    for inspection, wafer, machine, ts, signature, n in model.truth["wafer_map"]:
        if ts < end:
            rows["wafer_map"].append((inspection, wafer, machine, dt(ts), signature, n))
    for machine, ts, metric, _value, threshold, rule in model.truth["interlock_trigger"]:
        if origin <= ts < end:
            rows["interlock_trigger"].append((machine, dt(ts), metric, threshold, rule))
    for wafer, ts, signature, failed in model.truth["sort_map"]:
        if ts < end:
            rows["sort_map"].append((wafer, dt(ts), signature, failed))
    for machine, fault, start, stop in model.truth["chaos_fault"]:
        rows["chaos_fault"].append((machine, fault, dt(start), dt(stop)))
    return rows


def write_truth(
    conn: psycopg.Connection,
    model: FabModel,
    *,
    run_id: str,
    start: float,
    end: float,
    mode: str,
    rate_hz: float,
    summary: dict,
) -> dict[str, int]:
    """Replace the run's truth with the model's (one transaction); returns rows per table."""
    rows = truth_rows(model, end)
    with conn.transaction():
        conn.execute(
            q("upsert_run"),
            {
                "run_id": run_id,
                "plant": model.plant.plant,
                "seed": model.seed,
                "origin": dt(model.origin),
                "start": dt(start),
                "end": dt(end),
                "mode": mode,
                "rate": rate_hz,
                "summary": json.dumps(summary),
            },
        )
        counts = {}
        for table, columns in TRUTH_TABLES.items():
            conn.execute(
                sql.SQL("DELETE FROM truth.{} WHERE run_id = %s").format(sql.Identifier(table)),
                (run_id,),
            )
            cols = sql.SQL(", ").join(map(sql.Identifier, ("run_id", *columns)))
            with conn.cursor().copy(
                sql.SQL("COPY truth.{} ({}) FROM STDIN").format(sql.Identifier(table), cols)
            ) as copy:
                for row in rows.get(table, []):
                    copy.write_row((run_id, *row))
            counts[table] = len(rows.get(table, []))
    return counts
