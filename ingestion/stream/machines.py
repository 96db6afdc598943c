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
