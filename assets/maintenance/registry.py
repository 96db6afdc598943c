"""Model registry: artifacts under ``FAB_HOME/models/<model>/v<N>/``, rows in PostgreSQL.

Each version keeps its calibrated model (``model.joblib``) and its labelled test window
(``test.parquet``), so promotion can score the new and the current model on the *same* rows:
a version is promoted only when its PR AUC there is not worse than the current one's, unless
forced. At most one version per model is promoted (a partial unique index).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import polars as pl
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from sklearn.metrics import average_precision_score

from assets.maintenance.common import MODEL_NAME
from assets.maintenance.sources import named_queries
from assets.maintenance.train import FittedModel, TrainConfig
from fabstack.errors import FabError

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-9


def q(name: str) -> str:
    return named_queries("registry.sql")[name]


@cache
def code_version() -> str:
    """``git describe`` of the working tree, else the installed package version."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        if out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return f"fabstack {metadata.version('fabstack')}"
    except metadata.PackageNotFoundError:
        return "unknown"


def models_dir(home: Path, model_name: str = MODEL_NAME) -> Path:
    return Path(home) / "models" / model_name


@dataclass
class ModelRecord:
    model_name: str
    version: int
    family: str
    horizon_days: int
    params: dict[str, Any]
    seed: int
    feature_columns: list[str]
    metrics: dict[str, Any]
    baseline_metrics: dict[str, Any] | None
    importances: list[dict[str, Any]]
    train_start: date
    train_end: date
    validation_start: date
    validation_end: date
    test_start: date
    test_end: date
    code_version: str
    artifact_path: str
    created_at: datetime
    promoted: bool
    promoted_at: datetime | None
    promotion_note: str

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key, value in out.items():
            if isinstance(value, date | datetime):
                out[key] = value.isoformat()
        return out

    @property
    def directory(self) -> Path:
        return Path(self.artifact_path).parent

    def load(self) -> FittedModel:
        path = Path(self.artifact_path)
        if not path.exists():
            raise FabError(f"model {self.model_name} v{self.version}: artifact {path} is missing")
        return joblib.load(path)

    def test_frame(self) -> pl.DataFrame:
        path = self.directory / "test.parquet"
        if not path.exists():
            raise FabError(f"model {self.model_name} v{self.version}: {path} is missing")
        return pl.read_parquet(path)


def _check_table(conn: psycopg.Connection) -> None:
    if not conn.execute(q("table_exists")).fetchone()[0]:
        raise FabError("landing.model_registry is missing: run `fab db migrate`")


def _window(text: str) -> tuple[date, date]:
    first, last = text.split("..")
    return date.fromisoformat(first), date.fromisoformat(last)


def register(
    conn: psycopg.Connection,
    home: Path,
    result: Any,
    config: TrainConfig,
    model_name: str = MODEL_NAME,
) -> ModelRecord:
    """Store ``result`` (a pipeline.TrainingResult) as the next version; returns its row."""
    _check_table(conn)
    with conn.transaction():
        conn.execute(q("lock"))
        version = int(conn.execute(q("next_version"), {"model_name": model_name}).fetchone()[0])
        directory = models_dir(home, model_name) / f"v{version}"
        if directory.exists():  # left by a crash before its row was committed
            shutil.rmtree(directory)
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        joblib.dump(result.fitted, tmp / "model.joblib")
        result.test_frame.write_parquet(tmp / "test.parquet")
        os.replace(tmp, directory)
        try:
            windows = {s: _window(result.windows[s]) for s in ("train", "validation", "test")}
            conn.execute(
                q("insert"),
                {
                    "model_name": model_name,
                    "version": version,
                    "family": config.family,
                    "horizon_days": config.horizon_days,
                    "params": Jsonb(result.fitted.params),
                    "seed": config.seed,
                    "feature_columns": Jsonb(result.fitted.feature_columns),
                    "metrics": Jsonb(_jsonable(result.metrics)),
                    "baseline_metrics": (
                        Jsonb(_jsonable(result.baseline_metrics))
                        if result.baseline_metrics is not None
                        else None
                    ),
                    "importances": Jsonb(result.importances),
                    "train_start": windows["train"][0],
                    "train_end": windows["train"][1],
                    "validation_start": windows["validation"][0],
                    "validation_end": windows["validation"][1],
                    "test_start": windows["test"][0],
                    "test_end": windows["test"][1],
                    "code_version": code_version(),
                    "artifact_path": str(directory / "model.joblib"),
                },
            )
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    return get_model(conn, version, model_name)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _record(row: dict[str, Any]) -> ModelRecord:
    return ModelRecord(**row)


def list_models(conn: psycopg.Connection, model_name: str = MODEL_NAME) -> list[ModelRecord]:
    _check_table(conn)
    with conn.cursor(row_factory=dict_row) as cur:
        return [_record(r) for r in cur.execute(q("list"), {"model_name": model_name})]


def get_model(conn: psycopg.Connection, version: int, model_name: str = MODEL_NAME) -> ModelRecord:
    _check_table(conn)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(q("get"), {"model_name": model_name, "version": version}).fetchone()
    if row is None:
        known = [m.version for m in list_models(conn, model_name)]
        raise FabError(
            f"model version {version!r}: no such version of {model_name} "
            f"(known: {', '.join(f'v{v}' for v in known) or 'none yet'})"
        )
    return _record(row)


def promoted_model(conn: psycopg.Connection, model_name: str = MODEL_NAME) -> ModelRecord | None:
    _check_table(conn)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(q("promoted"), {"model_name": model_name}).fetchone()
    return _record(row) if row else None


@dataclass
class Promotion:
    version: int
    promoted: bool
    previous: int | None
    candidate_pr_auc: float | None
    current_pr_auc: float | None
    test_window: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _pr_auc(fitted: FittedModel, test: pl.DataFrame) -> float | None:
    y = test["label"].to_numpy()
    if not 0 < y.sum() < y.size:
        return None
    return float(average_precision_score(y, fitted.predict(test)))


def compare_and_promote(
    conn: psycopg.Connection,
    version: int,
    *,
    force: bool = False,
    model_name: str = MODEL_NAME,
) -> Promotion:
    """Promote ``version`` if its PR AUC on its test window is not worse than the current one's.

    Returns the outcome (``promoted`` False with the reason when refused); raises FabError only
    for a missing version or artifact.
    """
    candidate = get_model(conn, version, model_name)
    test = candidate.test_frame()
    window = f"{candidate.test_start}..{candidate.test_end}"
    candidate_auc = _pr_auc(candidate.load(), test)
    with conn.transaction():
        conn.execute(q("lock"))
        current = promoted_model(conn, model_name)
        current_auc = None
        if current is not None and current.version != version:
            try:
                current_auc = _pr_auc(current.load(), test)
            except FabError as exc:  # e.g. it needs a feature the new window no longer has
                current_auc, note = None, f"current v{current.version} cannot score: {exc}"
            else:
                note = ""
        previous = current.version if current else None
        outcome = Promotion(version, False, previous, candidate_auc, current_auc, window, "")
        if current is not None and current.version == version:
            outcome.promoted, outcome.reason = True, f"v{version} is already promoted"
            return outcome
        if current is not None and current.horizon_days != candidate.horizon_days and not force:
            outcome.reason = (
                f"v{version} predicts {candidate.horizon_days} d ahead, promoted "
                f"v{previous} {current.horizon_days} d: their PR AUCs are not comparable; "
                "use --force to switch horizons"
            )
            return outcome
        worse = current_auc is not None and (
            candidate_auc is None or candidate_auc < current_auc - TOLERANCE
        )
        if worse and not force:
            outcome.reason = (
                f"v{version} PR AUC {_fmt(candidate_auc)} is worse than promoted "
                f"v{previous} PR AUC {_fmt(current_auc)} on test window {window}; "
                "use --force to promote anyway"
            )
            return outcome
        if current is None:
            outcome.reason = f"v{version} promoted (no model was promoted before)"
        elif worse:
            outcome.reason = (
                f"v{version} force-promoted over v{previous} "
                f"(PR AUC {_fmt(candidate_auc)} < {_fmt(current_auc)})"
            )
        else:
            outcome.reason = (
                f"v{version} promoted over v{previous}: PR AUC "
                f"{_fmt(candidate_auc)} >= {_fmt(current_auc)} on {window}"
                + (f" ({note})" if note else "")
            )
        conn.execute(q("demote"), {"model_name": model_name})
        conn.execute(
            q("promote"), {"model_name": model_name, "version": version, "note": outcome.reason}
        )
        outcome.promoted = True
    return outcome


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def load_promoted(
    conn: psycopg.Connection, model_name: str = MODEL_NAME
) -> tuple[ModelRecord, FittedModel]:
    """The promoted version and its model, or a FabError saying none is promoted."""
    record = promoted_model(conn, model_name)
    if record is None:
        raise FabError(f"no promoted {model_name} model: train one, then `fab model promote V`")
    return record, record.load()
