"""Map one validated payload to landing-table rows (tuples in ``TABLE_COLUMNS`` order)."""

from __future__ import annotations

import orjson
from pydantic import BaseModel

from ingestion.payloads import (
    AlarmPayload,
    CountPayload,
    InspectionPayload,
    StatePayload,
    TelemetryPayload,
)
from ingestion.stream.validate import Telemetry

Rows = dict[str, list[tuple]]


def rows_for(machine_id: str, payload: BaseModel | Telemetry) -> Rows:
    """The rows a message lands as, keyed by landing table."""
    if isinstance(payload, TelemetryPayload):
        payload = Telemetry.of(payload)
    if isinstance(payload, Telemetry):
        ts = payload.ts
        return {
            "sensor_reading": [
                (r_ts or ts, machine_id, metric, value, quality)
                for metric, value, r_ts, quality in payload.readings
            ]
        }
    if isinstance(payload, StatePayload):
        return {
            "machine_state": [
                (payload.ts, machine_id, payload.state, payload.reason_code, payload.seq)
            ]
        }
    if isinstance(payload, CountPayload):
        return _count_rows(machine_id, payload)
    if isinstance(payload, AlarmPayload):
        return {
            "alarm": [
                (
                    payload.ts,
                    machine_id,
                    payload.alarm_code,
                    payload.severity,
                    payload.message,
                    payload.seq,
                )
            ]
        }
    if isinstance(payload, InspectionPayload):
        return _inspection_rows(machine_id, payload)
    raise TypeError(f"no landing table for {type(payload).__name__}")


def _count_rows(machine_id: str, p: CountPayload) -> Rows:
    wafers = p.good + p.scrap
    moves = [(p.ts, p.lot_id, p.step_no, machine_id, p.recipe_id, "track_out", wafers)]
    if p.track_in_ts is not None:
        moves.insert(
            0, (p.track_in_ts, p.lot_id, p.step_no, machine_id, p.recipe_id, "track_in", wafers)
        )
    return {
        "production_count": [(p.ts, machine_id, p.lot_id, p.step_no, p.good, p.scrap, p.seq)],
        "lot_move": moves,
        "process_measurement": [
            (p.ts, machine_id, p.lot_id, m.wafer_id, p.recipe_id, m.parameter, m.value)
            for m in p.measurements
        ],
    }


def _inspection_rows(machine_id: str, p: InspectionPayload) -> Rows:
    return {
        "inspection": [
            (p.ts, p.inspection_id, machine_id, p.lot_id, p.wafer_id, p.step_no, len(p.defects))
        ],
        "defect": [
            (
                p.ts,
                p.inspection_id,
                d.defect_no,
                p.wafer_id,
                d.x_mm,
                d.y_mm,
                d.size_um,
                d.defect_type,
                d.sem_image_ref,
                orjson.dumps(d.edx_spectrum).decode() if d.edx_spectrum is not None else None,
            )
            for d in p.defects
        ],
    }
