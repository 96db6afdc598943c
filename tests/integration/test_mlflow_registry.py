"""The MLflow-backed registry on a real PostgreSQL backend store: runs, versions, the champion
alias, the landing read model, and scoring that survives an MLflow outage or a missing alias.

The models are tiny (a column of the frame is the score), so each test runs in seconds.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import psycopg
import pytest

from assets.maintenance import registry
from fabstack.errors import FabError
from tests.conftest import REPO, free_port

TEST_FRAME = pl.DataFrame(
    {
        "label": [0, 0, 1, 1, 0, 1, 0, 0],
        "good": [0.1, 0.2, 0.9, 0.8, 0.3, 0.7, 0.2, 0.1],
        "bad": [0.9, 0.8, 0.1, 0.2, 0.7, 0.3, 0.6, 0.9],
    }
)


class ColumnModel:
    """Scores a frame with one of its columns (picklable by reference from this module)."""

    def __init__(self, column: str) -> None:
        self.column = column
        self.feature_columns = [column]
        self.params = {"column": column}

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        return frame[self.column].to_numpy()


def failure_result(column: str) -> SimpleNamespace:
    fitted = ColumnModel(column)
    return SimpleNamespace(
        fitted=fitted,
        metrics={
            "pr_auc": registry.pr_auc(fitted, TEST_FRAME),
            "share_flagged_24h": 0.5,
            "false_high_per_machine_month": 1.5,
            "confusion_matrix": {"tp": 2, "fp": 1, "fn": 1, "tn": 4},
        },
        baseline_metrics={"pr_auc": 0.3},
        importances=[{"feature": column, "importance": 0.2}],
        windows={
            "train": "2026-01-01..2026-01-20",
            "validation": "2026-01-21..2026-01-27",
            "test": "2026-01-28..2026-02-03",
        },
        test_frame=TEST_FRAME,
    )


CONFIG = SimpleNamespace(family="column", horizon_days=7, seed=1)


def test_register_promote_list_and_read_model(
    landing_dsn: str, fab_home: Path, mlflow_tracking: str
) -> None:
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        first = registry.register(conn, fab_home, failure_result("good"), CONFIG)
        assert first.version == 1 and not first.promoted
        assert first.artifact_path == "models:/failure_risk/1"
        assert first.run_url.startswith("http://127.0.0.1:5000/#/experiments/")

        # the run: parameters, flattened metrics, plots, the figures file and the model
        import mlflow

        client = mlflow.MlflowClient(mlflow_tracking, mlflow_tracking)
        run = client.get_run(first.run_id)
        assert run.data.params["family"] == "column" and run.data.params["horizon_days"] == "7"
        assert run.data.metrics["pr_auc"] == pytest.approx(1.0)
        assert run.data.metrics["confusion_matrix.fp"] == 1.0
        assert run.data.metrics["baseline.pr_auc"] == 0.3
        top = {a.path for a in client.list_artifacts(first.run_id)}
        assert {"record.json", "evaluation", "plots"} <= top
        plots = {a.path for a in client.list_artifacts(first.run_id, "plots")}
        assert plots == {"plots/pr_curve.png", "plots/importances.png"}
        # artifacts of the embedded store live under FAB_HOME/mlflow
        assert (fab_home / "mlflow" / "failure_risk").is_dir()

        assert registry.compare_and_promote(conn, 1).promoted
        second = registry.register(conn, fab_home, failure_result("bad"), CONFIG)
        refused = registry.compare_and_promote(conn, second.version)
        assert not refused.promoted and "worse" in refused.reason
        assert refused.previous == 1 and refused.current_pr_auc == pytest.approx(1.0)

        listed = registry.list_models(conn)
        assert [(m.version, m.promoted) for m in listed] == [(1, True), (2, False)]
        assert registry.get_model(conn, 1).promotion_note.startswith("v1 promoted")
        assert str(client.get_model_version_by_alias("failure_risk", "champion").version) == "1"
        with pytest.raises(FabError, match="no such version of failure_risk"):
            registry.get_model(conn, 9)

        # the landing read model the Maintenance board queries
        rows = conn.execute(
            "SELECT version, promoted, artifact_path, (metrics->>'pr_auc')::float "
            "FROM landing.model_registry ORDER BY version"
        ).fetchall()
        assert rows == [
            (1, True, "models:/failure_risk/1", pytest.approx(1.0)),
            (2, False, "models:/failure_risk/2", rows[1][3]),
        ]

        # forcing moves the alias and the read model's flag together
        assert registry.compare_and_promote(conn, 2, force=True).promoted
        flags = conn.execute("SELECT version FROM landing.model_registry WHERE promoted").fetchall()
        assert flags == [(2,)]
        record, fitted = registry.load_promoted(conn, home=fab_home)
        assert record.version == 2
        assert list(fitted.predict(TEST_FRAME)) == TEST_FRAME["bad"].to_list()


def test_scoring_keeps_the_last_champion_when_mlflow_is_down_or_the_alias_is_gone(
    landing_dsn: str,
    fab_home: Path,
    mlflow_tracking: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    from fabstack.settings import get_settings

    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        # never scores without a model: no alias yet and nothing loaded before
        with pytest.raises(FabError, match="no champion alias on model failure_risk.*not scoring"):
            registry.load_promoted(conn, home=fab_home)
        registry.register(conn, fab_home, failure_result("good"), CONFIG)
        registry.compare_and_promote(conn, 1)
        assert registry.load_promoted(conn, home=fab_home)[0].version == 1

        # the alias disappears: scoring goes on with the champion loaded last, and says so
        import mlflow

        mlflow.MlflowClient(mlflow_tracking, mlflow_tracking).delete_registered_model_alias(
            "failure_risk", "champion"
        )
        with caplog.at_level(logging.WARNING, logger=registry.__name__):
            record, fitted = registry.load_promoted(conn, home=fab_home)
        assert record.version == 1 and fitted.predict(TEST_FRAME)[2] == 0.9
        assert "no champion alias" in caplog.text and "last champion loaded, v1" in caplog.text

        # the server is down: same, with one line naming it
        down = f"http://127.0.0.1:{free_port()}"
        monkeypatch.setenv("FAB_MLFLOW_TRACKING_URI", down)
        get_settings.cache_clear()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=registry.__name__):
            assert registry.load_promoted(conn, home=fab_home)[0].version == 1
        assert f"MLflow at {down}: nothing answers" in caplog.text
        with pytest.raises(FabError, match="nothing answers.*not scoring"):
            registry.load_promoted(conn, home=tmp_path / "other_home")

    # the CLI: one line on stderr, exit 2, no traceback
    env = {**os.environ, "FAB_PG_DSN": landing_dsn, "FAB_MLFLOW_TRACKING_URI": down}
    listed = subprocess.run(
        [str(REPO / ".venv" / "bin" / "fab"), "model", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 2
    assert listed.stderr.strip() == (
        f"fab: error: MLflow at {down}: nothing answers (is the server up?)"
    )


def test_any_model_name_uses_the_same_registry(
    landing_dsn: str, fab_home: Path, mlflow_tracking: str
) -> None:
    """A multi-class model (the wafer-signature classifier) with no horizon or time windows:
    registered and promoted by its own score, kept out of the failure-model read model."""
    frame = pl.DataFrame({"label": ["edge", "center", "edge"], "guess": ["edge", "center", "ring"]})

    def accuracy(fitted, test: pl.DataFrame) -> float:
        return float((fitted.predict(test) == test["label"].to_numpy()).mean())

    result = SimpleNamespace(
        fitted=ColumnModel("guess"),
        metrics={"accuracy": 2 / 3, "recall": {"edge": 0.5, "center": 1.0}},
        test_frame=frame,
    )
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        record = registry.register(
            conn, fab_home, result, SimpleNamespace(family="tree"), "wafer_signature"
        )
        assert record.version == 1 and record.horizon_days is None and record.test_start is None
        assert record.metrics["recall"] == {"edge": 0.5, "center": 1.0}
        outcome = registry.compare_and_promote(
            conn, 1, model_name="wafer_signature", score=accuracy, score_name="accuracy"
        )
        assert outcome.promoted and outcome.candidate_pr_auc == pytest.approx(2 / 3)
        assert registry.promoted_model(conn, "wafer_signature").version == 1
        assert registry.list_models(conn) == []  # the failure model has no versions
        n = conn.execute(
            "SELECT count(*) FROM landing.model_registry WHERE model_name = 'wafer_signature'"
        ).fetchone()[0]
        assert n == 0
        import mlflow

        run = mlflow.MlflowClient(mlflow_tracking).get_run(record.run_id)
        assert run.data.metrics["recall.edge"] == 0.5
        with pytest.raises(FabError, match="model_name"):
            registry.list_models(conn, "bad name'")


def test_rows_from_before_mlflow_are_imported_once(
    landing_dsn: str, fab_home: Path, mlflow_tracking: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two versions registered by the old file registry (v1 promoted, v2 whose files are gone)
    move into MLflow at the first registration: v1 keeps its figures and stays the champion;
    v2 is reported skipped; the new model comes after them."""
    import joblib

    old = fab_home / "models" / "failure_risk"
    (old / "v1").mkdir(parents=True)
    joblib.dump(ColumnModel("good"), old / "v1" / "model.joblib")
    TEST_FRAME.write_parquet(old / "v1" / "test.parquet")
    insert = (
        "INSERT INTO landing.model_registry (model_name, version, family, horizon_days, params,"
        " seed, feature_columns, metrics, importances, train_start, train_end, validation_start,"
        " validation_end, test_start, test_end, code_version, artifact_path, promoted,"
        " promotion_note) VALUES ('failure_risk', %s, 'column', 7, '{}', 1, '[\"good\"]',"
        " '{\"pr_auc\": 1.0}', '[]', '2026-01-01', '2026-01-20', '2026-01-21', '2026-01-27',"
        " '2026-01-28', '2026-02-03', 'abc123', %s, %s, %s)"
    )
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        conn.execute(insert, (1, str(old / "v1" / "model.joblib"), True, "v1 promoted"))
        conn.execute(insert, (2, str(old / "v2" / "model.joblib"), False, ""))
        with caplog.at_level(logging.INFO, logger=registry.__name__):
            fresh = registry.register(conn, fab_home, failure_result("bad"), CONFIG)
        assert "imported from before MLflow: v1 -> MLflow v1 (champion)" in caplog.text
        assert f"imported from before MLflow: v2: skipped, {old / 'v2'} is gone" in caplog.text
        assert fresh.version == 2 and not fresh.promoted
        record = registry.promoted_model(conn)
        assert record.version == 1 and record.code_version == "abc123"
        assert record.metrics == {"pr_auc": 1.0} and str(record.test_start) == "2026-01-28"
        rows = conn.execute(
            "SELECT version, promoted, artifact_path FROM landing.model_registry ORDER BY 1"
        ).fetchall()
        assert rows == [(1, True, "models:/failure_risk/1"), (2, False, "models:/failure_risk/2")]
        # idempotent: nothing left to import
        assert registry.import_legacy(conn, fab_home) == [
            "no failure_risk versions from before MLflow: nothing to import"
        ]


def test_a_version_whose_artifacts_are_gone_hides_nothing_else(
    landing_dsn: str, fab_home: Path, mlflow_tracking: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The store outlives a deleted FAB_HOME (the champion's artifacts went with it): listing
    skips that version with a warning, and a new version is promoted with the reason."""
    import shutil

    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        registry.register(conn, fab_home, failure_result("good"), CONFIG)
        assert registry.compare_and_promote(conn, 1).promoted
        shutil.rmtree(fab_home / "mlflow")  # the first home's artifacts are gone
        registry.register(conn, fab_home, failure_result("good"), CONFIG)
        with caplog.at_level(logging.WARNING):
            listed = [m.version for m in registry.list_models(conn)]
        assert listed == [2]
        assert "v1 skipped: its record cannot be read" in caplog.text
        outcome = registry.compare_and_promote(conn, 2)
    assert outcome.promoted and "the champion could not be read" in outcome.reason
