"""The pyfunc wrapper MLflow stores for a fabstack model (imported only where MLflow is used).

The fitted object (e.g. ``train.FittedModel``) travels as a joblib artifact; the wrapper loads
it and scores a frame of features. Generic: any fitted object with ``predict(polars frame)``.
"""

from __future__ import annotations

from typing import Any

import joblib
import mlflow.pyfunc
import pandas as pd
import polars as pl


class FabModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context: Any) -> None:
        self.fitted = joblib.load(context.artifacts["fitted"])

    def predict(self, context: Any, model_input: pd.DataFrame) -> list[float]:
        return [float(p) for p in self.fitted.predict(pl.from_pandas(model_input))]
