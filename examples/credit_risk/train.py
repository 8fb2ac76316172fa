"""Training code of the credit-risk model: the entry point `modelward retrain` calls
(``train: train:train`` in modelward.yaml) and run.py uses for the first version."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def train(data: pd.DataFrame, *, target: str, params: dict[str, Any]) -> Pipeline:
    """A logistic regression over every column of `data` but `target` (scaled numerics,
    one-hot categoricals): smooth scores, so small input noise rarely flips a decision.

    params (strings accepted, as ``modelward retrain --param C=0.3`` passes them): ``C``
    (inverse regularisation strength, default 1.0).
    """
    features = data.drop(columns=[target])
    categorical = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    numeric = [c for c in features.columns if c not in categorical]
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    model = LogisticRegression(C=float(params.get("C", 1.0)), max_iter=2000)
    return Pipeline([("encode", encode), ("model", model)]).fit(features, data[target])
