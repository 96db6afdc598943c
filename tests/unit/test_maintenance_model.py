"""The failure model end to end on a small synthetic plant with wear-out precursors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from assets.maintenance.anomaly import detect_anomalies, sensor_windows
from assets.maintenance.common import ACTIONS
from assets.maintenance.pipeline import features_with_anomalies, train_failure_model
from assets.maintenance.scoring import score_day
from assets.maintenance.synthetic import make_plant
from assets.maintenance.train import TrainConfig
from fabstack.errors import FabError

CONFIG = TrainConfig(horizon_days=3, seed=1)


@pytest.fixture(scope="module")
def plant():
    return make_plant(days=90, machines=6, seed=5)


@pytest.fixture(scope="module")
def trained(plant):
    return train_failure_model(plant.inputs, CONFIG, readings=plant.readings)


def test_model_finds_wear_out_precursors_and_beats_the_baseline(trained):
    m, b = trained.metrics, trained.baseline_metrics
    assert m["pr_auc"] > 0.75 and m["roc_auc"] > 0.75
    assert m["pr_auc"] > b["pr_auc"] + 0.2
    assert m["share_wear_out_flagged_24h"] >= 0.75
    assert m["false_high_per_machine_month"] <= 1.0
    assert m["mean_lead_time_h"] > 24
    assert any(
        i["feature"].startswith(("temperature", "vibration")) for i in trained.importances[:5]
    )


def test_splits_follow_each_other_in_time(trained):
    first = {s: w.split("..") for s, w in trained.windows.items()}
    assert first["train"][1] < first["validation"][0] <= first["validation"][1] < first["test"][0]
    assert set(trained.test_frame["day"].cast(pl.String)) <= {
        d for d in trained.features["day"].cast(pl.String)
    }


def test_same_seed_same_model(plant, trained):
    again = train_failure_model(plant.inputs, CONFIG, features=trained.features)
    test = trained.test_frame
    assert np.array_equal(trained.fitted.predict(test), again.fitted.predict(test))


def test_random_forest_family_trains_too(plant, trained):
    rf = train_failure_model(
        plant.inputs,
        replace(CONFIG, family="random_forest", params={"n_estimators": 60}),
        features=trained.features,
    )
    assert rf.fitted.family == "random_forest" and rf.metrics["pr_auc"] > 0.5


def test_no_failures_in_the_window_is_refused(plant, trained):
    calm = replace(plant.inputs, states=plant.inputs.states.filter(pl.col("state") != "DOWN"))
    with pytest.raises(FabError, match="no failures"):
        train_failure_model(calm, CONFIG, features=trained.features)


def test_scoring_bands_actions_and_top_features(trained):
    day = trained.test_frame["day"].max()
    risk = score_day(trained.fitted, trained.features, model_version=3, day=day)
    assert risk.height == 6 and set(risk["model_version"]) == {3}
    assert risk["probability"].is_between(0, 1).all()
    for row in risk.iter_rows(named=True):
        assert row["action"] == ACTIONS[row["band"]]
        if row["band"] == "HIGH":
            assert row["top_features"]


def test_scoring_with_a_disappeared_feature_is_a_clear_error(trained):
    gone = trained.fitted.feature_columns[0]
    with pytest.raises(FabError, match=f"feature column '{gone}' is missing"):
        score_day(trained.fitted, trained.features.drop(gone), model_version=1)


def test_anomaly_scores_rise_before_wear_out_failures(plant):
    windows = sensor_windows(plant.inputs.sensor_hourly)
    anomalies = detect_anomalies(windows, plant.inputs.machines, seed=1)
    assert anomalies["is_anomaly"].mean() == pytest.approx(0.05, abs=0.02)
    truth = plant.truth
    in_precursor = anomalies.join(truth, on="machine_id").filter(
        pl.col("window_start").is_between(
            pl.col("failure_ts") - pl.duration(hours=24), pl.col("failure_ts")
        )
    )
    assert in_precursor["is_anomaly"].mean() > 0.5
    features, _ = features_with_anomalies(plant.inputs, seed=1)
    assert features["anomaly_rate_7d"].is_between(0, 1).all()
