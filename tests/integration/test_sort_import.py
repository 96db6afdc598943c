"""Sort results in the landing zone: `fab import wafermaps` lands maps once (re-import changes
nothing, a changed map replaces its dies), bad files exit 2 with one line, and `fab defects
classify` answers with the promoted wafer_signature model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import psycopg
import pytest

from assets.defects.map_classifier import MODEL_NAME, SignatureConfig, train
from assets.maintenance.registry import compare_and_promote, register
from ingestion.sort.landing import land_maps, landed_maps
from ingestion.sort.wafer_maps import WaferMaps, read_maps, write_map_csv
from tests.unit.test_wafer_maps import synthetic_die_maps


def fab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    code = "from fabcli.main import run; run()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.fixture
def env(landing_dsn: str, fab_home: Path, mlflow_tracking: str) -> dict[str, str]:
    """The CLI on this test's landing zone, FAB_HOME and its own MLflow store."""
    return {
        **os.environ,
        "FAB_PG_DSN": landing_dsn,
        "FAB_HOME": str(fab_home),
        "FAB_MLFLOW_TRACKING_URI": mlflow_tracking,
    }


def counts(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn) as conn:
        maps = conn.execute("SELECT count(*) FROM landing.sort_map").fetchone()[0]
        dies = conn.execute("SELECT count(*) FROM landing.sort_result").fetchone()[0]
    return maps, dies


def test_land_maps_is_idempotent_and_replaces_a_changed_map(landing_dsn: str) -> None:
    maps = synthetic_die_maps(2, seed=4)
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        first = land_maps(conn, maps, source="test")
        assert first.new == len(maps) and first.dies_written == maps.die_count
        again = land_maps(conn, maps, source="test")
        assert (again.new, again.changed, again.unchanged, again.dies_written) == (
            0,
            0,
            len(maps),
            0,
        )
        assert counts(landing_dsn) == (len(maps), maps.die_count)
        changed = [m.copy() for m in maps.maps]
        r, c = np.argwhere(changed[0] == 1)[0]
        changed[0][r, c] = 2
        edited = WaferMaps(maps.map_ids, changed, maps.lots, maps.labels, maps.wafer_index)
        third = land_maps(conn, edited, source="test")
        assert (third.changed, third.unchanged) == (1, len(maps) - 1)
        assert counts(landing_dsn) == (len(maps), maps.die_count)
        back = landed_maps(conn)
    by_id = dict(zip(back.map_ids, back.maps, strict=True))
    assert np.array_equal(by_id[maps.map_ids[0]], changed[0])
    assert all(
        np.array_equal(by_id[i], m) for i, m in zip(maps.map_ids[1:], changed[1:], strict=True)
    )


def test_cli_import_twice_then_bad_file(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "maps.csv"
    maps = synthetic_die_maps(1, seed=9)
    write_map_csv(maps, path)
    out = fab(env, "import", "wafermaps", str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["new"] == len(maps)
    out = fab(env, "import", "wafermaps", str(path), "--json")
    assert json.loads(out.stdout)["unchanged"] == len(maps)
    bad = tmp_path / "bad.csv"
    bad.write_text(path.read_text() + "odd,Loc,lotZ,1,2,2,0123\n")
    out = fab(env, "import", "wafermaps", str(bad))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"fab: error: {bad}:{len(maps) + 2}: dies: character '3' at position 4 (row 1, col 1) "
        "is not a die code 0, 1 or 2"
    ]
    assert counts(env["FAB_PG_DSN"])[0] == len(maps)  # nothing landed was lost


def test_classify_with_the_promoted_model(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "maps.csv"
    maps = synthetic_die_maps(6, seed=8)
    write_map_csv(maps, path)
    out = fab(env, "defects", "classify", str(path), "--json")
    assert out.returncode == 2 and "no promoted wafer_signature model" in out.stderr
    result = train(read_maps(path), seed=3, params={"max_iter": 20})
    with psycopg.connect(env["FAB_PG_DSN"], autocommit=True) as conn:
        record = register(
            conn, Path(env["FAB_HOME"]), result, SignatureConfig(seed=3), model_name=MODEL_NAME
        )
        assert record.metrics["validation"] == "lot-disjoint StratifiedGroupKFold"
        assert compare_and_promote(conn, record.version, model_name=MODEL_NAME).promoted
    out = fab(env, "defects", "classify", str(path), "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["model"] == f"v{record.version}"
    assert [p["map_id"] for p in body["predictions"]] == maps.map_ids
    assert all(0 < p["confidence"] <= 1 for p in body["predictions"])
    assert {p["label"] for p in body["predictions"]} <= set(maps.labels)


def test_sort_facts_in_the_warehouse(landing_dsn: str, tmp_path: Path) -> None:
    from datetime import UTC, date, datetime

    from dashboards.check import TimeRange, render
    from dashboards.sql import load_query
    from ingestion.landing.migrate import ensure_partitions
    from warehouse.build import build_fact, ensure_schema
    from warehouse.client import ChdbWarehouse

    maps = synthetic_die_maps(1, seed=6)
    tested = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        land_maps(conn, maps, source="test", tested_at=tested)
    wh = ChdbWarehouse(tmp_path / "warehouse")
    try:
        ensure_schema(wh)
        for _ in range(2):  # a rebuild replaces the day, never duplicates it
            wafers = build_fact(wh, "fact_wafer_sort", date(2026, 11, 20), landing_dsn, "UTC")
            dies = build_fact(wh, "fact_die_bin", date(2026, 11, 20), landing_dsn, "UTC")
        assert (wafers.rows, dies.rows) == (len(maps), maps.die_count)
        frame = wh.query("SELECT wafer_id, dies, failed_dies, die_yield FROM fab.fact_wafer_sort")
        by_id = {r["wafer_id"]: r for r in frame.iter_rows(named=True)}
        for wafer_id, grid in zip(maps.map_ids, maps.maps, strict=True):
            row = by_id[wafer_id]
            assert (row["dies"], row["failed_dies"]) == ((grid > 0).sum(), (grid == 2).sum())
            assert row["die_yield"] == pytest.approx((grid == 1).sum() / (grid > 0).sum())
        failed = wh.scalar("SELECT count() FROM fab.fact_die_bin WHERE passed = 0")
        assert failed == sum(int((g == 2).sum()) for g in maps.maps)
        # The Quality board's sort-yield panels run on these facts.
        window = TimeRange(datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))
        stacked = wh.query(
            render(load_query("quality/yield_map_stacked"), "clickhouse", window, {})
        )
        assert stacked.height == len({tuple(x) for g in maps.maps for x in np.argwhere(g > 0)})
        trend = wh.query(render(load_query("quality/yield_trend"), "clickhouse", window, {}))
        good = sum(int((g == 1).sum()) for g in maps.maps)
        assert trend["Die yield"].to_list() == pytest.approx([good / maps.die_count])
        # Inspections of the same wafers, more defects where more dies failed.
        with psycopg.connect(landing_dsn, autocommit=True) as conn:
            ensure_partitions(conn, tested.date(), tested.date())
            for i, (wafer_id, grid) in enumerate(zip(maps.map_ids, maps.maps, strict=True)):
                conn.execute(
                    "INSERT INTO landing.inspection (ts, inspection_id, machine_id, lot_id, "
                    "wafer_id, step_no, defect_count) VALUES (%s, %s, 'INSP-01', %s, %s, 6, %s)",
                    (tested, f"I{i}", maps.lots[i], wafer_id, 3 * int((grid == 2).sum())),
                )
        build_fact(wh, "fact_inspection", date(2026, 11, 20), landing_dsn, "UTC")
        points = wh.query(render(load_query("quality/yield_vs_d0"), "clickhouse", window, {}))
        assert points.height == len(maps)
        curve = wh.query(render(load_query("quality/yield_poisson_fit"), "clickhouse", window, {}))
        assert curve.height == 21
        assert curve["Poisson fit"].is_sorted(descending=True)
    finally:
        wh.close()
