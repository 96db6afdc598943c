"""The Dagster code location: loads, validates, and materializes days in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from tests.conftest import REPO
from tests.integration.warehouse_dataset import DAY, EXPECTED_STATE_SECONDS, write_dataset


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration.definitions import defs as location

    return location


def test_code_location_loads_with_every_warehouse_table(defs: dg.Definitions) -> None:
    from warehouse.build import DIMS, FACTS

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert set(DIMS) | set(FACTS) <= keys
    assert "landing/machine_state" in keys and "landing/sensor_reading" in keys
    for name in (*DIMS, *FACTS):
        node = graph.get(dg.AssetKey(name))
        assert node.group_name == "warehouse"
        assert node.description and len(node.description) > 40
        assert {"clickhouse", "sql"} <= set(node.kinds)
        assert node.owners == ["team:data-engineering"]
    for name in FACTS:
        partitions = graph.get(dg.AssetKey(name)).partitions_def
        assert isinstance(partitions, dg.DailyPartitionsDefinition)
        assert partitions.timezone == "Europe/Berlin"
    assert set(defs.resources) >= {"landing", "warehouse"}
    job = defs.resolve_job_def("fab_daily")
    assert job.partitions_def is not None
    # other domains add their own schedules and sensors
    assert {s.name for s in defs.schedules} >= {
        "hourly_refresh_today",
        "nightly_finalise_yesterday",
    }
    assert "landing_arrivals" in {s.name for s in defs.sensors}


@pytest.mark.slow
def test_dagster_definitions_validate_passes(tmp_path: Path) -> None:
    dagster = Path(sys.executable).parent / "dagster"
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(REPO / "orchestration/workspace.yaml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "passed validation" in result.stdout + result.stderr


def test_dagster_yaml_keeps_runs_events_and_schedules_in_postgres(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    from orchestration.instance import dagster_storage_url

    monkeypatch.setenv("FAB_DAGSTER_STORAGE_URL", dagster_storage_url(empty_db))
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": "fab/warehouse", "limit": 1} in limits
    finally:
        instance.dispose()
    with psycopg.connect(empty_db) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert {"runs", "event_logs", "jobs"} <= tables


def test_schedules_ask_for_plant_local_days(defs: dg.Definitions) -> None:
    hourly = defs.get_schedule_def("hourly_refresh_today")
    nightly = defs.get_schedule_def("nightly_finalise_yesterday")
    # 23:07 UTC on 2025-06-01 is already 2025-06-02 in Berlin
    at = datetime(2025, 6, 1, 23, 7, tzinfo=UTC)
    with dg.build_schedule_context(
        scheduled_execution_time=at, repository_def=defs.get_repository_def()
    ) as context:
        assert hourly.evaluate_tick(context).run_requests[0].partition_key == "2025-06-02"
        assert nightly.evaluate_tick(context).run_requests[0].partition_key == "2025-06-01"


def test_sensor_fingerprints_landing_days(landing_dsn: str) -> None:
    from orchestration.sensors import days_to_run, landing_day_counts

    write_dataset(landing_dsn)
    with psycopg.connect(landing_dsn) as conn:
        counts = landing_day_counts(conn, "Europe/Berlin", datetime(2025, 3, 1, tzinfo=UTC))
    # ETCH-01 23:00 UTC events on 03-30 count for the Berlin day 03-31
    assert counts["2025-03-30"] > 0 and counts["2025-03-31"] == 1
    today = date(2025, 3, 31)
    assert days_to_run({}, counts, today) == sorted(counts)
    assert days_to_run(counts, counts, today) == []
    later = {**counts, "2025-03-31": 5, "2025-03-30": counts["2025-03-30"] + 1}
    # today already seen: left to the hourly schedule; a late past day reruns
    assert days_to_run(counts, later, today) == ["2025-03-30"]


def test_materialize_days_in_process_with_metadata(landing_dsn: str, fab_home: Path) -> None:
    """The warehouse domain alone: the hand-written sensor values are not plausible on purpose,
    so the data-quality domain's blocking checks would (rightly) stop them."""
    from assets.resources import LandingResource
    from orchestration.location import build_definitions
    from orchestration.run import materialize_days
    from warehouse.build import FACTS

    defs = build_definitions(["warehouse"])
    write_dataset(landing_dsn)
    seen: list[tuple[int, int, str]] = []
    resources = {"landing": LandingResource(dsn=landing_dsn)}
    results = materialize_days(
        [DAY], progress=lambda *a: seen.append(a), defs=defs, resources=resources
    )
    assert seen[0] == (0, 1, DAY.isoformat()) and seen[-1] == (1, 1, DAY.isoformat())
    events = {
        e.asset_key.to_user_string(): e for e in results[0].get_asset_materialization_events()
    }
    for name in FACTS:
        metadata = events[name].materialization.metadata
        assert events[name].partition == DAY.isoformat()
        assert {"dagster/row_count", "partition_bytes", "first_ts", "last_ts"} <= set(metadata)
    state = events["fact_machine_state"].materialization.metadata
    assert state["dagster/row_count"].value == 11  # the shift-split intervals of the dataset
    assert state["partition_bytes"].value > 0
    assert state["first_ts"].value == "2025-03-29T23:00:00+00:00"
    first_counts = {n: events[n].materialization.metadata["dagster/row_count"].value for n in FACTS}

    again = materialize_days([DAY], defs=defs, resources=resources, refresh_dimensions=False)
    events = {e.asset_key.to_user_string(): e for e in again[0].get_asset_materialization_events()}
    assert "dim_machine" not in events
    assert {
        n: events[n].materialization.metadata["dagster/row_count"].value for n in FACTS
    } == first_counts

    from fabstack.settings import load_settings
    from warehouse.client import open_warehouse

    with open_warehouse(load_settings()) as wh:
        total = wh.scalar(
            "SELECT sum(duration_s) FROM fab.fact_machine_state WHERE day = {day:Date}",
            {"day": DAY},
        )
    assert total == sum(EXPECTED_STATE_SECONDS.values())


def test_fab_ui_prepares_dagster_home(
    empty_db: str, fab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fabcli.ui import prepare_dagster_home

    monkeypatch.setenv("FAB_DAGSTER_PG_DSN", empty_db)
    env = prepare_dagster_home()
    assert Path(env["DAGSTER_HOME"]) == fab_home.resolve() / "dagster"
    assert (Path(env["DAGSTER_HOME"]) / "dagster.yaml").read_text().startswith("# Dagster")
    assert env["FAB_DAGSTER_STORAGE_URL"].split("://")[1] == empty_db.split("://")[1]
