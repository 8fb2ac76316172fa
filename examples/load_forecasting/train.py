"""Training code of the load forecaster: the entry point `modelward retrain` calls
(``train: train:train`` in modelward.yaml) and run.py uses for the first version."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor


def train(data: pd.DataFrame, *, target: str, params: dict[str, Any]) -> Any:
    """Gradient-boosted trees over every column of `data` but `target`.

    Trees do not extrapolate: a model that never saw winter temperatures predicts summer
    loads for them, which is what the season change in run.py shows.

    params (strings accepted, as ``modelward retrain --param n_estimators=300`` passes them):
    ``n_estimators`` (default 150), ``max_depth`` (4), ``learning_rate`` (0.1).
    """
    model = GradientBoostingRegressor(
        n_estimators=int(params.get("n_estimators", 150)),
        max_depth=int(params.get("max_depth", 4)),
        learning_rate=float(params.get("learning_rate", 0.1)),
        random_state=0,
    )
    return model.fit(data.drop(columns=[target]), data[target])
