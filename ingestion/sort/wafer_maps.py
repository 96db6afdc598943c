"""Die bin maps: read the WM-811K CSV and the generic long format, rasterize defect x/y onto a
die grid. Plain numpy/polars, no Dagster.

A map is a ``uint8`` array of shape (rows, cols): 0 = no die there (off the wafer), 1 = die
passed, 2 = die failed, the WM-811K convention.

Formats accepted (see README, "Wafer maps"):
- *map CSV* (the WM-811K ``train.csv`` format): ``map_id, label, lot, wafer_index, rows, cols,
  dies``; ``dies`` is the map row by row, one digit per die; ``label``, ``lot`` and
  ``wafer_index`` may be missing (``label`` is ignored where it is not needed).
- *long CSV*: ``wafer, row, col, bin`` (+ optional ``lot``, ``label``), one row per die;
  ``bin`` is the tester's bin code: 1 passes, any other code >= 2 fails, 0 means no die.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from fabstack.errors import FabError

NO_DIE, PASS, FAIL = 0, 1, 2
# WM-811K failure-pattern classes, spelled as in the data set.
WM811K_LABELS = (
    "Center",
    "Donut",
    "Edge-Loc",
    "Edge-Ring",
    "Loc",
    "Near-full",
    "Random",
    "Scratch",
    "none",
)
MAP_COLUMNS = ("map_id", "rows", "cols", "dies")
LONG_COLUMNS = ("wafer", "row", "col", "bin")


@dataclass
class WaferMaps:
    """Many maps with their ids (and lots/labels where the file had them)."""

    map_ids: list[str]
    maps: list[np.ndarray]
    lots: list[str | None] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    wafer_index: list[int | None] = field(default_factory=list)
    # The tester's own bin codes (long format only): 0 no die, 1 pass, others fail.
    bin_codes: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.maps)

    @property
    def die_count(self) -> int:
        return int(sum(int((m != NO_DIE).sum()) for m in self.maps))


def _bad(path: Path | str, line: int, column: str, reason: str) -> FabError:
    return FabError(f"{path}:{line}: {column}: {reason}")


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        return [c.strip() for c in fh.readline().strip().split(",")]


def read_maps(path: Path | str, *, require_label: bool = False) -> WaferMaps:
    """Read a map CSV or a long CSV (told apart by their header). Raises FabError
    ``file:line: field: reason`` on the first bad row."""
    path = Path(path)
    if not path.is_file():
        raise FabError(f"{path}: no such file")
    header = _header(path)
    if all(c in header for c in MAP_COLUMNS):
        return read_map_csv(path, require_label=require_label)
    if all(c in header for c in LONG_COLUMNS):
        return read_long_csv(path, require_label=require_label)
    raise _bad(
        path,
        1,
        "header",
        f"expected columns {', '.join(MAP_COLUMNS)} (map CSV) or {', '.join(LONG_COLUMNS)} "
        f"(long CSV), got {', '.join(header) or 'nothing'}",
    )


def _check_labels(path: Path, labels: list[str | None], require: bool) -> None:
    known = set(WM811K_LABELS)
    for i, label in enumerate(labels):
        if label is None or label == "":
            if require:
                raise _bad(path, i + 2, "label", "missing")
            continue
        if label not in known:
            raise _bad(
                path, i + 2, "label", f"unknown label {label!r} (known: {', '.join(WM811K_LABELS)})"
            )


def read_map_csv(path: Path | str, *, require_label: bool = False) -> WaferMaps:
    """The WM-811K ``train.csv`` format; line numbers in errors count the header as line 1."""
    path = Path(path)
    try:
        df = pl.read_csv(
            path,
            schema_overrides={
                "map_id": pl.Utf8,
                "dies": pl.Utf8,
                "lot": pl.Utf8,
                "label": pl.Utf8,
                "rows": pl.Utf8,
                "cols": pl.Utf8,
                "wafer_index": pl.Utf8,
            },
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise FabError(f"{path}: not a readable CSV: {str(exc).splitlines()[0]}") from None
    n = df.height
    shape = {}
    for col in ("rows", "cols"):
        values = df[col].str.strip_chars().cast(pl.Int64, strict=False)
        bad = values.is_null() | (values < 1) | (values > 10_000)
        if bad.any():
            i = int(bad.arg_max())
            raise _bad(path, i + 2, col, f"expected a whole number 1..10000, got {df[col][i]!r}")
        shape[col] = values.to_numpy()
    ids = df["map_id"].to_list()
    for i, map_id in enumerate(ids):
        if not map_id:
            raise _bad(path, i + 2, "map_id", "missing")
    dies = df["dies"].fill_null("").str.strip_chars()
    lengths = dies.str.len_bytes().to_numpy()
    expected = shape["rows"] * shape["cols"]
    wrong = np.flatnonzero(lengths != expected)
    if wrong.size:
        i = int(wrong[0])
        raise _bad(
            path,
            i + 2,
            "dies",
            f"{lengths[i]} digits, expected rows x cols = {shape['rows'][i]} x "
            f"{shape['cols'][i]} = {expected[i]}",
        )
    # One buffer for every map: digits become 0..2 in a single vectorized pass.
    flat = np.frombuffer("".join(dies.to_list()).encode("ascii", "replace"), np.uint8) - ord("0")
    bad = np.flatnonzero(flat > FAIL)
    if bad.size:
        starts = np.concatenate([[0], np.cumsum(expected)])
        i = int(np.searchsorted(starts, bad[0], side="right") - 1)
        pos = int(bad[0] - starts[i])
        digit = chr(int(flat[bad[0]]) + ord("0")) if flat[bad[0]] < 200 else "?"
        raise _bad(
            path,
            i + 2,
            "dies",
            f"character {digit!r} at position {pos + 1} (row {pos // shape['cols'][i]}, "
            f"col {pos % shape['cols'][i]}) is not a die code 0, 1 or 2",
        )
    offsets = np.concatenate([[0], np.cumsum(expected)])
    maps = [
        flat[offsets[i] : offsets[i + 1]].reshape(int(shape["rows"][i]), int(shape["cols"][i]))
        for i in range(n)
    ]
    labels = df["label"].to_list() if "label" in df.columns else [None] * n
    _check_labels(path, labels, require_label)
    lots = df["lot"].to_list() if "lot" in df.columns else [None] * n
    if "wafer_index" in df.columns:
        widx = df["wafer_index"].str.strip_chars().cast(pl.Int64, strict=False).to_list()
    else:
        widx = [None] * n
    return WaferMaps(ids, maps, lots, labels, widx)


def read_long_csv(path: Path | str, *, require_label: bool = False) -> WaferMaps:
    """Long format ``wafer,row,col,bin``: one row per tested die; positions not listed are
    no-die. Bin 1 passes, every other bin code fails."""
    path = Path(path)
    try:
        df = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise FabError(f"{path}: not a readable CSV: {str(exc).splitlines()[0]}") from None
    df = df.with_row_index("line", offset=2)
    for col in ("row", "col", "bin"):
        values = df[col].str.strip_chars().cast(pl.Int64, strict=False)
        bad = values.is_null() | (values < 0) | (values > (65_535 if col == "bin" else 9_999))
        if bad.any():
            i = int(bad.arg_max())
            raise _bad(path, i + 2, col, f"expected a whole number >= 0, got {df[col][i]!r}")
        df = df.with_columns(values.alias(col))
    if df["wafer"].is_null().any():
        raise _bad(path, int(df["wafer"].is_null().arg_max()) + 2, "wafer", "missing")
    dup = df.select(~pl.struct("wafer", "row", "col").is_first_distinct()).to_series()
    if dup.any():
        i = int(dup.arg_max())
        raise _bad(
            path,
            i + 2,
            "row,col",
            f"die ({df['row'][i]}, {df['col'][i]}) of wafer {df['wafer'][i]!r} is listed twice",
        )
    extra = [c for c in ("lot", "label") if c in df.columns]
    grouped = df.group_by("wafer", maintain_order=True).agg(
        "row", "col", "bin", "line", *[pl.col(c).first() for c in extra]
    )
    maps, codes = [], []
    for rows, cols, bins in zip(grouped["row"], grouped["col"], grouped["bin"], strict=True):
        r, c, b = rows.to_numpy(), cols.to_numpy(), bins.to_numpy()
        code = np.zeros((int(r.max()) + 1, int(c.max()) + 1), np.uint16)
        code[r, c] = b
        codes.append(code)
        maps.append(
            np.where(code == NO_DIE, NO_DIE, np.where(code == PASS, PASS, FAIL)).astype(np.uint8)
        )
    n = grouped.height
    labels = grouped["label"].to_list() if "label" in extra else [None] * n
    if "label" in extra:
        known = set(WM811K_LABELS)
        for lines, label in zip(grouped["line"], labels, strict=True):
            if label and label not in known:
                raise _bad(
                    path,
                    int(lines[0]),
                    "label",
                    f"unknown label {label!r} (known: {', '.join(WM811K_LABELS)})",
                )
    elif require_label:
        raise _bad(path, 1, "label", "column missing")
    lots = grouped["lot"].to_list() if "lot" in extra else [None] * n
    return WaferMaps([str(w) for w in grouped["wafer"]], maps, lots, labels, [None] * n, codes)


def rasterize_defects(
    x_mm: np.ndarray,
    y_mm: np.ndarray,
    *,
    wafer_diameter_mm: float = 300.0,
    die_pitch_mm: tuple[float, float] = (10.0, 10.0),
    edge_exclusion_mm: float = 3.0,
    shape: tuple[int, int] | None = None,
) -> np.ndarray:
    """An inspection's defect coordinates (mm from the wafer centre) as a die bin map: a die
    with at least one defect fails, dies wholly inside the usable radius pass. ``shape``
    (rows, cols; default: enough dies to span the wafer) is centred on the wafer."""
    pitch_x, pitch_y = die_pitch_mm
    usable = wafer_diameter_mm / 2 - edge_exclusion_mm
    cols = int(np.ceil(wafer_diameter_mm / pitch_x))
    rows = int(np.ceil(wafer_diameter_mm / pitch_y))
    if shape is not None:
        rows, cols = shape
    # Die corners relative to the centre; a die exists if its farthest corner is on the wafer.
    cx = (np.arange(cols) - cols / 2) * pitch_x
    cy = (np.arange(rows) - rows / 2) * pitch_y
    far_x = np.maximum(np.abs(cx), np.abs(cx + pitch_x))
    far_y = np.maximum(np.abs(cy), np.abs(cy + pitch_y))
    on_wafer = np.hypot(far_y[:, None], far_x[None, :]) <= usable
    grid = np.where(on_wafer, PASS, NO_DIE).astype(np.uint8)
    x, y = np.asarray(x_mm, float), np.asarray(y_mm, float)
    col = np.floor(x / pitch_x + cols / 2).astype(int)
    row = np.floor(-y / pitch_y + rows / 2).astype(int)  # row 0 at the top (+y)
    inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    row, col = row[inside], col[inside]
    hit = on_wafer[row, col]
    grid[row[hit], col[hit]] = FAIL
    return grid


def write_map_csv(maps: WaferMaps, path: Path | str) -> None:
    """Write ``maps`` in the map CSV (train.csv) format."""
    n = len(maps)
    pl.DataFrame(
        {
            "map_id": maps.map_ids,
            "label": maps.labels or [None] * n,
            "lot": maps.lots or [None] * n,
            "wafer_index": maps.wafer_index or [None] * n,
            "rows": [m.shape[0] for m in maps.maps],
            "cols": [m.shape[1] for m in maps.maps],
            "dies": ["".join(map(str, m.ravel().tolist())) for m in maps.maps],
        },
        schema_overrides={"label": pl.Utf8, "lot": pl.Utf8, "wafer_index": pl.Int64},
    ).write_csv(path)
