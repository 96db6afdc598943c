"""The failure model: time-ordered splits, a class-weighted tree ensemble, sigmoid calibration.

Rows are machine-days ordered by day. Train, validation and test are consecutive day ranges;
rows whose label window reaches into the next range are purged, and the last ``horizon`` days
(whose labels are not yet known) are dropped, so no label leaks across a boundary. The ensemble
is fitted on train, frozen, and calibrated on validation (sklearn's ``FrozenEstimator``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from assets.maintenance.common import DEFAULT_HORIZON_DAYS, check_horizon
from assets.maintenance.features import feature_columns
from fabstack.errors import FabError

Family = Literal["hist_gradient_boosting", "random_forest"]
FAMILIES: tuple[str, ...] = ("hist_gradient_boosting", "random_forest")

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "hist_gradient_boosting": {
        # shallow, slow and well-regularised: a few hundred machine-days, noisy labels
        "max_iter": 150,
        "learning_rate": 0.05,
        "max_depth": 3,
        "min_samples_leaf": 20,
        "l2_regularization": 1.0,
    },
    "random_forest": {"n_estimators": 300, "min_samples_leaf": 3, "max_features": "sqrt"},
}


@dataclass(frozen=True)
class TrainConfig:
    horizon_days: int = DEFAULT_HORIZON_DAYS
    family: str = "hist_gradient_boosting"
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 42
    train_share: float = 0.6
    validation_share: float = 0.2

    def checked(self) -> TrainConfig:
        check_horizon(self.horizon_days)
        if self.family not in FAMILIES:
            raise FabError(f"family: expected one of {', '.join(FAMILIES)}, got {self.family!r}")
        shares = (self.train_share, self.validation_share)
        if min(shares) <= 0 or sum(shares) >= 1:
            raise FabError(
                f"train_share/validation_share: need 0 < train, 0 < validation and a sum below 1,"
                f" got {self.train_share!r}/{self.validation_share!r}"
            )
        make_estimator(self.family, self.params, self.seed)  # unknown params fail here
        return self


def make_estimator(family: str, params: dict[str, Any], seed: int) -> Pipeline:
    """The classifier pipeline; class weights balance the rare failure rows."""
    merged = {**DEFAULT_PARAMS[family], **params}
    if family == "hist_gradient_boosting":
        cls, fixed = (
            HistGradientBoostingClassifier,
            {"class_weight": "balanced", "random_state": seed, "early_stopping": False},
        )
    else:
        cls, fixed = (
            RandomForestClassifier,
            {"class_weight": "balanced_subsample", "random_state": seed, "n_jobs": 1},
        )
    allowed = set(cls().get_params())
    for key in merged:
        if key not in allowed or key in fixed:
            raise FabError(f"params.{key}: not a settable {cls.__name__} parameter")
    try:
        estimator = cls(**fixed, **merged)
        estimator._validate_params()
    except (ValueError, TypeError) as exc:
        raise FabError(f"params: {str(exc).splitlines()[0]}") from None
    return Pipeline([("classifier", estimator)])


def time_splits(labelled: pl.DataFrame, data_end, config: TrainConfig) -> pl.DataFrame:
    """Add ``split`` (train/validation/test) by day; purge rows whose labels cross a boundary."""
    horizon = timedelta(days=config.horizon_days)
    known = labelled.filter(pl.col("scored_at") + horizon <= data_end)
    days = known["day"].unique().sort()
    if days.len() < 3:
        raise FabError(
            f"training data: {days.len()} labelled day(s) after dropping the last "
            f"{config.horizon_days} day(s) whose labels are unknown; need more data"
        )
    val_start = days[int(days.len() * config.train_share)]
    test_start = days[int(days.len() * (config.train_share + config.validation_share))]
    split = (
        pl.when(pl.col("day") < val_start)
        .then(pl.lit("train"))
        .when(pl.col("day") < test_start)
        .then(pl.lit("validation"))
        .otherwise(pl.lit("test"))
    )
    purge = ((pl.col("day") < val_start) & (pl.col("day") >= val_start - horizon)) | (
        (pl.col("day") < test_start) & (pl.col("day") >= test_start - horizon)
    )
    return known.with_columns(split=split).filter(~purge)


def _require_both_classes(frame: pl.DataFrame, split: str) -> None:
    part = frame.filter(pl.col("split") == split)
    if part.is_empty():
        raise FabError(f"{split} window: no rows (the data window is too short for the splits)")
    lo, hi = part["day"].min(), part["day"].max()
    positives = int(part["label"].sum())
    if positives == 0:
        raise FabError(
            f"{split} window {lo}..{hi}: no failures within the horizon; "
            "cannot train or evaluate a failure model on it"
        )
    if positives == part.height:
        raise FabError(
            f"{split} window {lo}..{hi}: every row precedes a failure; "
            "a horizon this long leaves no negative rows"
        )


def matrix(frame: pl.DataFrame, columns: list[str]) -> np.ndarray:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FabError(
            f"feature column {missing[0]!r} is missing from the features "
            f"({len(missing)} missing); retrain the model on the current features"
        )
    return frame.select(pl.col(columns).cast(pl.Float64)).to_numpy()


@dataclass
class FittedModel:
    """What is saved as the artifact: the calibrated model and what it needs to score."""

    model: CalibratedClassifierCV
    feature_columns: list[str]
    reference_values: dict[str, float]  # train medians: the "typical" value per feature
    horizon_days: int
    family: str
    params: dict[str, Any]
    seed: int

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        return self.model.predict_proba(matrix(frame, self.feature_columns))[:, 1]


def fit(split_frame: pl.DataFrame, config: TrainConfig) -> FittedModel:
    """Fit on train, calibrate on validation. Raises FabError on windows without failures."""
    for name in ("train", "validation"):
        _require_both_classes(split_frame, name)
    train = split_frame.filter(pl.col("split") == "train")
    columns = [c for c in feature_columns(split_frame) if train[c].null_count() < train.height]
    estimator = make_estimator(config.family, config.params, config.seed)
    estimator.fit(matrix(train, columns), train["label"].to_numpy())
    val = split_frame.filter(pl.col("split") == "validation")
    calibrated = CalibratedClassifierCV(FrozenEstimator(estimator), method="sigmoid")
    calibrated.fit(matrix(val, columns), val["label"].to_numpy())
    medians = train.select(pl.col(columns).cast(pl.Float64).median()).row(0, named=True)
    return FittedModel(
        model=calibrated,
        feature_columns=columns,
        reference_values={
            k: (float(v) if v is not None else float("nan")) for k, v in medians.items()
        },
        horizon_days=config.horizon_days,
        family=config.family,
        params={**DEFAULT_PARAMS[config.family], **config.params},
        seed=config.seed,
    )


def feature_importances(
    fitted: FittedModel, test: pl.DataFrame, *, repeats: int = 5, top: int = 15
) -> list[dict[str, float]]:
    """Permutation importance (drop in PR AUC) on the test window, largest first."""
    if int(test["label"].sum()) in (0, test.height):
        return []
    result = permutation_importance(
        fitted.model,
        matrix(test, fitted.feature_columns),
        test["label"].to_numpy(),
        scoring="average_precision",
        n_repeats=repeats,
        random_state=fitted.seed,
        n_jobs=1,
    )
    order = np.argsort(-result.importances_mean)[:top]
    return [
        {
            "feature": fitted.feature_columns[i],
            "importance": round(float(result.importances_mean[i]), 5),
        }
        for i in order
    ]
