"""The dbt project on real PostgreSQL, run the way Dagster runs it (dagster-dbt `dbt build`)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from assets.data_quality.checks import STAGING_MODELS
from assets.data_quality.landing_day import DayWindow
from assets.dbt.assets import dbt_staging
from assets.dbt.profile import dbt_env
from assets.dbt.project import DBT_PROJECT_DIR, dbt_cli_resource, load_dbt_project
from assets.resources import LandingResource
from tests.integration.dq_samples import LOTS, ROUTE_TOOLS, write_valid_day

DAY = date(2026, 3, 10)
MODELS = set(STAGING_MODELS)


@pytest.fixture(scope="module")
def built(module_landing_dsn: str) -> tuple[str, dg.ExecuteInProcessResult]:
    write_valid_day(module_landing_dsn, DayWindow.of(DAY, "Europe/Berlin"))
    result = dg.materialize(
        [dbt_staging],
        resources={"dbt": dbt_cli_resource(), "landing": LandingResource(dsn=module_landing_dsn)},
        raise_on_error=False,
    )
    return module_landing_dsn, result


def test_dbt_build_runs_every_model_and_passes_every_test(built) -> None:
    _, result = built
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == MODELS
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 30  # unique, not_null, relationships, accepted_values, combinations
    assert [c.check_name for c in checks if not c.passed] == []
    kinds = {c.check_name.split("_stg_")[0] for c in checks}
    assert {"unique_combination", "not_null", "relationships", "accepted_values"} <= kinds


def test_state_events_become_intervals(built) -> None:
    dsn, _ = built
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT state, reason_code, loss_category, duration_s"
            " FROM staging.stg_machine_state_interval"
            " WHERE machine_id = 'ETCH-01' ORDER BY start_ts"
        ).fetchall()
    # Events at 60, 300, 360, 480 and 495 minutes; the last interval is still open.
    assert rows == [
        ("RUNNING", "RUN", "run", 4 * 3600.0),
        ("IDLE", "STARVED", "idle", 3600.0),
        ("RUNNING", "RUN", "run", 2 * 3600.0),
        ("OFFLINE", "BREAK", "planned_stop", 900.0),
        ("RUNNING", "RUN", "run", None),
    ]


def test_lot_genealogy_lists_every_wafer_step(built) -> None:
    dsn, _ = built
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT wafer_id, lot_id, step_no, machine_id, cycle_s, track_in_ts < track_out_ts"
            " FROM staging.stg_lot_genealogy ORDER BY wafer_id, step_no"
        ).fetchall()
    assert len(rows) == sum(wafers for _, _, wafers in LOTS) * len(ROUTE_TOOLS)
    first_wafer = [r for r in rows if r[0] == rows[0][0]]
    assert [r[3] for r in first_wafer] == list(ROUTE_TOOLS)
    assert {(r[4], r[5]) for r in rows} == {(1800.0, True)}


def test_a_failing_dbt_test_reports_without_blocking(built) -> None:
    """Without a window dbt tests cover the whole zone: a bad row fails its check (red in the
    UI) but the models still build; stopping a bad day is the data-quality gate's job."""
    dsn, _ = built
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO landing.machine_state (ts, machine_id, state, reason_code)"
            " VALUES ('2026-03-10 20:00+00', 'CMP-01', 'DOWN', 'GREMLINS')"
        )
    result = dg.materialize(
        [dbt_staging],
        selection=[dg.AssetKey("stg_machine_state_interval")],  # its model and tests only
        resources={"dbt": dbt_cli_resource(), "landing": LandingResource(dsn=dsn)},
        raise_on_error=False,
    )
    assert result.success
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert [c.check_name for c in failed] == [
        "relationships_stg_machine_state_interval_reason_code__reason_code__source_landing_state_reason_"
    ]
    assert not failed[0].blocking

    # Tests scoped to another day (what `fab demo` passes for the days it builds) skip the row.
    other_day = {"test_from": "2026-03-11T00:00:00+01:00", "test_to": "2026-03-12T00:00:00+01:00"}
    scoped = dg.materialize(
        [dbt_staging],
        selection=[dg.AssetKey("stg_machine_state_interval")],
        resources={"dbt": dbt_cli_resource(), "landing": LandingResource(dsn=dsn)},
        run_config={"ops": {"dbt_staging": {"config": other_day}}},
        raise_on_error=False,
    )
    assert scoped.success
    assert [c.check_name for c in scoped.get_asset_check_evaluations() if not c.passed] == []
    assert len(scoped.get_asset_check_evaluations()) == len(result.get_asset_check_evaluations())


def test_clean_clone_generates_the_manifest(tmp_path: Path) -> None:
    project_dir = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project_dir, ignore=shutil.ignore_patterns("target", "logs"))
    project = load_dbt_project(project_dir)
    assert project.manifest_path.exists()
    nodes = project.manifest_path.read_text()
    assert all(f'"model.fabstack.{m}"' in nodes for m in MODELS)


def test_source_freshness_flags_stale_time_series(built, monkeypatch) -> None:
    dsn, _ = built
    for name, value in dbt_env(dsn).items():
        monkeypatch.setenv(name, value)
    invocation = dbt_cli_resource().cli(["source", "freshness"], raise_on_error=False).wait()
    results = invocation.get_artifact("sources.json")["results"]
    status = {r["unique_id"].rsplit(".", 1)[1]: r["status"] for r in results}
    # The sample day is months old: every time-series table is past its error_after (6 h).
    assert status == dict.fromkeys(
        ["sensor_reading", "machine_state", "production_count", "lot_move", "inspection", "defect"],
        "error",
    )
