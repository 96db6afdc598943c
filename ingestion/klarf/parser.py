"""A strict KLARF reader for versions 1.2 (``Keyword values;`` records) and 1.8 (nested
``Record``/``Field``/``List`` blocks). Neither PyPI reader held up on spec samples (see the
package docstring), so this one is ours.

Every error is a ``KlarfError`` reading ``file:line: field: reason``. Coordinates in KLARF are
micrometres; a defect's position on the wafer is
``index * DiePitch + DieOrigin + REL - SampleCenterLocation`` per axis.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fabstack.errors import FabError

REQUIRED_COLUMNS = ("DEFECTID", "XREL", "YREL", "XINDEX", "YINDEX")
_TOKEN = re.compile(r'"[^"]*"|[{};,]|[^\s{};,"]+')


class KlarfError(FabError):
    """One line: ``file:line: field: reason``."""

    def __init__(self, path: Path | str, line: int, what: str, reason: str) -> None:
        super().__init__(f"{path}:{line}: {what}: {reason}")


@dataclass
class KlarfWafer:
    wafer_id: str
    line: int
    slot: int | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, values)
    has_defect_list: bool = False


@dataclass
class Defect:
    defect_no: int
    x_mm: float
    y_mm: float
    size_um: float
    class_number: str
    die_col: int
    die_row: int


@dataclass
class KlarfFile:
    path: Path
    version: str
    lot_id: str = ""
    step_id: str = ""
    station_id: str = ""
    result_ts: datetime | None = None
    wafer_diameter_mm: float = 300.0
    die_pitch_um: tuple[float, float] = (0.0, 0.0)
    die_origin_um: tuple[float, float] = (0.0, 0.0)
    center_um: tuple[float, float] = (0.0, 0.0)
    wafers: list[KlarfWafer] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    def defects(self, wafer: KlarfWafer) -> list[Defect]:
        """The wafer's defects, checked: numbers parse and every die lies on the wafer."""
        col = {name: i for i, name in enumerate(wafer.columns)}
        pitch_x, pitch_y = self.die_pitch_um
        radius_um = self.wafer_diameter_mm * 500.0
        out = []
        for line, values in wafer.rows:

            def num(name: str, kind: type = float, line: int = line, values=values):
                try:
                    return (
                        kind(float(values[col[name]])) if kind is int else kind(values[col[name]])
                    )
                except ValueError:
                    raise KlarfError(
                        self.path, line, name, f"{values[col[name]]!r} is not a number"
                    ) from None

            xi, yi = num("XINDEX", int), num("YINDEX", int)
            # The die's farthest corner from the centre must still be on the wafer.
            x0 = xi * pitch_x + self.die_origin_um[0] - self.center_um[0]
            y0 = yi * pitch_y + self.die_origin_um[1] - self.center_um[1]
            nearest = math.hypot(
                min(abs(x0), abs(x0 + pitch_x)) if x0 * (x0 + pitch_x) > 0 else 0.0,
                min(abs(y0), abs(y0 + pitch_y)) if y0 * (y0 + pitch_y) > 0 else 0.0,
            )
            if nearest > radius_um:
                raise KlarfError(
                    self.path,
                    line,
                    "XINDEX,YINDEX",
                    f"die ({xi}, {yi}) lies outside the {self.wafer_diameter_mm:g} mm wafer "
                    f"(DiePitch {pitch_x:g} x {pitch_y:g} um)",
                )
            x_mm = (x0 + num("XREL")) / 1000.0
            y_mm = (y0 + num("YREL")) / 1000.0
            if math.hypot(x_mm, y_mm) > self.wafer_diameter_mm / 2:
                raise KlarfError(self.path, line, "XREL,YREL", "defect lies off the wafer")
            size = num("DSIZE") if "DSIZE" in col else 0.0
            if size <= 0 and "XSIZE" in col and "YSIZE" in col:
                size = math.sqrt(max(num("XSIZE") * num("YSIZE"), 0.0))
            cls = values[col["CLASSNUMBER"]] if "CLASSNUMBER" in col else "0"
            out.append(Defect(num("DEFECTID", int), x_mm, y_mm, max(size, 0.01), cls, xi, yi))
        return out


def _tokens(text: str) -> list[tuple[str, int]]:
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        out.extend((m.group(0), lineno) for m in _TOKEN.finditer(line))
    return out


def _unquote(token: str) -> str:
    return token[1:-1] if token.startswith('"') and token.endswith('"') else token


def _timestamp(path: Path, line: int, date_text: str, time_text: str) -> datetime:
    for fmt in ("%m-%d-%y %H:%M:%S", "%m-%d-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(f"{date_text} {time_text}", fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise KlarfError(path, line, "ResultTimestamp", f"{date_text} {time_text!r} is not a date")


def _pair(path: Path, line: int, name: str, values: list[str]) -> tuple[float, float]:
    try:
        if len(values) != 2:
            raise ValueError
        return float(values[0]), float(values[1])
    except ValueError:
        raise KlarfError(
            path, line, name, f"expected two numbers, got {' '.join(values)!r}"
        ) from None


def _apply_field(k: KlarfFile, name: str, values: list[str], line: int) -> None:
    """Lot-level fields shared by both versions."""
    k.lines[name] = line
    if name == "LotID" and values:
        k.lot_id = values[0]
    elif name == "StepID" and values:
        k.step_id = values[0]
    elif name == "InspectionStationID" and values:
        k.station_id = values[-1]
    elif name == "ResultTimestamp":
        if len(values) != 2:
            raise KlarfError(k.path, line, name, "expected a date and a time")
        k.result_ts = _timestamp(k.path, line, values[0], values[1])
    elif name == "DiePitch":
        k.die_pitch_um = _pair(k.path, line, name, values)
    elif name == "DieOrigin":
        k.die_origin_um = _pair(k.path, line, name, values)
    elif name == "SampleCenterLocation":
        k.center_um = _pair(k.path, line, name, values)
    elif name == "SampleSize" and len(values) == 2:
        k.wafer_diameter_mm = _pair(k.path, line, name, values)[1]


def parse_klarf(path: Path | str) -> KlarfFile:
    """Read a KLARF 1.2 or 1.8 file; raises KlarfError on the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FabError(f"{path}: cannot read: {exc.strerror}") from None
    tokens = _tokens(text)
    if not tokens:
        raise KlarfError(path, 1, "FileVersion", "empty file")
    k = _parse_18(path, tokens) if tokens[0][0] == "Record" else _parse_12(path, tokens)
    _validate(k)
    return k


def _validate(k: KlarfFile) -> None:
    for name in ("ResultTimestamp", "DiePitch", "SampleCenterLocation"):
        if name not in k.lines:
            raise KlarfError(k.path, 1, name, "missing")
    if not k.lot_id:
        raise KlarfError(k.path, 1, "LotID", "missing")
    if k.die_pitch_um[0] <= 0 or k.die_pitch_um[1] <= 0:
        raise KlarfError(k.path, k.lines["DiePitch"], "DiePitch", "must be positive")
    if not k.wafers:
        raise KlarfError(k.path, 1, "WaferID", "no wafer in the file")
    for w in k.wafers:
        if not w.has_defect_list:
            raise KlarfError(k.path, w.line, "DefectList", f"missing for wafer {w.wafer_id!r}")
        missing = [c for c in REQUIRED_COLUMNS if c not in w.columns]
        if missing:
            raise KlarfError(
                k.path, w.line, "DefectRecordSpec", f"lacks column(s) {', '.join(missing)}"
            )
        k.defects(w)  # numbers and die indices


def _parse_12(path: Path, tokens: list[tuple[str, int]]) -> KlarfFile:
    k = KlarfFile(path, "1.2")
    records: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    for tok, line in tokens:
        if tok == ";":
            if current:
                records.append(current)
            current = []
        else:
            current.append((tok, line))
    if current:
        raise KlarfError(path, current[0][1], current[0][0], "record not ended by ';'")
    spec: list[str] | None = None
    wafer: KlarfWafer | None = None
    for record in records:
        name, line = record[0]
        values = [_unquote(t) for t, _ in record[1:]]
        if name == "FileVersion":
            k.version = ".".join(values)
            if k.version != "1.2":
                raise KlarfError(
                    path,
                    line,
                    name,
                    f"version {k.version!r} in 1.2 record syntax: a 1.2 file says 1 2, "
                    "a 1.8 file uses Record/Field blocks",
                )
        elif name == "WaferID":
            wafer = KlarfWafer(values[0] if values else "", line)
            k.wafers.append(wafer)
        elif name == "Slot" and wafer is not None and values:
            wafer.slot = int(values[0]) if values[0].isdigit() else None
        elif name == "DefectRecordSpec":
            try:
                count = int(values[0])
            except (ValueError, IndexError):
                raise KlarfError(path, line, name, "expected a column count") from None
            spec = [v.upper() for v in values[1:]]
            if len(spec) != count:
                raise KlarfError(path, line, name, f"declares {count} columns, names {len(spec)}")
        elif name == "DefectList":
            if wafer is None:
                raise KlarfError(path, line, name, "comes before any WaferID")
            if spec is None:
                raise KlarfError(path, line, name, "comes before DefectRecordSpec")
            wafer.columns, wafer.has_defect_list = spec, True
            by_line: dict[int, list[str]] = {}
            for tok, tok_line in record[1:]:
                by_line.setdefault(tok_line, []).append(tok)
            for row_line, row in by_line.items():
                if len(row) != len(spec):
                    raise KlarfError(
                        path,
                        row_line,
                        "DefectList",
                        f"{len(row)} values, DefectRecordSpec declares {len(spec)} columns",
                    )
                wafer.rows.append((row_line, row))
        else:
            _apply_field(k, name, values, line)
    return k


class _Cursor:
    def __init__(self, path: Path, tokens: list[tuple[str, int]]) -> None:
        self.path, self.tokens, self.i = path, tokens, 0

    def peek(self) -> tuple[str, int]:
        if self.i >= len(self.tokens):
            last = self.tokens[-1][1] if self.tokens else 1
            raise KlarfError(self.path, last, "Record", "file ends inside a block")
        return self.tokens[self.i]

    def take(self, expected: str | None = None) -> tuple[str, int]:
        tok = self.peek()
        if expected is not None and tok[0] != expected:
            raise KlarfError(self.path, tok[1], expected, f"expected {expected!r}, got {tok[0]!r}")
        self.i += 1
        return tok

    def values_in_braces(self) -> list[str]:
        self.take("{")
        out = []
        while self.peek()[0] != "}":
            tok, _ = self.take()
            if tok != ",":
                out.append(_unquote(tok))
        self.take("}")
        return out


def _parse_18(path: Path, tokens: list[tuple[str, int]]) -> KlarfFile:
    k = KlarfFile(path, "1.8")
    cur = _Cursor(path, tokens)
    _, line = cur.take("Record")
    kind, _ = cur.take()
    version = _unquote(cur.take()[0])
    if kind != "FileRecord" or version != "1.8":
        raise KlarfError(
            path, line, "FileRecord", f'expected FileRecord "1.8", got {kind} {version}'
        )
    _block_18(k, cur, None)
    rest = [t for t, _ in tokens[cur.i :] if t not in (";",)]
    if rest and rest != ["EndOfFile"]:
        raise KlarfError(path, tokens[cur.i][1], "EndOfFile", f"unexpected {rest[0]!r}")
    return k


def _block_18(k: KlarfFile, cur: _Cursor, wafer: KlarfWafer | None) -> None:
    cur.take("{")
    while cur.peek()[0] != "}":
        word, line = cur.take()
        if word == "Record":
            kind, _ = cur.take()
            ident = _unquote(cur.take()[0])
            child = wafer
            if kind == "LotRecord":
                k.lot_id = ident
                k.lines["LotID"] = line
            elif kind == "WaferRecord":
                child = KlarfWafer(ident, line)
                k.wafers.append(child)
            _block_18(k, cur, child)
        elif word == "Field":
            name, _ = cur.take()
            count_tok, count_line = cur.take()
            values = cur.values_in_braces()
            if not count_tok.isdigit() or int(count_tok) != len(values):
                raise KlarfError(
                    k.path, count_line, name, f"declares {count_tok} values, has {len(values)}"
                )
            if name == "SlotNumber" and wafer is not None and values and values[0].isdigit():
                wafer.slot = int(values[0])
            else:
                _apply_field(k, name, values, line)
        elif word == "List":
            name, _ = cur.take()
            if name == "DefectList":
                if wafer is None:
                    raise KlarfError(k.path, line, name, "outside a WaferRecord")
                _defect_list_18(k, cur, wafer)
            else:
                _skip_block(cur)
        else:
            raise KlarfError(k.path, line, word, "expected Record, Field or List")
    cur.take("}")


def _skip_block(cur: _Cursor) -> None:
    depth = 0
    while True:
        tok, _ = cur.take()
        depth += tok == "{"
        depth -= tok == "}"
        if depth == 0:
            return


def _defect_list_18(k: KlarfFile, cur: _Cursor, wafer: KlarfWafer) -> None:
    cur.take("{")
    _, line = cur.take("Columns")
    count_tok, _ = cur.take()
    declared = cur.values_in_braces()
    # Each column is "type name": pairs, comma-separated.
    names = [declared[i + 1].upper() for i in range(0, len(declared) - 1, 2)]
    if not count_tok.isdigit() or int(count_tok) != len(names) or len(declared) % 2:
        raise KlarfError(k.path, line, "Columns", f"declares {count_tok}, lists {len(names)}")
    _, data_line = cur.take("Data")
    rows_tok, _ = cur.take()
    cur.take("{")
    wafer.columns, wafer.has_defect_list = names, True
    row: list[str] = []
    row_line = data_line
    while cur.peek()[0] != "}":
        tok, tok_line = cur.take()
        if tok == ";":
            if len(row) != len(names):
                raise KlarfError(
                    k.path,
                    row_line,
                    "DefectList",
                    f"{len(row)} values, Columns declares {len(names)}",
                )
            wafer.rows.append((row_line, row))
            row = []
            continue
        if not row:
            row_line = tok_line
        row.append(tok)
    if row:
        raise KlarfError(k.path, row_line, "DefectList", "row not ended by ';'")
    if not rows_tok.isdigit() or int(rows_tok) != len(wafer.rows):
        raise KlarfError(
            k.path, data_line, "Data", f"declares {rows_tok} rows, has {len(wafer.rows)}"
        )
    cur.take("}")
    cur.take("}")
