"""`fab boards check` on demo data: every board panel, template variable and alert query runs on
the real engines (PostgreSQL landing zone, chDB warehouse) and returns rows.

The module builds its own demo: the simulator backfills three days into a fresh landing zone,
then the warehouse, OEE, SPC and defect facts and a production plan are built with the same
plain functions the Dagster assets call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import psycopg
import pytest

from dashboards.check import (
    landing_runner,
    latest_event,
    load_boards,
    run_check,
    warehouse_runner,
)
from dashboards.sql import LANDING, WAREHOUSE
from tests.conftest import REPO, create_database, drop_database

pytestmark = pytest.mark.slow

# Inside the landing zone's retention window (the simulator's default end: the last whole hour).
END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
DAYS = 3
TZ = "Europe/Berlin"
# Facts whose builders need more history than this test makes (the failure model trains on
# weeks of data): their panels must run cleanly and may come back empty here.
NEEDS_TRAINED_MODEL = ("fact_failure_risk", "fact_machine_health", "model_registry")


def _days() -> list[date]:
    first = (END - timedelta(days=DAYS)).date()
    return [first + timedelta(days=i) for i in range((END.date() - first).days + 1)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from assets.defects.build import compute_defect_day, write_defect_day
    from assets.maintenance.anomaly import detect_anomalies, sensor_windows
    from assets.maintenance.warehouse_io import ensure_schema as ensure_maintenance_schema
    from assets.maintenance.warehouse_io import inputs_from_warehouse, replace_days
    from assets.oee.build import compute_oee_day, ensure_oee_schema, write_oee_day, write_targets
    from assets.planning.nightly import PlanRunOptions, run_plan
    from assets.spc.build import build_capability_day, build_spc_day, update_limits
    from ingestion.simulator.backfill import run_backfill
    from warehouse import build as wb
    from warehouse.client import ChdbWarehouse

    dsn = create_database("fabboards")
    home = tmp_path_factory.mktemp("boards_home")
    run_backfill(dsn, "demo", DAYS, 42, END, sensor_rate_hz=0.05)
    wh = ChdbWarehouse(home / "warehouse")
    try:
        wb.ensure_schema(wh)
        wb.build_dims(wh, dsn, TZ)
        ensure_oee_schema(wh)
        write_targets(wh)
        ensure_maintenance_schema(wh)
        with psycopg.connect(dsn, autocommit=True) as conn:
            for day in _days():
                wb.build_day(wh, day, dsn, TZ, now=END)
                write_oee_day(wh, day, compute_oee_day(wh, conn, day, TZ, now=END))
            for day in _days():
                update_limits(wh, conn, day, TZ, baseline_days=1, min_points=5, now=END)
                build_spc_day(wh, conn, day, TZ)
                build_capability_day(wh, day)
                write_defect_day(wh, day, compute_defect_day(wh, day))
            now = latest_event(conn)
            run_plan(conn, now, PlanRunOptions(time_limit_s=5, workers=1))
            _forecasts(wh, conn, now)
        # Anomaly scores need no trained failure model: the Isolation Forest path of the
        # maintenance assets, on the warehouse's hourly sensor windows.
        inputs = inputs_from_warehouse(
            wh, END - timedelta(days=DAYS + 1), END, wb.landing_params(dsn)
        )
        anomalies = detect_anomalies(sensor_windows(inputs.sensor_hourly), inputs.machines, seed=42)
        replace_days(
            wh,
            "fact_anomaly",
            anomalies.with_columns(
                day=pl.col("window_start").dt.date(), is_anomaly=pl.col("is_anomaly").cast(pl.UInt8)
            ),
        )
    finally:
        wh.close()
    yield dsn, home
    drop_database(dsn)


def _forecasts(wh, conn: psycopg.Connection, now: datetime) -> None:
    """The forecasting assets' steps: Monte Carlo capacity and the plan's on-time forecast."""
    from assets.forecasting.history import forecast_latest_plan, load_forecast_inputs
    from assets.forecasting.montecarlo import forecast_capacity
    from assets.forecasting.store_warehouse import write_capacity, write_on_time

    day = END.date()
    inputs = load_forecast_inputs(conn, now, 30)
    base = forecast_capacity(
        inputs.machines, inputs.visits_per_wafer, days=30, sims=500, seed=1, fan=True
    )
    write_capacity(wh, day, base, [])
    result = forecast_latest_plan(conn, now, sims=500, seed=1)
    write_on_time(wh, day, result.plan_id, result.plan_start, result.forecast)


def _check(dsn: str, home: Path, **kwargs):
    from warehouse.client import ChdbWarehouse

    wh = ChdbWarehouse(home / "warehouse")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            runners = {LANDING.uid: landing_runner(conn), WAREHOUSE.uid: warehouse_runner(wh)}
            now = kwargs.pop("now", None) or latest_event(conn)
            return run_check(runners, now, **kwargs)
    finally:
        wh.close()


def _pending(outcome) -> bool:
    return any(table in outcome.sql for table in NEEDS_TRAINED_MODEL)


def test_every_board_and_alert_query_runs_on_the_demo(demo) -> None:
    dsn, home = demo
    report = _check(dsn, home, strict=False)
    errors = [f"{o.board}: {o.where}: {o.error}" for o in report.outcomes if o.error]
    assert errors == []
    empty = [f"{o.board}: {o.where}" for o in report.failures if not _pending(o)]
    assert empty == [], "queries with no rows on the demo"
    boards = {o.board for o in report.outcomes}
    assert len([b for b in boards if not b.startswith("alert")]) == 7
    assert len([o for o in report.outcomes if o.where.startswith("alert")]) == 6
    assert any(o.rows for o in report.outcomes if "fact_anomaly" in o.sql and "panel" in o.where)
    populated = {o.board for o in report.outcomes if o.rows}
    assert {
        "Plant overview",
        "Machine detail",
        "SPC",
        "Quality",
        "Planning",
        "Live operations",
    } <= populated


def test_result_columns_are_human_labels(demo) -> None:
    dsn, home = demo
    report = _check(dsn, home, strict=False)
    for o in report.outcomes:
        if o.where.startswith(("alert", "variable")) or not o.columns:
            continue
        for column in o.columns:
            raw = re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", column)
            assert not raw, f"{o.board}: {o.where}: raw column name {column!r}"


def test_wafer_map_shows_defects_on_a_300_mm_wafer(demo) -> None:
    from warehouse.client import ChdbWarehouse

    dsn, home = demo
    wh = ChdbWarehouse(home / "warehouse")
    try:
        outline = wh.query((REPO / "dashboards/queries/quality/wafer_outline.sql").read_text())
        radius = (outline["X"] ** 2 + outline["Wafer edge"] ** 2).sqrt()
        assert outline.height == 181 and (radius - 150).abs().max() < 1e-6
        wafer = wh.scalar("SELECT wafer_id FROM fab.fact_defect LIMIT 1")
        sql = (REPO / "dashboards/queries/quality/wafer_map.sql").read_text()
        points = wh.query(sql.replace("${wafer}", wafer))
        assert points.height > 0
        assert ((points["X"] ** 2 + points["Y"] ** 2).sqrt() <= 150).all()
        assert points["Type"].n_unique() >= 1
    finally:
        wh.close()


def test_strict_check_of_the_live_board_with_every_kind_of_event(demo) -> None:
    """With alarms, interlocks, quarantines, dead letters and a reporting ingestor in range,
    every live panel has rows (nothing is excused as an empty event list)."""
    from ingestion.sink import LandingSink

    dsn, home = demo
    with psycopg.connect(dsn, autocommit=True) as conn:
        now = latest_event(conn)
        at = now - timedelta(minutes=30)
        lot = conn.execute("SELECT lot_id FROM landing.lot LIMIT 1").fetchone()[0]
        sink = LandingSink(conn)
        sink.write("alarm", [(at, "ETCH-01", "A-TEST", 3, "test alarm", 1)])
        sink.write(
            "interlock_event", [(at, "ETCH-01", "temp_high", "temperature", 190.0, 185.0, "stop")]
        )
        sink.write("quarantine_log", [(at, lot, "ETCH-01", "interlock temp_high")])
        sink.dead_letter("mqtt", "fab/v1/x", "{not json", "json: invalid payload")
        conn.execute("UPDATE landing.dead_letter SET received_at = %s", (at,))
        conn.execute(
            "INSERT INTO landing.ingest_status (ingestor, source, started_at, updated_at, "
            "connected, messages_per_s, rows_per_s, lag_ms) "
            "VALUES ('mqtt:test', 'mqtt', %s, %s, true, 10, 100, 42) "
            "ON CONFLICT (ingestor) DO NOTHING",
            (at, at),
        )
    live = [b for b in load_boards() if b["uid"] == "fab-live"]
    report = _check(dsn, home, boards=live, alerts={"groups": []}, strict=True, now=now)
    assert [f"{o.where}: {o.reason}" for o in report.failures] == []


def test_database_roles_have_least_privilege(demo) -> None:
    """roles.sql and grants.sql on a migrated landing zone (in a transaction, rolled back)."""
    dsn, _ = demo
    roles = (REPO / "deploy/timescaledb/roles.sql").read_text()
    roles = re.sub(r":'(\w+)_password'", r"'test-\1'", roles)
    grants = (REPO / "deploy/timescaledb/grants.sql").read_text()
    with psycopg.connect(dsn) as conn:
        try:
            conn.execute(roles)
            conn.execute(grants)
            conn.execute(grants)  # idempotent: re-run after every migration

            def can(role: str, table: str, privilege: str) -> bool:
                return conn.execute(
                    "SELECT has_table_privilege(%s, %s, %s)", (role, table, privilege)
                ).fetchone()[0]

            assert can("fab_ingest", "landing.sensor_reading", "INSERT")
            assert can("fab_ingest", "landing.ingest_status", "UPDATE")
            assert not can("fab_ingest", "landing.sensor_reading", "DELETE")
            assert not can("fab_ingest", "landing.machine", "INSERT")
            assert can("fab_warehouse", "landing.sensor_reading", "SELECT")
            assert can("fab_warehouse", "landing.schedule_slot", "INSERT")
            assert not can("fab_warehouse", "landing.sensor_reading", "INSERT")
            for table in ("landing.machine_state", "landing.dead_letter", "landing.plan_run"):
                assert can("fab_grafana", table, "SELECT")
                assert not can("fab_grafana", table, "INSERT")
                assert not can("fab_grafana", table, "UPDATE")
            read_only = conn.execute(
                "SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = "
                "s.setrole WHERE r.rolname = 'fab_grafana'"
            ).fetchone()[0]
            assert "default_transaction_read_only=on" in read_only
        finally:
            conn.rollback()


def test_fab_boards_check_command(demo, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from fabcli.main import app
    from fabstack.errors import FabError

    dsn, home = demo
    monkeypatch.setenv("FAB_PG_DSN", dsn)
    monkeypatch.setenv("FAB_HOME", str(home))
    runner = CliRunner()
    boards = [
        "--board",
        "plant",
        "--board",
        "spc",
        "--board",
        "quality",
        "--board",
        "planning",
        "--board",
        "live",
    ]
    result = runner.invoke(app, ["boards", "check", *boards])
    assert result.exit_code == 0, result.output
    assert "queries ran" in result.output
    bad = runner.invoke(app, ["boards", "check", "--board", "no-such-board"])
    assert isinstance(bad.exception, FabError) and "no-such-board" in str(bad.exception)
    # A query that cannot run makes the command fail (exit 1) and names the panel.
    broken = runner.invoke(
        app, ["boards", "check", "--board", "plant", "--now", "2001-01-01T00:00:00+00:00"]
    )
    assert broken.exit_code == 1 and "no rows" in broken.output
