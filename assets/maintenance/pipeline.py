"""Train and evaluate end to end on plain frames: what the asset, the CLI and the benchmark run."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import polars as pl

from assets.maintenance.anomaly import anomaly_daily, detect_anomalies, sensor_windows
from assets.maintenance.baseline import baseline_daily_scores
from assets.maintenance.common import one_thread
from assets.maintenance.evaluate import evaluate_scores
from assets.maintenance.features import MaintenanceInputs, build_features
from assets.maintenance.labels import failure_events, label_rows, normalise_ts
from assets.maintenance.train import (
    FittedModel,
    TrainConfig,
    feature_importances,
    fit,
    time_splits,
)
from fabstack.errors import FabError


@dataclass
class TrainingResult:
    fitted: FittedModel
    metrics: dict[str, object]
    baseline_metrics: dict[str, object] | None
    importances: list[dict[str, float]]
    windows: dict[str, str]  # split -> "first_day..last_day"
    test_frame: pl.DataFrame  # the labelled test rows with every feature (for promotion)
    features: pl.DataFrame = field(repr=False)


def data_end(inputs: MaintenanceInputs) -> datetime:
    """The last moment the inputs cover: labels are only known up to here."""
    hourly = normalise_ts(inputs.sensor_hourly, "hour")
    return hourly["hour"].max() + timedelta(hours=1)


def features_with_anomalies(
    inputs: MaintenanceInputs, seed: int, fit_until: datetime | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(features, anomalies): anomaly rates feed the features, so they come first."""
    if inputs.sensor_hourly.is_empty():
        raise FabError("maintenance features: no sensor data in the window (no hourly rows)")
    with one_thread():
        anomalies = detect_anomalies(
            sensor_windows(inputs.sensor_hourly), inputs.machines, seed=seed, fit_until=fit_until
        )
    with_rates = replace(inputs, anomaly_daily=anomaly_daily(anomalies))
    return build_features(with_rates), anomalies


def _window(frame: pl.DataFrame, split: str) -> str:
    part = frame.filter(pl.col("split") == split)
    return f"{part['day'].min()}..{part['day'].max()}" if part.height else ""


def train_failure_model(
    inputs: MaintenanceInputs,
    config: TrainConfig,
    readings: pl.DataFrame | None = None,
    features: pl.DataFrame | None = None,
) -> TrainingResult:
    """Features -> labels -> time splits -> fit + calibrate -> test metrics (+ the baseline)."""
    with one_thread():
        return _train(inputs, config, readings, features)


def _train(
    inputs: MaintenanceInputs,
    config: TrainConfig,
    readings: pl.DataFrame | None,
    features: pl.DataFrame | None,
) -> TrainingResult:
    config = config.checked()
    end = data_end(inputs)
    if features is None:
        start = normalise_ts(inputs.sensor_hourly, "hour")["hour"].min()
        # Anomaly forests see only the first part of the period: no peeking at the test window.
        fit_until = start + (end - start) * config.train_share
        features, _ = features_with_anomalies(inputs, config.seed, fit_until)
    if inputs.states.is_empty():
        raise FabError("training data: no machine states in the window, so no failure labels")
    failures = failure_events(inputs.states)
    if failures.is_empty():
        raise FabError(
            "training data: no failures (unplanned DOWN with a failure reason) in the "
            "window; cannot train a failure model"
        )
    labelled = label_rows(features, failures, config.horizon_days)
    split = time_splits(labelled, end, config)
    fitted = fit(split, config)
    test = split.filter(pl.col("split") == "test")
    if int(test["label"].sum()) == 0:
        raise FabError(
            f"test window {_window(split, 'test')}: no failures within the horizon; "
            "cannot evaluate the model"
        )
    scored = test.with_columns(probability=pl.Series(fitted.predict(test)))
    metrics = evaluate_scores(scored, failures)
    baseline_metrics = None
    if readings is not None:
        val_start = split.filter(pl.col("split") == "validation")["day"].min()
        fit_until = datetime.combine(val_start, datetime.min.time(), tzinfo=UTC)
        base = baseline_daily_scores(readings, fit_until=fit_until, seed=config.seed)
        keys = ("machine_id", "day", "label", "next_failure_h", "next_onset")
        base_scored = test.select(keys).join(base, on=["machine_id", "day"], how="left")
        baseline_metrics = evaluate_scores(
            base_scored, failures, flagged=pl.col("warned").fill_null(False)
        )
    return TrainingResult(
        fitted=fitted,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        importances=feature_importances(fitted, test),
        windows={s: _window(split, s) for s in ("train", "validation", "test")},
        test_frame=test,
        features=features,
    )
