"""Model registry on MLflow: one experiment and one registered model per model name.

Each registered version is an MLflow run (parameters, metrics, evaluation plots, ``record.json``
with every figure, ``evaluation/test.parquet`` with the labelled test window) and a pyfunc model
wrapping the fitted object. Promotion is the alias ``champion``, set only when the new version's
score on *its* test window is not worse than the champion's on the same rows, unless forced.
Scoring loads ``models:/<name>@champion`` and keeps a copy of the last champion it loaded under
``FAB_HOME/models/<name>/``, so an MLflow outage or a missing alias never leaves it without one.

Tracking URI: ``FAB_MLFLOW_TRACKING_URI`` (a server), else the ``fab_mlflow`` database on the
landing server with artifacts under ``FAB_HOME/mlflow``. ``landing.model_registry`` is kept in
step as a read model for the boards (written here on register and promote, never read back).
Generic by ``model_name``: the wafer-signature model uses the same functions.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

import joblib
import numpy as np
import polars as pl
import psycopg
from psycopg.types.json import Jsonb
from sklearn.metrics import average_precision_score

from assets.maintenance.common import MODEL_NAME, one_thread
from assets.maintenance.sources import named_queries
from fabstack.errors import FabError
from fabstack.services import ensure_database, port_open
from fabstack.services import redact as redacted

# MLflow is imported lazily: it takes seconds, and the Dagster code location must load fast.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")  # a down server: fail in seconds
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
# No telemetry: the machine's only network is the package registries.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-9
CHAMPION = "champion"
MLFLOW_DATABASE = "fab_mlflow"
UI_URL = "http://127.0.0.1:5000"  # where `fab mlflow ui` serves the embedded store
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
log = logging.getLogger(__name__)


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


# --- where MLflow is ---------------------------------------------------------------------------


def tracking_uri(conn: psycopg.Connection) -> str:
    """FAB_MLFLOW_TRACKING_URI, else the ``fab_mlflow`` database on the landing server."""
    from fabstack.settings import load_settings

    configured = load_settings().mlflow_tracking_uri
    if configured:
        scheme, sep, rest = configured.partition("://")
        return f"postgresql+psycopg://{rest}" if scheme == "postgresql" else configured
    info = conn.info
    user = quote(info.user or "postgres", safe="")
    password = f":{quote(info.password, safe='')}" if info.password else ""
    host = info.host or "127.0.0.1"
    if host.startswith("/"):  # a Unix socket directory
        return f"postgresql+psycopg://{user}{password}@/{MLFLOW_DATABASE}?host={quote(host)}"
    return f"postgresql+psycopg://{user}{password}@{host}:{info.port}/{MLFLOW_DATABASE}"


def _answers(uri: str) -> bool:
    parts = urlsplit(uri)
    if not parts.hostname:  # a Unix socket: let the driver say
        return True
    default = {"http": 80, "https": 443}.get(parts.scheme, 5432)
    return port_open(parts.hostname, parts.port or default, timeout=2)


@cache
def _ensure_store(uri: str) -> None:
    """Create the backend database once per process (MLflow creates its tables itself)."""
    if uri.startswith("postgresql"):
        ensure_database("postgresql://" + uri.partition("://")[2])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


@contextmanager
def _mlflow(uri: str) -> Iterator[Any]:
    """An MlflowClient on ``uri``; any failure to reach it becomes one FabError line."""
    if not _answers(uri):
        raise FabError(f"MLflow at {redacted(uri)}: nothing answers (is the server up?)")
    import mlflow
    from mlflow.exceptions import MlflowException

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    try:
        _ensure_store(uri)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        yield mlflow.MlflowClient(uri, uri)
    except FabError:
        raise
    except MlflowException as exc:
        raise FabError(f"MLflow at {redacted(uri)}: {_first_line(exc)}") from None
    except (OSError, psycopg.Error) as exc:
        raise FabError(f"MLflow at {redacted(uri)} is unavailable: {_first_line(exc)}") from None
    except Exception as exc:  # SQLAlchemy / requests errors: MLflow lets them through
        if type(exc).__module__.split(".")[0] in ("sqlalchemy", "requests", "urllib3"):
            raise FabError(
                f"MLflow at {redacted(uri)} is unavailable: {_first_line(exc)}"
            ) from None
        raise


def _check_name(model_name: str) -> str:
    if not NAME_PATTERN.fullmatch(model_name):
        raise FabError(f"model_name: expected letters, digits, _ . -, got {model_name!r}")
    return model_name


def _experiment_id(client: Any, uri: str, model_name: str, home: Path) -> str:
    found = client.get_experiment_by_name(model_name)
    if found is not None:
        return found.experiment_id
    # A server stores artifacts itself; the embedded store writes them under FAB_HOME/mlflow.
    location = None if uri.startswith("http") else (Path(home) / "mlflow" / model_name).as_uri()
    return client.create_experiment(model_name, artifact_location=location)


def run_url(uri: str, experiment_id: str, run_id: str) -> str:
    """The run's page in the MLflow UI (the server's own, or `fab mlflow ui` for embedded)."""
    base = uri.rstrip("/") if uri.startswith("http") else UI_URL
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}"


# --- records -----------------------------------------------------------------------------------


@dataclass
class ModelRecord:
    model_name: str
    version: int
    family: str
    horizon_days: int | None
    params: dict[str, Any]
    seed: int
    feature_columns: list[str]
    metrics: dict[str, Any]
    baseline_metrics: dict[str, Any] | None
    importances: list[dict[str, Any]]
    train_start: date | None
    train_end: date | None
    validation_start: date | None
    validation_end: date | None
    test_start: date | None
    test_end: date | None
    code_version: str
    artifact_path: str  # the model's MLflow URI, models:/<name>/<version>
    created_at: datetime
    promoted: bool
    promoted_at: datetime | None
    promotion_note: str
    run_id: str = ""
    run_url: str = ""
    tracking_uri: str = field(default="", repr=False)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "tracking_uri"}
        for key, value in out.items():
            if isinstance(value, date | datetime):
                out[key] = value.isoformat()
        return out

    def load(self) -> Any:
        """The fitted model of this version, from MLflow."""
        return _load_fitted(self.tracking_uri, self.artifact_path)

    def test_frame(self) -> pl.DataFrame:
        with _mlflow(self.tracking_uri) as client, tempfile.TemporaryDirectory() as tmp:
            path = client.download_artifacts(self.run_id, "evaluation/test.parquet", tmp)
            return pl.read_parquet(path)


def _load_fitted(uri: str, model_uri: str) -> Any:
    import mlflow.pyfunc

    with _mlflow(uri), _quiet():
        return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().fitted


def _window(text: str | None) -> tuple[date | None, date | None]:
    if not text:
        return None, None
    first, last = text.split("..")
    return date.fromisoformat(first), date.fromisoformat(last)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _flat_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric figures as MLflow metrics; nested dicts (per-class recall) as ``outer.inner``."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = re.sub(r"[^A-Za-z0-9_\-. /]", "_", f"{prefix}{key}")
        if isinstance(value, dict):
            out.update(_flat_metrics(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def _record_from(uri: str, client: Any, version: Any, aliases: dict[str, Any]) -> ModelRecord:
    import mlflow.artifacts

    run = client.get_run(version.run_id)
    stored = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/record.json")
    windows = {
        s: _window(stored.get("windows", {}).get(s)) for s in ("train", "validation", "test")
    }
    promoted_at = version.tags.get("promoted_at")
    return ModelRecord(
        model_name=version.name,
        version=int(version.version),
        family=stored.get("family", ""),
        horizon_days=stored.get("horizon_days"),
        params=stored.get("params", {}),
        seed=int(stored.get("seed", 0)),
        feature_columns=stored.get("feature_columns", []),
        metrics=stored.get("metrics", {}),
        baseline_metrics=stored.get("baseline_metrics"),
        importances=stored.get("importances", []),
        train_start=windows["train"][0],
        train_end=windows["train"][1],
        validation_start=windows["validation"][0],
        validation_end=windows["validation"][1],
        test_start=windows["test"][0],
        test_end=windows["test"][1],
        code_version=stored.get("code_version", ""),
        artifact_path=f"models:/{version.name}/{version.version}",
        created_at=datetime.fromtimestamp(version.creation_timestamp / 1000, UTC),
        promoted=str(aliases.get(CHAMPION)) == str(version.version),
        promoted_at=datetime.fromisoformat(promoted_at) if promoted_at else None,
        promotion_note=version.tags.get("promotion_note", ""),
        run_id=version.run_id,
        run_url=run_url(uri, run.info.experiment_id, version.run_id),
        tracking_uri=uri,
    )


def _aliases(client: Any, model_name: str) -> dict[str, Any] | None:
    """alias -> version of a registered model, or None when it is not registered yet."""
    from mlflow.exceptions import MlflowException

    try:
        return dict(client.get_registered_model(model_name).aliases)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def _version(client: Any, model_name: str, version: int) -> Any | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(model_name, str(version))
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


# --- the read model in the landing zone ---------------------------------------------------------


def _has_read_model(conn: psycopg.Connection) -> bool:
    return bool(conn.execute(q("table_exists")).fetchone()[0])


def _fits_read_model(conn: psycopg.Connection, record: ModelRecord) -> bool:
    """The table (migration 0007) needs a horizon and the three windows: models without them
    (the wafer-signature classifier) live in MLflow only."""
    needed = (record.horizon_days, record.train_start, record.test_start, record.validation_start)
    return all(v is not None for v in needed) and _has_read_model(conn)


def _write_read_model(conn: psycopg.Connection, record: ModelRecord) -> None:
    row = record.as_dict()
    row.update(
        {k: Jsonb(row[k]) for k in ("params", "feature_columns", "metrics", "importances")},
        baseline_metrics=Jsonb(row["baseline_metrics"]) if record.baseline_metrics else None,
        promoted=False,  # promotion is written by _promote_read_model, under the lock
    )
    conn.execute(q("upsert"), row)


def _promote_read_model(conn: psycopg.Connection, record: ModelRecord, note: str) -> None:
    conn.execute(q("demote"), {"model_name": record.model_name})
    conn.execute(
        q("promote"),
        {"model_name": record.model_name, "version": record.version, "note": note},
    )


# --- the registry API ----------------------------------------------------------------------------


def evaluation_figures(result: Any) -> dict[str, Any]:
    """PNG plots of a binary model on its test window: precision-recall curve and importances.
    Empty when matplotlib is missing (the run gets a note instead). Built on bare Figures:
    pyplot's import alone costs seconds."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return {}
    from sklearn.metrics import precision_recall_curve

    figures: dict[str, Any] = {}
    test = result.test_frame
    binary = "label" in test.columns and test["label"].dtype.is_integer()
    y = test["label"].to_numpy() if binary else None
    if y is not None and set(np.unique(y)) == {0, 1}:
        with one_thread():
            probability = result.fitted.predict(test)
        precision, recall, _ = precision_recall_curve(y, probability)
        fig = Figure(figsize=(6, 4.5))
        ax = fig.add_subplot()
        ax.step(recall, precision, where="post")
        ax.axhline(y.mean(), linestyle=":", color="grey", label=f"base rate {y.mean():.2f}")
        ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
        ax.set_title(f"test window: PR AUC {pr_auc_of(y, probability):.3f}")
        ax.legend(loc="lower left")
        figures["plots/pr_curve.png"] = fig
    top = (getattr(result, "importances", None) or [])[:15]
    if top:
        fig = Figure(figsize=(6, 0.3 * len(top) + 1.2), layout="tight")
        ax = fig.add_subplot()
        ax.barh([i["feature"] for i in top][::-1], [i["importance"] for i in top][::-1])
        ax.set_xlabel("permutation importance (PR AUC drop)")
        figures["plots/importances.png"] = fig
    return figures


def register(
    conn: psycopg.Connection,
    home: Path,
    result: Any,
    config: Any,
    model_name: str = MODEL_NAME,
    *,
    figures: dict[str, Any] | None = None,
) -> ModelRecord:
    """Log ``result`` as an MLflow run and register it as the next version of ``model_name``.

    ``result`` needs ``fitted`` (with ``predict(frame)``), ``metrics`` and ``test_frame``;
    ``baseline_metrics``, ``importances`` and ``windows`` (split -> "first..last") are used when
    present. ``config`` gives ``family``, ``horizon_days``, ``seed`` when it has them.
    ``figures`` (artifact path -> matplotlib figure) default to ``evaluation_figures``.
    The first registration of a model name imports its versions from before MLflow first
    (``import_legacy``), so their version numbers never clash in the read model.
    """
    if _legacy_rows(conn, model_name):
        for line in import_legacy(conn, home, model_name):
            log.info("imported from before MLflow: %s", line)
    return _register(conn, home, result, config, model_name, figures=figures)


def _register(
    conn: psycopg.Connection,
    home: Path,
    result: Any,
    config: Any,
    model_name: str,
    *,
    figures: dict[str, Any] | None,
) -> ModelRecord:
    import mlflow

    from assets.maintenance.mlflow_model import FabModel

    _check_name(model_name)
    uri = tracking_uri(conn)
    fitted = result.fitted
    windows = dict(getattr(result, "windows", None) or {})
    stored = {
        "family": getattr(config, "family", None) or getattr(fitted, "family", ""),
        "horizon_days": getattr(config, "horizon_days", None),
        "params": _jsonable(getattr(fitted, "params", None) or getattr(config, "params", {})),
        "seed": int(getattr(config, "seed", 0)),
        "feature_columns": list(getattr(fitted, "feature_columns", [])),
        "metrics": _jsonable(result.metrics),
        "baseline_metrics": _jsonable(getattr(result, "baseline_metrics", None)),
        "importances": _jsonable(getattr(result, "importances", None) or []),
        "windows": windows,
        "code_version": getattr(result, "code_version", None) or code_version(),
    }
    params = {
        "family": stored["family"],
        "horizon_days": stored["horizon_days"],
        "seed": stored["seed"],
        "features": len(stored["feature_columns"]),
        "code_version": stored["code_version"],
        **{f"window.{k}": v for k, v in windows.items()},
        **{f"param.{k}": v for k, v in stored["params"].items()},
    }
    metrics = _flat_metrics(result.metrics)
    metrics.update(_flat_metrics(stored["baseline_metrics"] or {}, "baseline."))
    figures = evaluation_figures(result) if figures is None else figures
    with _mlflow(uri) as client, tempfile.TemporaryDirectory() as tmp:
        experiment_id = _experiment_id(client, uri, model_name, home)
        joblib.dump(fitted, Path(tmp) / "model.joblib")
        result.test_frame.write_parquet(Path(tmp) / "test.parquet")
        run_name = f"{model_name} {stored['family']}".strip()
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name):
            mlflow.log_params({k: v for k, v in params.items() if v is not None})
            mlflow.log_dict(stored, "record.json")
            mlflow.log_artifact(str(Path(tmp) / "test.parquet"), "evaluation")
            for path, figure in figures.items():
                mlflow.log_figure(figure, path)
            if not figures:
                mlflow.set_tag("plots", "skipped: matplotlib is not installed")
            # quiet: the notes on pickling and signatures are about serving, which we don't do
            with _quiet():
                info = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=FabModel(),
                    artifacts={"fitted": str(Path(tmp) / "model.joblib")},
                    # explicit: inferring requirements imports the model in a subprocess (slow)
                    pip_requirements=[f"scikit-learn=={metadata.version('scikit-learn')}"],
                    registered_model_name=model_name,
                )
            # after the model: log_model copies each metric logged before it, one query apiece
            mlflow.log_metrics(metrics)
        version = client.get_model_version(model_name, str(info.registered_model_version))
        record = _record_from(uri, client, version, _aliases(client, model_name) or {})
    if _fits_read_model(conn, record):
        _write_read_model(conn, record)
    log.info("registered %s v%d: %s", model_name, record.version, record.run_url)
    return record


@contextmanager
def _quiet() -> Iterator[None]:
    """MLflow's warnings and its "Created version" lines to stderr, silenced."""
    pyfunc_log = logging.getLogger("mlflow.pyfunc")
    level = pyfunc_log.level
    pyfunc_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        pyfunc_log.setLevel(level)


def list_models(conn: psycopg.Connection, model_name: str = MODEL_NAME) -> list[ModelRecord]:
    """Every registered version of ``model_name``, oldest first."""
    uri = tracking_uri(conn)
    with _mlflow(uri) as client:
        aliases = _aliases(client, _check_name(model_name))
        if aliases is None:
            return []
        versions = client.search_model_versions(f"name = '{model_name}'")
        records = [r for v in versions if (r := _readable(uri, client, v, aliases)) is not None]
    return sorted(records, key=lambda r: r.version)


def _readable(uri: str, client: Any, version: Any, aliases: dict) -> ModelRecord | None:
    """The version's record, or None (with one warning) when its artifacts are gone, e.g. a
    FAB_HOME deleted while the store lives on: one lost version must not hide the others."""
    from mlflow.exceptions import MlflowException

    try:
        return _record_from(uri, client, version, aliases)
    except (MlflowException, OSError) as exc:
        log.warning(
            "%s v%s skipped: its record cannot be read (%s)",
            version.name,
            version.version,
            _first_line(exc),
        )
        return None


def get_model(conn: psycopg.Connection, version: int, model_name: str = MODEL_NAME) -> ModelRecord:
    uri = tracking_uri(conn)
    with _mlflow(uri) as client:
        aliases = _aliases(client, _check_name(model_name))
        found = _version(client, model_name, int(version)) if aliases is not None else None
        if found is not None:
            return _record_from(uri, client, found, aliases)
    known = [m.version for m in list_models(conn, model_name)]
    raise FabError(
        f"model version {version!r}: no such version of {model_name} "
        f"(known: {', '.join(f'v{v}' for v in known) or 'none yet'})"
    )


def promoted_model(conn: psycopg.Connection, model_name: str = MODEL_NAME) -> ModelRecord | None:
    """The version the ``champion`` alias points at, or None."""
    uri = tracking_uri(conn)
    with _mlflow(uri) as client:
        aliases = _aliases(client, _check_name(model_name)) or {}
        if CHAMPION not in aliases:
            return None
        version = client.get_model_version(model_name, str(aliases[CHAMPION]))
        return _record_from(uri, client, version, aliases)


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


def pr_auc(fitted: Any, test: pl.DataFrame) -> float | None:
    """PR AUC of a binary model on a labelled frame; None when the frame has one class only."""
    y = test["label"].to_numpy()
    if not 0 < y.sum() < y.size:
        return None
    with one_thread():
        return pr_auc_of(y, fitted.predict(test))


def pr_auc_of(y: np.ndarray, probability: np.ndarray) -> float:
    return float(average_precision_score(y, probability))


def compare_and_promote(
    conn: psycopg.Connection,
    version: int,
    *,
    force: bool = False,
    model_name: str = MODEL_NAME,
    score: Callable[[Any, pl.DataFrame], float | None] = pr_auc,
    score_name: str = "PR AUC",
) -> Promotion:
    """Point ``champion`` at ``version`` if its ``score`` on its test window is not worse than
    the champion's on the same rows (higher is better; PR AUC by default).

    Returns the outcome (``promoted`` False with the reason when refused); raises FabError only
    for a missing version or artifact, or an MLflow that cannot be reached.
    """
    uri = tracking_uri(conn)
    candidate = get_model(conn, version, model_name)
    test = candidate.test_frame()
    window = f"{candidate.test_start}..{candidate.test_end}"
    candidate_score = score(candidate.load(), test)
    with conn.transaction():
        conn.execute(q("lock"))
        current_score, note = None, ""
        try:
            current = promoted_model(conn, model_name)
        except FabError as exc:  # the champion's artifacts are gone: nothing to compare with
            current, note = None, f"the champion could not be read: {exc}"
        if current is not None and current.version != version:
            try:
                current_score = score(current.load(), test)
            except FabError as exc:  # e.g. it needs a feature the new window no longer has
                note = f"current v{current.version} cannot score: {exc}"
        previous = current.version if current else None
        outcome = Promotion(version, False, previous, candidate_score, current_score, window, "")
        if current is not None and current.version == version:
            outcome.promoted, outcome.reason = True, f"v{version} is already promoted"
            return outcome
        if current is not None and current.horizon_days != candidate.horizon_days and not force:
            outcome.reason = (
                f"v{version} predicts {candidate.horizon_days} d ahead, promoted "
                f"v{previous} {current.horizon_days} d: their {score_name}s are not comparable; "
                "use --force to switch horizons"
            )
            return outcome
        worse = current_score is not None and (
            candidate_score is None or candidate_score < current_score - TOLERANCE
        )
        if worse and not force:
            outcome.reason = (
                f"v{version} {score_name} {_fmt(candidate_score)} is worse than promoted "
                f"v{previous} {score_name} {_fmt(current_score)} on test window {window}; "
                "use --force to promote anyway"
            )
            return outcome
        if current is None:
            outcome.reason = f"v{version} promoted ({note or 'no model was promoted before'})"
        elif worse:
            outcome.reason = (
                f"v{version} force-promoted over v{previous} "
                f"({score_name} {_fmt(candidate_score)} < {_fmt(current_score)})"
            )
        else:
            outcome.reason = (
                f"v{version} promoted over v{previous}: {score_name} "
                f"{_fmt(candidate_score)} >= {_fmt(current_score)} on {window}"
                + (f" ({note})" if note else "")
            )
        _set_champion(uri, model_name, version, outcome.reason)
        if _fits_read_model(conn, candidate):
            _write_read_model(conn, candidate)
            _promote_read_model(conn, candidate, outcome.reason)
        outcome.promoted = True
    return outcome


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _set_champion(uri: str, model_name: str, version: int, note: str) -> None:
    with _mlflow(uri) as client:
        client.set_model_version_tag(model_name, str(version), "promotion_note", note)
        client.set_model_version_tag(
            model_name, str(version), "promoted_at", datetime.now(UTC).isoformat()
        )
        client.set_registered_model_alias(model_name, CHAMPION, str(version))


def _legacy_rows(conn: psycopg.Connection, model_name: str) -> list[dict[str, Any]]:
    from psycopg.rows import dict_row

    if not _has_read_model(conn):
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(q("legacy_rows"), {"model_name": model_name}).fetchall()


def import_legacy(conn: psycopg.Connection, home: Path, model_name: str = MODEL_NAME) -> list[str]:
    """Move versions registered before MLflow (rows of landing.model_registry whose artifact is a
    file under FAB_HOME/models) into MLflow, oldest first, keeping figures, windows and which one
    was promoted. Only into a registry without versions of ``model_name``; returns one line per
    row. MLflow numbers the versions again from 1 (a row whose files are gone is skipped)."""
    if not _has_read_model(conn):
        raise FabError("landing.model_registry is missing: run `fab db migrate`")
    rows = _legacy_rows(conn, model_name)
    if not rows:
        return [f"no {model_name} versions from before MLflow: nothing to import"]
    if list_models(conn, model_name):
        raise FabError(
            f"model {model_name} already has versions in MLflow: the {len(rows)} older rows can "
            "only be imported into an empty registry"
        )
    uri = tracking_uri(conn)
    lines = []
    for row in rows:
        path = Path(row["artifact_path"])
        test = path.parent / "test.parquet"
        if not (path.exists() and test.exists()):
            lines.append(f"v{row['version']}: skipped, {path.parent} is gone")
            continue
        windows = {
            s: f"{row[f'{s}_start']}..{row[f'{s}_end']}" for s in ("train", "validation", "test")
        }
        result = SimpleNamespace(
            fitted=joblib.load(path),
            metrics=row["metrics"],
            baseline_metrics=row["baseline_metrics"],
            importances=row["importances"],
            windows=windows,
            test_frame=pl.read_parquet(test),
            code_version=row["code_version"],
        )
        config = SimpleNamespace(
            family=row["family"], horizon_days=row["horizon_days"], seed=row["seed"]
        )
        record = _register(conn, home, result, config, model_name, figures=None)
        line = f"v{row['version']} -> MLflow v{record.version}"
        if row["promoted"]:
            note = f"imported as the promoted version; {row['promotion_note']}".rstrip("; ")
            _set_champion(uri, model_name, record.version, note)
            with conn.transaction():
                conn.execute(q("lock"))
                _promote_read_model(conn, record, note)
            line += f" ({CHAMPION})"
        lines.append(line)
    conn.execute(q("delete_legacy"), {"model_name": model_name})
    return lines


# --- scoring: the champion, and the last one loaded when MLflow cannot answer --------------------


def _champion_cache(home: Path, model_name: str) -> Path:
    return models_dir(home, model_name) / "last_champion.joblib"


def load_promoted(
    conn: psycopg.Connection, model_name: str = MODEL_NAME, home: Path | None = None
) -> tuple[ModelRecord, Any]:
    """The champion version and its fitted model, loaded from ``models:/<name>@champion``.

    When MLflow cannot be reached or the alias is missing, logs one line and returns the last
    champion this FAB_HOME loaded; with none loaded before, raises a FabError (never scores
    without a model).
    """
    if home is None:
        from fabstack.settings import load_settings

        home = load_settings().home_dir
    cache_path = _champion_cache(home, model_name)
    try:
        record = promoted_model(conn, model_name)
        if record is None:
            raise FabError(
                f"no {CHAMPION} alias on model {model_name}: train one, then `fab model promote V`"
            )
        # Resolve the alias once and load that version: the alias may move meanwhile.
        fitted = record.load()
    except FabError as exc:
        if not cache_path.exists():
            raise FabError(f"{exc}; no earlier champion was loaded here: not scoring") from None
        record, fitted = joblib.load(cache_path)
        log.warning("%s; scoring with the last champion loaded, v%d", exc, record.version)
        return record, fitted
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_path.with_suffix(".tmp")
    joblib.dump((record, fitted), tmp)
    os.replace(tmp, cache_path)
    return record, fitted
