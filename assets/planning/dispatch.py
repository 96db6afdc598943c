"""Dispatch rules between plans: rank the waiting lots for each machine, vectorised.

Input frames (polars):
- lots: lot_id, machine_type (of the next step), due_min (minutes from now), priority (1 = most
  urgent), hot_lot, process_min (next step at efficiency 1), remaining_min (all remaining steps);
- machines: machine_id, machine_type, efficiency, status.
Every waiting lot is ranked on every machine of its next step's type. Rules (smaller key first):
edd due date; spt processing time on that machine; cr critical ratio due / remaining work;
slack due - remaining work; toc hot lots first, then priority, then the Theory-of-Constraints
score efficiency x status x 1/(1 + 0.1 x queue depth) (higher first), queue depth = lots waiting
for the machine's type. Ties always fall back to the due date, then the lot id.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fabstack.errors import FabError

RULES = ("edd", "spt", "cr", "slack", "toc")
# how able a machine in a state is to take work now
STATUS_FACTOR = {
    "RUNNING": 1.0,
    "IDLE": 1.0,
    "SETUP": 0.8,
    "DOWN": 0.0,
    "MAINTENANCE": 0.0,
    "OFFLINE": 0.0,
}
RANKED_SCHEMA = {
    "machine_id": pl.Utf8,
    "rank": pl.Int64,
    "lot_id": pl.Utf8,
    "due_min": pl.Float64,
    "priority": pl.Int64,
    "hot_lot": pl.Boolean,
    "process_min": pl.Float64,
    "score": pl.Float64,
}
LOT_COLUMNS = (
    "lot_id",
    "machine_type",
    "due_min",
    "priority",
    "hot_lot",
    "process_min",
    "remaining_min",
)


def rank_waiting(lots: pl.DataFrame, machines: pl.DataFrame, rule: str = "toc") -> pl.DataFrame:
    """One row per (machine, waiting lot) with its rank on that machine (1 = next)."""
    if rule not in RULES:
        raise FabError(f"--rule: unknown dispatch rule {rule!r} (one of {', '.join(RULES)})")
    missing = [c for c in LOT_COLUMNS if c not in lots.columns]
    if missing:
        raise FabError(f"waiting lots: missing column(s) {', '.join(missing)}")
    if lots.is_empty() or machines.is_empty():
        return pl.DataFrame(schema=RANKED_SCHEMA)
    m_type = machines["machine_type"].to_numpy()
    l_type = lots["machine_type"].to_numpy()
    types, l_code = np.unique(l_type, return_inverse=True)
    code_of = {t: i for i, t in enumerate(types)}
    m_code = np.array([code_of.get(t, -1) for t in m_type], dtype=np.int64)
    # pairs (machine i, lot j) with the same type, built with a sort instead of a Python loop
    order = np.argsort(l_code, kind="stable")
    counts = np.bincount(l_code, minlength=len(types))
    starts = np.concatenate([[0], np.cumsum(counts)])
    per_machine = np.where(m_code >= 0, counts[np.maximum(m_code, 0)], 0)
    mi = np.repeat(np.arange(len(m_code)), per_machine)
    first = np.repeat(starts[np.maximum(m_code, 0)], per_machine)
    offset = np.arange(len(mi)) - np.repeat(np.cumsum(per_machine) - per_machine, per_machine)
    lj = order[first + offset]

    due = lots["due_min"].to_numpy().astype(float)[lj]
    prio = lots["priority"].to_numpy().astype(float)[lj]
    hot = lots["hot_lot"].to_numpy().astype(bool)[lj]
    proc = lots["process_min"].to_numpy().astype(float)[lj]
    remaining = np.maximum(lots["remaining_min"].to_numpy().astype(float)[lj], 1e-9)
    eff = np.maximum(machines["efficiency"].to_numpy().astype(float), 1e-9)[mi]
    status = machines["status"].to_list()
    status_factor = np.array([STATUS_FACTOR.get(s, 1.0) for s in status])[mi]
    queue_depth = counts[np.maximum(m_code, 0)][mi].astype(float)
    all_ids = lots["lot_id"].to_numpy()
    id_rank = np.empty(len(all_ids), dtype=np.int64)  # sort strings once, then compare ints
    id_rank[np.argsort(all_ids, kind="stable")] = np.arange(len(all_ids))
    lot_ids = all_ids[lj]
    score = eff * status_factor / (1.0 + 0.1 * queue_depth)
    if rule == "edd":
        keys = [due]
    elif rule == "spt":
        keys = [proc / eff]
    elif rule == "cr":
        keys = [due / remaining]
    elif rule == "slack":
        keys = [due - remaining]
    else:
        keys = [~hot, prio, -score]
    # np.lexsort sorts by the LAST key first: machine, then the rule's keys, then due, lot id
    sort = np.lexsort([id_rank[lj], due, *reversed(keys), mi])
    mi_sorted = mi[sort]
    group_start = np.r_[0, np.flatnonzero(np.diff(mi_sorted)) + 1]
    rank = np.arange(len(sort)) - np.repeat(group_start, np.diff(np.r_[group_start, len(sort)]))
    return (
        pl.DataFrame(
            {
                "machine_id": machines["machine_id"].to_numpy()[mi_sorted],
                "rank": rank + 1,
                "lot_id": lot_ids[sort],
                "due_min": due[sort],
                "priority": prio[sort].astype(np.int64),
                "hot_lot": hot[sort],
                "process_min": np.round(proc[sort] / eff[sort], 2),
                "score": np.round(score[sort], 4) if rule == "toc" else np.round(keys[-1][sort], 4),
            },
            schema=RANKED_SCHEMA,
        )
        if len(sort)
        else pl.DataFrame(schema=RANKED_SCHEMA)
    )


def waiting_frames(data) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Waiting lots (next step not on a tool) and machines from a FabData."""
    from assets.planning.fab import minutes_from, validate_lots

    bad = {o.lot_id for o in validate_lots(data)}
    rows = []
    for lot in data.lots:
        if lot.lot_id in bad or lot.in_progress or lot.release > data.plan_start:
            continue
        steps = [s for s in data.routes[lot.product_id] if s.step_no >= lot.next_step]
        if not steps:
            continue
        times = [lot.wafer_count * data.recipes[s.recipe_id].process_time_s / 60 for s in steps]
        rows.append(
            (
                lot.lot_id,
                steps[0].machine_type,
                float(minutes_from(data.plan_start, lot.due)),
                lot.priority,
                lot.hot_lot,
                times[0],
                sum(times),
            )
        )
    lots = pl.DataFrame(
        rows,
        schema=list(
            zip(
                LOT_COLUMNS,
                (pl.Utf8, pl.Utf8, pl.Float64, pl.Int64, pl.Boolean, pl.Float64, pl.Float64),
                strict=True,
            )
        ),
        orient="row",
    )
    machines = pl.DataFrame(
        {
            "machine_id": [m.machine_id for m in data.machines],
            "machine_type": [m.machine_type for m in data.machines],
            "efficiency": [m.efficiency for m in data.machines],
            "status": [m.status for m in data.machines],
        }
    )
    return lots, machines
