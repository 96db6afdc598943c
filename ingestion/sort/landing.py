"""Land die bin maps as sort results: one ``landing.sort_map`` row per wafer and test program,
one ``landing.sort_result`` row per die. Idempotent: a map whose bins hash the same as the
landed one is skipped; a changed map replaces its dies in the same transaction.

Dies are written with COPY from one CSV buffer built by numpy and polars (no per-die Python).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

from fabstack.errors import FabError
from fabstack.sqlfile import named_queries
from ingestion.sort.wafer_maps import FAIL, NO_DIE, PASS, WaferMaps

DEFAULT_TEST_PROGRAM = "IMPORT"


def _q(name: str) -> str:
    return named_queries(Path(__file__).with_name("sort.sql"))[name]


@dataclass
class SortImport:
    wafers: int
    new: int
    changed: int
    unchanged: int
    dies_written: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def map_sha(grid: np.ndarray) -> str:
    """Hash of a map's shape and bins."""
    h = hashlib.sha1(f"{grid.shape[0]}x{grid.shape[1]}:".encode())
    h.update(np.ascontiguousarray(grid, np.uint16).tobytes())
    return h.hexdigest()


def _check_tables(conn: psycopg.Connection) -> None:
    row = conn.execute("SELECT to_regclass('landing.sort_result') IS NOT NULL").fetchone()
    if not row[0]:
        raise FabError("landing.sort_result is missing: run `fab db migrate`")


def _copy(conn: psycopg.Connection, sql: str, frame: pl.DataFrame) -> None:
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.f+00")
    with conn.cursor().copy(sql) as copy:
        copy.write(buf.getvalue())


def die_frame(
    maps: list[np.ndarray], wafer_ids: list[str], test_program: str, tested_at: list[datetime]
) -> pl.DataFrame:
    """One row per die position (bin code != 0) of every map, built without per-die Python."""
    rows, cols, bins, owner = [], [], [], []
    for i, grid in enumerate(maps):
        r, c = np.nonzero(grid != NO_DIE)
        rows.append(r)
        cols.append(c)
        bins.append(grid[r, c])
        owner.append(np.full(r.size, i, np.int32))
    owner_idx = np.concatenate(owner) if owner else np.zeros(0, np.int32)
    codes = np.concatenate(bins).astype(np.int16) if bins else np.zeros(0, np.int16)
    ids = pl.Series("wafer_id", wafer_ids, pl.Utf8)
    times = pl.Series("tested_at", tested_at, pl.Datetime("us", "UTC"))
    idx = pl.Series(owner_idx)
    return pl.DataFrame(
        {
            "wafer_id": ids.gather(idx),
            "test_program": pl.repeat(test_program, len(owner_idx), eager=True, dtype=pl.Utf8),
            "die_row": np.concatenate(rows).astype(np.int16) if rows else np.zeros(0, np.int16),
            "die_col": np.concatenate(cols).astype(np.int16) if cols else np.zeros(0, np.int16),
            "bin_code": codes,
            "tested_at": times.gather(idx),
        }
    )


def land_maps(
    conn: psycopg.Connection,
    maps: WaferMaps,
    *,
    source: str,
    test_program: str = DEFAULT_TEST_PROGRAM,
    tested_at: datetime | list[datetime] | None = None,
    bin_codes: list[np.ndarray] | None = None,
) -> SortImport:
    """Land ``maps`` (bins 0/1/2, or ``bin_codes`` with the tester's codes where 0 = no die,
    1 = pass) for ``test_program``. One transaction; returns what changed."""
    _check_tables(conn)
    grids = bin_codes if bin_codes is not None else maps.maps
    if len(set(maps.map_ids)) != len(maps.map_ids):
        seen: set[str] = set()
        dup = next(w for w in maps.map_ids if w in seen or seen.add(w))
        raise FabError(f"{source}: map_id: {dup!r} appears more than once")
    now = datetime.now(UTC)
    times = tested_at if isinstance(tested_at, list) else [tested_at or now] * len(grids)
    shas = [map_sha(g) for g in grids]
    with conn.transaction():
        conn.execute(_q("lock"))
        existing = dict(
            conn.execute(
                _q("existing"), {"test_program": test_program, "wafer_ids": maps.map_ids}
            ).fetchall()
        )
        todo = [i for i, w in enumerate(maps.map_ids) if existing.get(w) != shas[i]]
        todo.sort(key=maps.map_ids.__getitem__)  # key order: cheaper primary-key inserts
        changed = [maps.map_ids[i] for i in todo if maps.map_ids[i] in existing]
        if changed:
            params = {"test_program": test_program, "wafer_ids": changed}
            conn.execute(_q("delete_changed_dies"), params)
            conn.execute(_q("delete_changed_maps"), params)
        dies_written = 0
        if todo:
            sel = [grids[i] for i in todo]
            ids = [maps.map_ids[i] for i in todo]
            lots = maps.lots or [None] * len(grids)
            labels = maps.labels or [None] * len(grids)
            header = pl.DataFrame(
                {
                    "wafer_id": ids,
                    "test_program": [test_program] * len(todo),
                    "lot_id": [lots[i] for i in todo],
                    "map_rows": [g.shape[0] for g in sel],
                    "map_cols": [g.shape[1] for g in sel],
                    "dies": [int((g != NO_DIE).sum()) for g in sel],
                    "failed_dies": [int(((g != NO_DIE) & (g != PASS)).sum()) for g in sel],
                    "label": [labels[i] or None for i in todo],
                    "map_sha": [shas[i] for i in todo],
                    "source": [source] * len(todo),
                    "tested_at": pl.Series(
                        [times[i] for i in todo], dtype=pl.Datetime("us", "UTC")
                    ),
                },
                schema_overrides={"lot_id": pl.Utf8, "label": pl.Utf8},
            )
            _copy(conn, _q("copy_maps"), header)
            dies = die_frame(sel, ids, test_program, [times[i] for i in todo])
            _copy(conn, _q("copy_dies"), dies)
            dies_written = dies.height
    return SortImport(
        wafers=len(grids),
        new=len(todo) - len(changed),
        changed=len(changed),
        unchanged=len(grids) - len(todo),
        dies_written=dies_written,
    )


def landed_maps(conn: psycopg.Connection, test_program: str = DEFAULT_TEST_PROGRAM) -> WaferMaps:
    """The landed maps of ``test_program`` as bins 0/1/2 (any code other than 1 fails)."""
    ids, maps, lots, labels = [], [], [], []
    for wafer_id, lot, label, n_rows, n_cols, r, c, b in conn.execute(
        _q("read_maps"), {"test_program": test_program}
    ):
        grid = np.zeros((n_rows, n_cols), np.uint8)
        codes = np.asarray(b)
        grid[np.asarray(r), np.asarray(c)] = np.where(codes == PASS, PASS, FAIL)
        ids.append(wafer_id)
        maps.append(grid)
        lots.append(lot)
        labels.append(label)
    return WaferMaps(ids, maps, lots, labels, [None] * len(ids))
