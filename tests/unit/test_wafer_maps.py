"""Wafer-map files: the WM-811K map CSV and the long format parse, and every bad input is one
line naming file, line and field; the signature classifier is deterministic given a seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assets.defects.map_classifier import cross_validate, train
from assets.defects.map_features import FEATURE_NAMES, features
from assets.defects.synthetic_maps import synthetic_map
from fabstack.errors import FabError
from ingestion.sort.wafer_maps import (
    WaferMaps,
    rasterize_defects,
    read_long_csv,
    read_map_csv,
    read_maps,
)
from tests.conftest import REFERENCE

# A worktree sits one level deeper than the main clone, next to the same shared folder.
WM811K_TRAIN = next(
    p / "wm811k" / "train.csv"
    for p in (REFERENCE, REFERENCE.parents[2] / "shared" / "reference")
    if (p / "wm811k").is_dir()
)

HEADER = "map_id,label,lot,wafer_index,rows,cols,dies\n"
GOOD = "m1,Center,lotA,1,2,3,012221\nm2,none,lotA,2,3,2,111110\n"


def write(tmp_path: Path, text: str, name: str = "maps.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_map_csv_parses_shapes_and_bins(tmp_path: Path) -> None:
    maps = read_maps(write(tmp_path, HEADER + GOOD))
    assert maps.map_ids == ["m1", "m2"]
    assert maps.labels == ["Center", "none"]
    assert maps.lots == ["lotA", "lotA"]
    assert maps.maps[0].tolist() == [[0, 1, 2], [2, 2, 1]]
    assert maps.maps[1].shape == (3, 2)
    assert maps.die_count == 5 + 5


def test_label_column_may_be_missing(tmp_path: Path) -> None:
    maps = read_maps(write(tmp_path, "map_id,rows,cols,dies\nx,1,2,12\n"))
    assert maps.labels == [None] and maps.maps[0].tolist() == [[1, 2]]


def test_reference_train_csv_parses() -> None:
    maps = read_map_csv(WM811K_TRAIN, require_label=True)
    assert len(maps) == 1054
    assert len(set(maps.lots)) == 861
    assert all(set(np.unique(m)) <= {0, 1, 2} for m in maps.maps)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("m3,Loc,lotB,1,2,2,0122", "maps.csv:4: dies: 4 digits, expected rows x cols = 2 x 2"),
        ("m3,Loc,lotB,1,2,2,01221", "maps.csv:4: dies: 5 digits"),
        ("m3,Loc,lotB,1,1,4,0132", "maps.csv:4: dies: character '3' at position 3"),
        ("m3,Blob,lotB,1,1,2,12", "maps.csv:4: label: unknown label 'Blob'"),
        ("m3,Loc,lotB,1,x,2,12", "maps.csv:4: rows: expected a whole number"),
    ],
)
def test_bad_map_rows_name_file_line_and_field(tmp_path: Path, row: str, expected: str) -> None:
    path = write(tmp_path, HEADER + GOOD + row + "\n")
    if expected.endswith("2 x 2"):  # a good row: this case checks the next one's message
        path = write(tmp_path, HEADER + GOOD + "m3,Loc,lotB,1,2,2,012\n")
        expected = "maps.csv:4: dies: 3 digits, expected rows x cols = 2 x 2 = 4"
    with pytest.raises(FabError) as err:
        read_maps(path)
    message = str(err.value)
    assert expected in message and str(tmp_path) in message
    assert "\n" not in message


def test_unknown_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FabError, match=r":1: header: expected columns"):
        read_maps(write(tmp_path, "a,b\n1,2\n"))


def test_long_format_keeps_bin_codes(tmp_path: Path) -> None:
    text = "wafer,row,col,bin,lot\nw1,0,1,1,L\nw1,1,0,7,L\nw1,1,1,1,L\nw2,0,0,2,L\n"
    maps = read_long_csv(write(tmp_path, text))
    assert maps.map_ids == ["w1", "w2"]
    assert maps.maps[0].tolist() == [[0, 1], [2, 1]]
    assert maps.bin_codes is not None and maps.bin_codes[0][1, 0] == 7
    assert maps.lots == ["L", "L"]


def test_long_format_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(FabError, match=r"long.csv:3: bin: expected a whole number"):
        read_maps(write(tmp_path, "wafer,row,col,bin\nw,0,0,1\nw,0,1,x\n", "long.csv"))
    with pytest.raises(FabError, match=r"long.csv:3: row,col: die \(0, 0\) of wafer 'w'"):
        read_maps(write(tmp_path, "wafer,row,col,bin\nw,0,0,1\nw,0,0,2\n", "long.csv"))
    with pytest.raises(FabError, match=r"long.csv:2: label: unknown label 'odd'"):
        read_maps(write(tmp_path, "wafer,row,col,bin,label\nw,0,0,1,odd\n", "long.csv"))


def test_rasterized_defects_fail_their_die() -> None:
    grid = rasterize_defects(np.array([0.5, 0.5, -146.0]), np.array([0.5, 0.6, 0.0]))
    assert grid.shape == (30, 30)
    assert grid[14, 15] == 2  # x in [0, 10), y in [0, 10): row 14 (above centre), col 15
    assert (grid == 2).sum() == 1  # the -146 mm defect lies on a die cut by the edge exclusion
    assert grid[0, 0] == 0 and grid[15, 15] == 1


WM_NAMES = {
    "none": "none",
    "random": "Random",
    "center": "Center",
    "donut": "Donut",
    "edge-ring": "Edge-Ring",
    "edge-loc": "Edge-Loc",
    "loc": "Loc",
    "scratch": "Scratch",
    "near-full": "Near-full",
}


def synthetic_die_maps(per_class: int, seed: int) -> WaferMaps:
    """Inspection-style maps of our generator rasterized onto a die grid, lots of 3 wafers."""
    rng = np.random.default_rng(seed)
    ids, grids, lots, labels = [], [], [], []
    for k, (ours, theirs) in enumerate(WM_NAMES.items()):
        for i in range(per_class):
            x, y = synthetic_map(ours, rng)
            grids.append(rasterize_defects(x, y, die_pitch_mm=(8.0, 8.0)))
            ids.append(f"{ours}-{i}")
            lots.append(f"lot{k}-{i // 3}")
            labels.append(theirs)
    return WaferMaps(ids, grids, lots, labels, [None] * len(ids))


def test_features_are_finite_and_batch_independent() -> None:
    maps = synthetic_die_maps(2, seed=3)
    x = features(maps.maps)
    assert x.shape == (len(maps), len(FEATURE_NAMES)) and np.isfinite(x).all()
    # A map's features do not depend on the other maps of its batch.
    assert np.allclose(features(maps.maps[3:4]), x[3:4])


def test_classifier_is_deterministic_given_a_seed() -> None:
    maps = synthetic_die_maps(9, seed=11)
    params = {"max_iter": 30}
    first = train(maps, seed=5, params=params)
    second = train(maps, seed=5, params=params)
    assert first.metrics == second.metrics
    p1 = first.fitted.estimator.predict_proba(features(maps.maps))
    p2 = second.fitted.estimator.predict_proba(features(maps.maps))
    assert np.array_equal(p1, p2)
    # Lot-disjoint CV really is better than chance on separable synthetic maps.
    assert first.metrics["macro_f1"] > 0.5
    labels, confidence = first.fitted.classify(maps.maps[:4])
    assert len(labels) == 4 and all(0 < c <= 1 for c in confidence)
    # Inspection maps (defect x/y) go through the same model once rasterized.
    rng = np.random.default_rng(0)
    coords = [synthetic_map("edge-ring", rng) for _ in range(3)]
    via_defects = first.fitted.classify_defects(coords, die_pitch_mm=(8.0, 8.0))
    rasterized = [rasterize_defects(x, y, die_pitch_mm=(8.0, 8.0)) for x, y in coords]
    assert via_defects[0] == first.fitted.classify(rasterized)[0]


def test_cross_validation_never_splits_a_lot() -> None:
    maps = synthetic_die_maps(6, seed=2)
    figures = cross_validate(maps, seed=1, params={"max_iter": 10}, folds=3)
    assert figures["lots"] == len(set(maps.lots))
    assert set(figures["recall"]) == set(WM_NAMES.values())
