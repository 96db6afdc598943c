"""Spatial signature classifier: hand-crafted features + a random forest trained on our own
labelled synthetic maps (deterministic for a seed), plus per-class accuracy reporting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from sklearn.ensemble import RandomForestClassifier

from assets.defects.signature_features import features_matrix
from assets.defects.synthetic_maps import synthetic_set

DEFAULT_SEED = 20261121


def train_classifier(per_class: int = 300, seed: int = DEFAULT_SEED) -> RandomForestClassifier:
    """Fit the classifier on ``per_class`` synthetic maps per signature."""
    maps, labels = synthetic_set(per_class, seed)
    model = RandomForestClassifier(
        n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1
    )
    model.fit(features_matrix(maps), labels)
    return model


def classify(
    model: RandomForestClassifier, maps: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[list[str], np.ndarray]:
    """(signature, confidence) per map."""
    if not maps:
        return [], np.zeros(0)
    proba = model.predict_proba(features_matrix(list(maps)))
    best = proba.argmax(axis=1)
    return [str(model.classes_[i]) for i in best], proba[np.arange(len(best)), best]


def classify_defects(
    model: RandomForestClassifier, defects: pl.DataFrame, maps: pl.DataFrame
) -> pl.DataFrame:
    """Signature of every inspected wafer. ``maps``: one row per inspection (inspection_id +
    any columns to keep, e.g. wafer_id, machine_id, ts) so that clean wafers are classified
    too; ``defects``: inspection_id, x_mm, y_mm."""
    grouped = defects.group_by("inspection_id").agg("x_mm", "y_mm")
    joined = maps.join(grouped, on="inspection_id", how="left")
    coords = [
        (
            np.asarray(xs if xs is not None else [], float),
            np.asarray(ys if ys is not None else [], float),
        )
        for xs, ys in zip(joined["x_mm"].to_list(), joined["y_mm"].to_list(), strict=True)
    ]
    labels, conf = classify(model, coords)
    return joined.drop("x_mm", "y_mm").with_columns(
        pl.Series("signature", labels, pl.Utf8),
        pl.Series("confidence", conf, pl.Float64),
        pl.Series("defects_on_map", [len(c[0]) for c in coords], pl.Int64),
    )


def accuracy_by_class(truth: Sequence[str], predicted: Sequence[str]) -> pl.DataFrame:
    """Per true class: maps, correct, accuracy; plus an ``overall`` row."""
    df = pl.DataFrame({"signature": list(truth), "predicted": list(predicted)})
    per = (
        df.group_by("signature")
        .agg(
            pl.len().alias("maps"),
            (pl.col("signature") == pl.col("predicted")).sum().alias("correct"),
        )
        .sort("signature")
    )
    overall = pl.DataFrame(
        {
            "signature": ["overall"],
            "maps": [df.height],
            "correct": [int((df["signature"] == df["predicted"]).sum())],
        }
    )
    return pl.concat([per, overall.cast(per.schema)]).with_columns(
        (pl.col("correct") / pl.col("maps")).alias("accuracy")
    )
