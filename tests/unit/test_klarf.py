"""KLARF 1.2 and 1.8: what the writer writes the parser reads back exactly; each malformed
file is one line naming file, line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestion.klarf.parser import KlarfError, parse_klarf
from ingestion.klarf.writer import write_klarf

TS = datetime(2026, 12, 4, 10, 14, 30, tzinfo=UTC)
DEFECTS = [(1, 5.0, 2.5, 1.1, "3"), (2, -9.9, 9.9, 0.45, "1"), (3, 70.25, -33.5, 2.0, "2")]


def sample(tmp_path: Path, version: str, name: str = "w.klarf") -> Path:
    return write_klarf(
        tmp_path / name,
        lot_id="LOT-1",
        wafer_id="W01",
        step_id="STEP-30",
        station_id="INSP-01",
        ts=TS,
        defects=DEFECTS,
        version=version,
    )


@pytest.mark.parametrize("version", ["1.2", "1.8"])
def test_round_trip(tmp_path: Path, version: str) -> None:
    k = parse_klarf(sample(tmp_path, version))
    assert (k.version, k.lot_id, k.step_id, k.station_id, k.result_ts) == (
        version,
        "LOT-1",
        "STEP-30",
        "INSP-01",
        TS,
    )
    [wafer] = k.wafers
    assert (wafer.wafer_id, wafer.slot) == ("W01", 1)
    got = k.defects(wafer)
    assert [d.defect_no for d in got] == [1, 2, 3]
    for d, (_, x, y, size, cls) in zip(got, DEFECTS, strict=True):
        assert d.x_mm == pytest.approx(x, abs=1e-6) and d.y_mm == pytest.approx(y, abs=1e-6)
        assert d.size_um == pytest.approx(size) and d.class_number == cls
    # 300 mm wafer, 10 mm dies, centre at the corner of dies (15, 15): x 5 mm -> column 15.
    assert (got[0].die_col, got[0].die_row) == (15, 15)
    assert (got[1].die_col, got[1].die_row) == (14, 15)


def edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_missing_defect_list(tmp_path: Path) -> None:
    path = sample(tmp_path, "1.2")
    text = path.read_text()
    start = text.index("DefectList")
    path.write_text(text[:start] + text[text.index(";", start) + 1 :])
    with pytest.raises(KlarfError) as err:
        parse_klarf(path)
    assert str(err.value) == (
        f"{path}:{line_of(path, 'WaferID')}: DefectList: missing for wafer 'W01'"
    )


def test_missing_defect_list_18(tmp_path: Path) -> None:
    path = sample(tmp_path, "1.8")
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "List DefectList" in line)
    end = start + 6 + len(DEFECTS)  # List, {, Columns, Data, {, rows..., }, }
    path.write_text("\n".join(lines[:start] + lines[end + 1 :]) + "\n")
    with pytest.raises(KlarfError) as err:
        parse_klarf(path)
    assert str(err.value) == (
        f"{path}:{line_of(path, 'WaferRecord')}: DefectList: missing for wafer 'W01'"
    )


@pytest.mark.parametrize("version", ["1.2", "1.8"])
def test_column_count_differs_from_spec(tmp_path: Path, version: str) -> None:
    path = edit(sample(tmp_path, version), " 1.100 1.100 1.100 3", " 1.100 1.100 3")
    with pytest.raises(KlarfError) as err:
        parse_klarf(path)
    row = line_of(path, " 1.100 1.100 3")
    assert str(err.value).startswith(f"{path}:{row}: DefectList: 8 values,")
    assert "declares 9" in str(err.value)


@pytest.mark.parametrize("version", ["1.2", "1.8"])
def test_die_index_outside_the_map(tmp_path: Path, version: str) -> None:
    path = edit(sample(tmp_path, version), " 15 15 1.100", " 40 15 1.100")
    with pytest.raises(KlarfError) as err:
        parse_klarf(path)
    assert str(err.value) == (
        f"{path}:{line_of(path, ' 40 15 1.100')}: XINDEX,YINDEX: die (40, 15) lies outside "
        "the 300 mm wafer (DiePitch 10000 x 10000 um)"
    )


def test_other_malformations(tmp_path: Path) -> None:
    path = edit(sample(tmp_path, "1.2"), "DefectRecordSpec 9", "DefectRecordSpec 8")
    with pytest.raises(KlarfError, match=r"DefectRecordSpec: declares 8 columns, names 9"):
        parse_klarf(path)
    path = edit(sample(tmp_path, "1.8", "b.klarf"), "Data 3", "Data 4")
    with pytest.raises(KlarfError, match=r"b.klarf:\d+: Data: declares 4 rows, has 3"):
        parse_klarf(path)
    path = edit(sample(tmp_path, "1.2", "c.klarf"), "FileVersion 1 2", "FileVersion 1 9")
    with pytest.raises(KlarfError, match=r"c.klarf:1: FileVersion: version '1.9'"):
        parse_klarf(path)
