"""Wafer-map signature classifier trained on real, labelled WM-811K maps.

Features from ``map_features`` (rings, sectors, Radon projections, largest failing region)
and a histogram gradient-boosting classifier. Validated only with lot-disjoint folds
(StratifiedGroupKFold by lot): wafers of one lot look alike, so random folds flatter a model.
Deterministic for a seed. Versions live in the model registry under ``MODEL_NAME``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, f1_score, recall_score
from sklearn.model_selection import StratifiedGroupKFold

from assets.defects.map_features import FEATURE_NAMES, features
from fabstack.errors import FabError
from ingestion.sort.wafer_maps import WaferMaps, rasterize_defects

MODEL_NAME = "wafer_signature"
FAMILY = "hist_gradient_boosting"
DEFAULT_SEED = 20261204
FOLDS = 5
DEFAULT_PARAMS: dict[str, Any] = {"max_iter": 300, "learning_rate": 0.05}
# Registry rows need a horizon (1..14 days) made for the failure model; a map classifier has
# none, so it records the smallest allowed value.
REGISTRY_HORIZON_DAYS = 1


@dataclass
class SignatureModel:
    """A fitted classifier plus what the registry needs to describe and re-score it."""

    estimator: HistGradientBoostingClassifier
    params: dict[str, Any]
    seed: int
    feature_columns: list[str] = field(default_factory=lambda: list(FEATURE_NAMES))

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_]

    def classify(self, maps: Sequence[np.ndarray]) -> tuple[list[str], np.ndarray]:
        """(label, confidence) of every die bin map."""
        if not maps:
            return [], np.zeros(0)
        proba = self.estimator.predict_proba(features(maps))
        best = proba.argmax(axis=1)
        return [self.classes[i] for i in best], proba[np.arange(len(best)), best]

    def classify_defects(
        self, coords: Sequence[tuple[np.ndarray, np.ndarray]], **grid: Any
    ) -> tuple[list[str], np.ndarray]:
        """(label, confidence) of inspection defect maps: each (x_mm, y_mm) is rasterized onto
        a die grid first (``grid``: ``rasterize_defects`` options, e.g. die_pitch_mm)."""
        return self.classify([rasterize_defects(x, y, **grid) for x, y in coords])

    def predict(self, test: pl.DataFrame) -> np.ndarray:
        """Registry scoring: probability of each row's ``class`` given its feature columns
        (``test_frame`` rows, one per map and class, ``label`` 1 where it is the true class)."""
        proba = self.estimator.predict_proba(test.select(self.feature_columns).to_numpy())
        column = {c: i for i, c in enumerate(self.classes)}
        idx = np.array([column.get(c, -1) for c in test["class"].to_list()])
        out = np.where(idx >= 0, proba[np.arange(len(idx)), np.maximum(idx, 0)], 0.0)
        return out


@dataclass
class SignatureTraining:
    """Shaped like the failure model's TrainingResult so the same registry stores it."""

    fitted: SignatureModel
    metrics: dict[str, Any]
    baseline_metrics: dict[str, Any] | None
    importances: list[dict[str, float]]
    windows: dict[str, str]
    test_frame: pl.DataFrame


@dataclass
class SignatureConfig:
    seed: int = DEFAULT_SEED
    family: str = FAMILY
    horizon_days: int = REGISTRY_HORIZON_DAYS


def _estimator(params: dict[str, Any], seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(**{**DEFAULT_PARAMS, **params}, random_state=seed)


def _labelled(maps: WaferMaps) -> tuple[np.ndarray, np.ndarray]:
    if any(label is None or label == "" for label in maps.labels) or len(maps.labels) != len(maps):
        raise FabError("training needs a label on every map (the `label` column)")
    lots = [lot if lot else map_id for lot, map_id in zip(maps.lots, maps.map_ids, strict=False)]
    if len(lots) != len(maps):
        lots = list(maps.map_ids)
    return np.array(maps.labels), np.array(lots)


def cross_validate(
    maps: WaferMaps,
    *,
    seed: int = DEFAULT_SEED,
    folds: int = FOLDS,
    params: dict[str, Any] | None = None,
    x: np.ndarray | None = None,
) -> dict[str, Any]:
    """Lot-disjoint CV: macro-F1, accuracy, per-class recall and micro PR AUC on out-of-fold
    predictions (every map predicted by a model that never saw its lot)."""
    y, lots = _labelled(maps)
    x = features(maps.maps) if x is None else x
    classes = sorted(set(y))
    proba = np.zeros((len(y), len(classes)))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(x, y, lots):
        model = _estimator(params or {}, seed).fit(x[train_idx], y[train_idx])
        cols = [classes.index(str(c)) for c in model.classes_]
        proba[np.ix_(test_idx, cols)] = model.predict_proba(x[test_idx])
    pred = np.array(classes)[proba.argmax(1)]
    recall = recall_score(y, pred, labels=classes, average=None, zero_division=0)
    onehot = (y[:, None] == np.array(classes)[None, :]).astype(int)
    return {
        "macro_f1": float(f1_score(y, pred, average="macro")),
        "accuracy": float((pred == y).mean()),
        "recall": {c: float(r) for c, r in zip(classes, recall, strict=True)},
        "pr_auc": float(average_precision_score(onehot.ravel(), proba.ravel())),
        "maps": len(y),
        "lots": len(set(lots)),
        "folds": folds,
        "validation": "lot-disjoint StratifiedGroupKFold",
    }


def _test_frame(x: np.ndarray, y: np.ndarray, map_ids: list[str]) -> pl.DataFrame:
    """One row per (map, class) with the map's features; ``label`` marks the true class."""
    classes = sorted(set(y))
    n, k = len(y), len(classes)
    frame = pl.DataFrame(np.repeat(x, k, axis=0), schema=list(FEATURE_NAMES), orient="row")
    return frame.with_columns(
        pl.Series("map_id", np.repeat(map_ids, k)),
        pl.Series("class", np.tile(classes, n)),
        pl.Series("label", (np.repeat(y, k) == np.tile(classes, n)).astype(np.int8)),
    )


def train(
    maps: WaferMaps, *, seed: int = DEFAULT_SEED, params: dict[str, Any] | None = None
) -> SignatureTraining:
    """Lot-disjoint CV figures, then the final model fitted on every labelled map."""
    y, _ = _labelled(maps)
    x = features(maps.maps)
    metrics = cross_validate(maps, seed=seed, params=params, x=x)
    fitted = SignatureModel(_estimator(params or {}, seed).fit(x, y), dict(params or {}), seed)
    today = date.today().isoformat()
    # The registry's promotion gate re-scores candidate and current model on these maps; the
    # honest figures are the out-of-fold ones in ``metrics``.
    return SignatureTraining(
        fitted=fitted,
        metrics=metrics,
        baseline_metrics=None,
        importances=[],
        windows={s: f"{today}..{today}" for s in ("train", "validation", "test")},
        test_frame=_test_frame(x, y, list(maps.map_ids)),
    )
