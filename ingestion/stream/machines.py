"""The machines the ingestors accept, read from ``landing.machine``."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True, slots=True)
class MachineInfo:
    machine_id: str
    site_id: str
    area_id: str
    machine_type: str


def load_machines(conn: psycopg.Connection) -> dict[str, MachineInfo]:
    rows = conn.execute(
        "SELECT machine_id, site_id, area_id, machine_type FROM landing.machine"
    ).fetchall()
    return {r[0]: MachineInfo(*r) for r in rows}


def last_lots(conn: psycopg.Connection) -> dict[str, str]:
    """Each machine's most recent lot in ``landing.lot_move`` (seed for the lot tracker)."""
    rows = conn.execute(
        "SELECT DISTINCT ON (machine_id) machine_id, lot_id FROM landing.lot_move "
        "WHERE ts > now() - interval '2 days' ORDER BY machine_id, ts DESC"
    ).fetchall()
    return {r[0]: r[1] for r in rows}


# A reading beyond the plant's limits is real (an excursion interlocks and quality checks must
# see); one beyond this many limit-scales past them is a broken sensor or a forged message.
PLAUSIBLE_SCALES = 10.0


def plausible_band(
    setpoint: float, min_value: float | None, max_value: float | None
) -> tuple[float, float]:
    """(low, high) a reading of a metric with these plant limits may take."""
    scale = max(abs(setpoint), abs(min_value or 0.0), abs(max_value or 0.0), 1.0)
    low = setpoint if min_value is None else min_value
    high = setpoint if max_value is None else max_value
    return low - PLAUSIBLE_SCALES * scale, high + PLAUSIBLE_SCALES * scale


def load_metric_bounds(conn: psycopg.Connection) -> dict[str, dict[str, tuple[float, float]]]:
    """machine_id -> metric -> plausible (low, high), from ``landing.machine_metric_limit``."""
    rows = conn.execute(
        "SELECT machine_id, metric, setpoint, min_value, max_value "
        "FROM landing.machine_metric_limit"
    ).fetchall()
    bounds: dict[str, dict[str, tuple[float, float]]] = {}
    for machine, metric, setpoint, low, high in rows:
        bounds.setdefault(machine, {})[metric] = plausible_band(setpoint, low, high)
    return bounds
