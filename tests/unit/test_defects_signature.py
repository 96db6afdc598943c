"""Wafer-map signature classifier: >= 90 % accuracy on held-out maps of our own generator and
on the plant simulator's labelled maps."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from assets.defects.signature import accuracy_by_class, classify, classify_defects, train_classifier
from assets.defects.synthetic_maps import SIGNATURE_CLASSES, synthetic_set


@pytest.fixture(scope="module")
def model():
    return train_classifier(per_class=120)


def test_accuracy_on_held_out_synthetic_maps(model) -> None:
    maps, labels = synthetic_set(per_class=40, seed=99)
    predicted, confidence = classify(model, maps)
    acc = accuracy_by_class(labels, predicted)
    print(acc)
    overall = acc.filter(pl.col("signature") == "overall")["accuracy"][0]
    assert overall >= 0.9
    assert acc.filter(pl.col("signature") != "overall")["accuracy"].min() >= 0.8
    assert ((confidence > 0) & (confidence <= 1)).all()


def test_accuracy_on_simulator_maps(model) -> None:
    from ingestion.plant import load_plant
    from ingestion.simulator import wafermaps as simulator

    gen = simulator.WaferMapGenerator(load_plant("demo"), np.random.default_rng(5))
    labels, maps = [], []
    for i in range(600):
        sig, defects = gen.generate(f"INS{i}")
        labels.append(sig)
        maps.append((np.array([d[1] for d in defects]), np.array([d[2] for d in defects])))
    predicted, _ = classify(model, maps)
    acc = accuracy_by_class(labels, predicted)
    print(acc)
    assert acc.filter(pl.col("signature") == "overall")["accuracy"][0] >= 0.9


def test_classify_defects_covers_clean_wafers(model) -> None:
    maps, labels = synthetic_set(per_class=1, seed=3)
    rows = [
        {"inspection_id": f"i{k}", "x_mm": float(x), "y_mm": float(y)}
        for k, (xs, ys) in enumerate(maps)
        for x, y in zip(xs, ys, strict=True)
    ]
    inspections = pl.DataFrame({"inspection_id": [f"i{k}" for k in range(len(maps))] + ["clean"]})
    out = classify_defects(model, pl.DataFrame(rows), inspections)
    assert out.height == len(SIGNATURE_CLASSES) + 1
    assert out.filter(pl.col("inspection_id") == "clean")["signature"][0] == "none"
