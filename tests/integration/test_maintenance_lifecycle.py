"""Retrain from config -> metrics as metadata -> MLflow version -> champion -> scoring uses it.

A small synthetic plant (6 machines, 75 days, wear-out precursors) is landed in a fresh
PostgreSQL database; the maintenance assets run in-process with an isolated FAB_HOME (chDB).
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from assets.maintenance.synthetic import SyntheticPlant, make_plant
from fabstack.errors import FabError
from ingestion.sink import LandingSink
from tests.conftest import REPO, drop_database, migrated_and_seeded

DAYS = 60


def land(dsn: str, plant: SyntheticPlant) -> None:
    """Write the synthetic plant through LandingSink, as ingestion would."""
    inputs = plant.inputs
    with psycopg.connect(dsn, autocommit=True) as conn:
        sink = LandingSink(conn)
        sink.write(
            "machine_state",
            [
                (r["ts"], r["machine_id"], r["state"], r["reason_code"], i)
                for i, r in enumerate(inputs.states.iter_rows(named=True))
            ],
        )
        sink.write(
            "sensor_reading",
            [(ts, m, metric, value, 0) for m, ts, metric, value in plant.readings.iter_rows()],
        )
        sink.write(
            "production_count",
            [
                (
                    datetime.combine(r["day"], time(12), UTC),
                    r["machine_id"],
                    None,
                    None,
                    r["cycles"],
                    0,
                    i,
                )
                for i, r in enumerate(inputs.counts.iter_rows(named=True))
            ],
        )
        sink.write(
            "alarm",
            [
                (datetime.combine(r["day"], time(1), UTC), r["machine_id"], "HOT", 3, "", i)
                for i, r in enumerate(inputs.alarms.iter_rows(named=True))
            ],
        )


@pytest.fixture(scope="module")
def plant_dsn():
    dsn = migrated_and_seeded()
    plant = make_plant(
        days=DAYS, machines=6, seed=11, sample_min=20, start=datetime(2026, 1, 1, tzinfo=UTC)
    )
    land(dsn, plant)
    yield dsn
    drop_database(dsn)


@pytest.fixture
def env(
    plant_dsn: str, fab_home: Path, mlflow_tracking: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setenv("FAB_PG_DSN", plant_dsn)
    return {**os.environ, "FAB_PG_DSN": plant_dsn, "FAB_HOME": str(fab_home)}


def fab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The real `fab` console script: exit codes and stderr as a user sees them."""
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "fab"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def fab_json(*args: str):
    """`fab model ... --json` in-process (the env is already set by the fixtures)."""
    from typer.testing import CliRunner

    from fabcli.main import app

    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def materialize(
    selection,
    plant_dsn: str,
    fab_home: Path,
    run_config: dict | None = None,
    raise_on_error: bool = True,
    partition_key: str | None = None,
) -> dg.ExecuteInProcessResult:
    from assets.maintenance.assets import MAINTENANCE_ASSETS
    from assets.resources import LandingResource, WarehouseResource

    return dg.materialize(
        MAINTENANCE_ASSETS,
        selection=selection,
        run_config=run_config or {},
        resources={
            "landing": LandingResource(dsn=plant_dsn),
            "warehouse": WarehouseResource(home=str(fab_home)),
        },
        raise_on_error=raise_on_error,
        partition_key=partition_key,
    )


SCORING = ["fact_failure_risk", "fact_machine_health"]  # one multi-asset: scored once


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"{asset} was not materialized")


def test_retrain_register_promote_and_score(plant_dsn: str, fab_home: Path, env) -> None:
    features = materialize(
        ["maintenance_features"],
        plant_dsn,
        fab_home,
        {"ops": {"maintenance_features": {"config": {"days": DAYS, "source": "landing"}}}},
    )
    meta = metadata(features, "maintenance_features")
    assert meta["machines"] == 6 and meta["failures_in_window"] > 10 and meta["features"] > 40
    window_end = datetime.fromisoformat(meta["window"].split(" .. ")[1])
    last_day = (window_end - timedelta(minutes=1)).date().isoformat()  # the newest featured day

    # 1. train from config: metrics as metadata, a registry row, promoted (first model)
    good = {"ops": {"failure_model": {"config": {"horizon_days": 3, "seed": 1}}}}
    trained = materialize(["failure_model"], plant_dsn, fab_home, good)
    m1 = metadata(trained, "failure_model")
    assert m1["model_version"] == 1 and m1["promoted"] is True
    assert m1["pr_auc"] > 0.6 and m1["pr_auc"] > m1["baseline_pr_auc"]
    assert "HIGH" in m1["confusion_matrix"] and "temperature" in m1["feature_importances"]
    # the run and the version live in MLflow; the asset links to the run
    assert m1["artifact"] == "models:/failure_risk/1"
    assert m1["mlflow_run"].startswith("http://127.0.0.1:5000/#/experiments/")

    # 2. daily scoring with the promoted model writes the warehouse fact
    scored = materialize(["fact_anomaly", *SCORING], plant_dsn, fab_home, partition_key=last_day)
    assert metadata(scored, "fact_failure_risk")["model_version"] == 1
    assert metadata(scored, "fact_failure_risk")["mlflow_run"] == m1["mlflow_run"]
    assert metadata(scored, "fact_machine_health")["dagster/row_count"] == 6
    # risk and health come from one scoring: same model, same day
    assert metadata(scored, "fact_machine_health")["model_version"] == 1

    # 3. a clearly worse model is registered but not promoted
    worse = {
        "ops": {
            "failure_model": {
                "config": {
                    "horizon_days": 3,
                    "family": "random_forest",
                    "seed": 1,
                    "params": {"n_estimators": 1, "max_depth": 1, "max_features": 1},
                }
            }
        }
    }
    m2 = metadata(materialize(["failure_model"], plant_dsn, fab_home, worse), "failure_model")
    assert m2["model_version"] == 2 and m2["promoted"] is False
    assert "worse" in m2["promotion"]

    # ... and so is a model of another horizon: PR AUCs of different targets do not compare
    other = {"ops": {"failure_model": {"config": {"horizon_days": 2, "seed": 1}}}}
    m3 = metadata(materialize(["failure_model"], plant_dsn, fab_home, other), "failure_model")
    assert m3["model_version"] == 3 and m3["promoted"] is False
    assert "not comparable" in m3["promotion"]

    # 4. the CLI sees the versions and refuses, then forces, the promotion
    rows = fab_json("model", "list")
    assert [(r["version"], r["promoted"]) for r in rows] == [(1, True), (2, False), (3, False)]
    assert rows[0]["code_version"] and rows[0]["test_start"] <= rows[0]["test_end"]
    refused = fab(env, "model", "promote", "2")
    assert refused.returncode == 2 and "worse" in refused.stderr
    assert fab_json("model", "promote", "v2", "--force")["promoted"] is True

    # 5. the next scoring run uses the promoted model
    rescored = materialize(SCORING, plant_dsn, fab_home, partition_key=last_day)
    assert metadata(rescored, "fact_failure_risk")["model_version"] == 2
    from fabstack.settings import load_settings
    from warehouse.client import open_warehouse

    with open_warehouse(load_settings(home=fab_home)) as wh:
        versions = wh.query(
            "SELECT model_version, count() AS n FROM fab.fact_failure_risk GROUP BY model_version"
        )
    assert versions.rows() == [(2, 6)]  # the day was replaced, not appended

    assert fab_json("model", "show", "1")["metrics"]["pr_auc"] > 0.6


def test_bad_input_is_a_clear_failure(plant_dsn: str, fab_home: Path, env) -> None:
    bad = materialize(
        ["failure_model"],
        plant_dsn,
        fab_home,
        {"ops": {"failure_model": {"config": {"horizon_days": 15}}}},
        raise_on_error=False,
    )
    assert not bad.success
    failure = [e for e in bad.all_events if e.is_step_failure][0]
    assert "horizon_days" in failure.step_failure_data.error.message
    unscored = materialize(
        SCORING, plant_dsn, fab_home, raise_on_error=False, partition_key="2026-01-15"
    )
    assert not unscored.success
    failure = [e for e in unscored.all_events if e.is_step_failure][0]
    message = failure.step_failure_data.error.message
    assert "features.parquet is missing: materialize maintenance_features first" in message
    missing = fab(env, "model", "show", "99")
    assert missing.returncode == 2 and "no such version" in missing.stderr
    from fabcli.model import parse_version

    with pytest.raises(FabError, match="VERSION"):
        parse_version("latest")


def test_warehouse_inputs_match_landing(plant_dsn: str, fab_home: Path) -> None:
    """The ClickHouse aggregation gives the same hourly statistics as PostgreSQL's."""
    from assets.maintenance.sources import inputs_from_landing
    from assets.maintenance.warehouse_io import inputs_from_warehouse
    from fabstack.settings import load_settings
    from warehouse.build import build_dims, build_fact, ensure_schema, landing_params
    from warehouse.client import open_warehouse

    days = [date(2026, 1, 20), date(2026, 1, 21)]
    start, end = datetime(2026, 1, 20, 6, tzinfo=UTC), datetime(2026, 1, 21, 18, tzinfo=UTC)
    with open_warehouse(load_settings(home=fab_home)) as wh:
        ensure_schema(wh)
        build_dims(wh, plant_dsn, "Europe/Berlin")
        for day in [days[0] - timedelta(days=1), *days, days[-1] + timedelta(days=1)]:
            for fact in ("fact_machine_state", "fact_sensor_minute", "fact_production_hourly"):
                build_fact(wh, fact, day, plant_dsn, "Europe/Berlin")
        from_wh = inputs_from_warehouse(wh, start, end, landing_params(plant_dsn))
    with psycopg.connect(plant_dsn) as conn:
        from_pg = inputs_from_landing(conn, start, end)
    key = ["machine_id", "hour", "metric"]
    a = from_wh.sensor_hourly.sort(key)
    b = from_pg.sensor_hourly.sort(key)
    assert a.height == b.height > 0
    assert a.select(key).equals(b.select(key))
    for col in ("avg", "min", "max", "std"):
        assert (a[col] - b[col]).abs().max() < 1e-6
    assert a["n"].to_list() == b["n"].to_list()
    assert from_wh.machines.height == 10 and from_wh.limits.height > 0
    assert from_wh.counts["cycles"].sum() > 0
    fails = lambda s: s.filter(s["state"] == "DOWN").height  # noqa: E731
    assert fails(from_wh.states) >= fails(from_pg.states) > 0 or fails(from_pg.states) == 0
