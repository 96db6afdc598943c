"""Write inspections as KLARF 1.2 or 1.8 files (the simulator's path into `fab import klarf`,
and test fixtures). Coordinates in, micrometres out, as the parser reads them back."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

WAFER_DIAMETER_MM = 300.0


def _die_coords(x_mm: float, y_mm: float, pitch_um: tuple[float, float], centre_um: float):
    """(XINDEX, YINDEX, XREL, YREL) of a point given in mm from the wafer centre."""
    x_um, y_um = x_mm * 1000 + centre_um, y_mm * 1000 + centre_um
    xi, yi = math.floor(x_um / pitch_um[0]), math.floor(y_um / pitch_um[1])
    return xi, yi, x_um - xi * pitch_um[0], y_um - yi * pitch_um[1]


def write_klarf(
    path: Path | str,
    *,
    lot_id: str,
    wafer_id: str,
    step_id: str,
    station_id: str,
    ts: datetime,
    defects: Sequence[tuple[int, float, float, float, str]],
    die_pitch_mm: tuple[float, float] = (10.0, 10.0),
    slot: int = 1,
    version: str = "1.2",
) -> Path:
    """``defects``: (defect_no, x_mm, y_mm, size_um, class). Returns the path."""
    path = Path(path)
    pitch = (die_pitch_mm[0] * 1000, die_pitch_mm[1] * 1000)
    centre = WAFER_DIAMETER_MM * 500
    rows = []
    for no, x, y, size, cls in defects:
        xi, yi, xr, yr = _die_coords(x, y, pitch, centre)
        rows.append(f"{no} {xr:.3f} {yr:.3f} {xi} {yi} {size:.3f} {size:.3f} {size:.3f} {cls}")
    date, time = ts.strftime("%m-%d-%Y"), ts.strftime("%H:%M:%S")
    columns = "DEFECTID XREL YREL XINDEX YINDEX XSIZE YSIZE DSIZE CLASSNUMBER"
    if version == "1.2":
        body = [
            "FileVersion 1 2;",
            f"ResultTimestamp {date} {time};",
            f'InspectionStationID "FABSTACK" "SIM" "{station_id}";',
            f'LotID "{lot_id}";',
            f"SampleSize 1 {WAFER_DIAMETER_MM:g};",
            f'StepID "{step_id}";',
            f"DiePitch {pitch[0]:.6e} {pitch[1]:.6e};",
            "DieOrigin 0.000000e+00 0.000000e+00;",
            f'WaferID "{wafer_id}";',
            f"Slot {slot};",
            f"SampleCenterLocation {centre:.6e} {centre:.6e};",
            f"DefectRecordSpec 9 {columns} ;",
            "DefectList" + "".join(f"\n {r}" for r in rows) + ";",
            "EndOfFile;",
        ]
    elif version == "1.8":
        typed = ", ".join(
            f"{'int32' if c in ('DEFECTID', 'XINDEX', 'YINDEX') else 'float'} {c}"
            for c in columns.split()
        )
        body = [
            'Record FileRecord "1.8"',
            "{",
            f'  Record LotRecord "{lot_id}"',
            "  {",
            f'    Field InspectionStationID 3 {{"FABSTACK", "SIM", "{station_id}"}}',
            f'    Field ResultTimestamp 2 {{"{date}", "{time}"}}',
            f"    Field SampleSize 2 {{1, {WAFER_DIAMETER_MM:g}}}",
            f'    Field StepID 1 {{"{step_id}"}}',
            f"    Field DiePitch 2 {{{pitch[0]:.6e}, {pitch[1]:.6e}}}",
            "    Field DieOrigin 2 {0.000000e+00, 0.000000e+00}",
            f"    Field SampleCenterLocation 2 {{{centre:.6e}, {centre:.6e}}}",
            f'    Record WaferRecord "{wafer_id}"',
            "    {",
            f"      Field SlotNumber 1 {{{slot}}}",
            "      List DefectList",
            "      {",
            f"        Columns 9 {{ {typed} }}",
            f"        Data {len(rows)}",
            "        {",
            *[f"          {r};" for r in rows],
            "        }",
            "      }",
            "    }",
            "  }",
            "}",
            "EndOfFile;",
        ]
    else:
        raise ValueError(f"KLARF version {version!r}: 1.2 or 1.8")
    path.write_text("\n".join(body) + "\n")
    return path
