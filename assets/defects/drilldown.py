"""Wafer-map drill-down data: per wafer the defect coordinates, sizes and types; per defect its
SEM image reference and EDX spectrum. Read from the landing zone (boards and `fab trace`)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import psycopg

SQL = (Path(__file__).parent / "sql" / "landing_wafer_map.sql").read_text()
SCHEMA = {
    "ts": pl.Datetime("us", "UTC"),
    "inspection_id": pl.Utf8,
    "machine_id": pl.Utf8,
    "step_no": pl.Int64,
    "defect_no": pl.Int64,
    "x_mm": pl.Float64,
    "y_mm": pl.Float64,
    "size_um": pl.Float64,
    "defect_type": pl.Utf8,
    "sem_image_ref": pl.Utf8,
    "edx_spectrum": pl.Utf8,
}


def wafer_map(conn: psycopg.Connection, wafer_id: str) -> pl.DataFrame:
    """Every defect on ``wafer_id`` (all inspections), EDX spectra as JSON text."""
    with conn.cursor() as cur:
        cur.execute(SQL, {"wafer_id": wafer_id})
        return pl.DataFrame(cur.fetchall(), schema=SCHEMA, orient="row")


def edx_peaks(spectrum: str | None) -> list[float]:
    """The peak energies (keV) of an EDX spectrum as stored by ingestion."""
    if not spectrum:
        return []
    return [float(p) for p in json.loads(spectrum).get("peaks_kev", [])]
