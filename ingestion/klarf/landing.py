"""Land parsed KLARF files: one ``landing.inspection`` row per wafer, one ``landing.defect``
row per defect (with its die index). Idempotent through the tables' unique keys. A folder is
landed file by file: a malformed file goes to ``landing.dead_letter`` with its
``file:line: field: reason`` and the good files of the folder still land."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from fabstack.errors import FabError
from fabstack.sqlfile import named_queries
from ingestion.klarf.parser import KlarfFile, parse_klarf

SUFFIXES = (".klarf", ".klf", ".kla", ".000", ".001")
MAX_DEAD_LETTER_CHARS = 200_000


def _q(name: str) -> str:
    return named_queries(Path(__file__).with_name("klarf.sql"))[name]


@dataclass
class KlarfImport:
    files: int = 0
    inspections: int = 0
    defects: int = 0
    inspections_new: int = 0
    defects_new: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def klarf_files(target: Path) -> list[Path]:
    """``target`` itself, or the KLARF files of a folder in name order."""
    if target.is_file():
        return [target]
    if target.is_dir():
        return sorted(p for p in target.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    raise FabError(f"{target}: no such file or folder")


def step_number(step_id: str) -> int | None:
    digits = "".join(ch for ch in step_id if ch.isdigit())
    return int(digits) if digits and len(digits) < 9 else None


def land_klarf(conn: psycopg.Connection, k: KlarfFile, result: KlarfImport) -> None:
    """One file in one transaction."""
    with conn.transaction():
        for wafer in k.wafers:
            defects = k.defects(wafer)
            inspection_id = f"klarf:{k.lot_id}:{wafer.wafer_id}:{k.step_id}:{k.station_id}"
            cur = conn.execute(
                _q("insert_inspection"),
                {
                    "ts": k.result_ts,
                    "inspection_id": inspection_id,
                    "machine_id": k.station_id or "KLARF",
                    "lot_id": k.lot_id,
                    "wafer_id": wafer.wafer_id,
                    "step_no": step_number(k.step_id),
                    "defect_count": len(defects),
                },
            )
            result.inspections += 1
            result.inspections_new += cur.rowcount
            with conn.cursor() as dcur:
                dcur.executemany(
                    _q("insert_defect"),
                    [
                        {
                            "ts": k.result_ts,
                            "inspection_id": inspection_id,
                            "defect_no": d.defect_no,
                            "wafer_id": wafer.wafer_id,
                            "x_mm": d.x_mm,
                            "y_mm": d.y_mm,
                            "size_um": d.size_um,
                            "defect_type": f"CLASS{d.class_number}",
                            "die_col": d.die_col,
                            "die_row": d.die_row,
                        }
                        for d in defects
                    ],
                )
                result.defects += len(defects)
                result.defects_new += max(dcur.rowcount, 0)


def dead_letter(conn: psycopg.Connection, path: Path, error: str) -> None:
    try:
        payload = path.read_text(encoding="utf-8", errors="replace")[:MAX_DEAD_LETTER_CHARS]
    except OSError:
        payload = ""
    # a binary file is still kept, but PostgreSQL text cannot hold NUL: mark each one instead
    payload, error = payload.replace("\x00", "\ufffd"), error.replace("\x00", "\ufffd")
    conn.execute(_q("dead_letter"), {"topic": str(path), "payload": payload, "error": error})


def import_klarf(conn: psycopg.Connection, target: Path) -> KlarfImport:
    """Parse and land every file of ``target``; bad files become dead letters (and errors)."""
    result = KlarfImport()
    for path in klarf_files(target):
        result.files += 1
        try:
            land_klarf(conn, parse_klarf(path), result)
        except FabError as exc:
            result.errors.append(str(exc))
            dead_letter(conn, path, str(exc))
    return result
