"""Test data with readable names: small frames, fitted models, logged runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def applicants(rows: int = 200, *, seed: int = 0) -> pd.DataFrame:
    """A small credit-like frame with numeric and categorical columns and a binary target."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000, 12_000, rows)
    debt = rng.normal(10_000, 4_000, rows)
    region = rng.choice(["north", "south", "east"], rows)
    score = (debt / income) * 3 + rng.normal(0, 0.3, rows)
    return pd.DataFrame(
        {
            "income": income,
            "debt": debt,
            "age": rng.integers(18, 80, rows),
            "region": region,
            "default": (score > np.median(score)).astype(int),
        }
    )


def fitted_classifier(frame: pd.DataFrame | None = None) -> tuple[Any, pd.DataFrame]:
    """A logistic regression on the numeric columns, and its feature frame."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = applicants() if frame is None else frame
    features = frame[["income", "debt", "age"]]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(features, frame["default"])
    return model, features


def logged_model_run(
    client: Any,
    *,
    experiment: str = "credit",
    auc: float = 0.8,
    params: dict[str, Any] | None = None,
) -> str:
    """A finished run with params, an auc metric and a logged model; returns its id."""
    model, features = fitted_classifier()
    with client.start_run(experiment) as run:
        run.log_params(params or {"C": 1.0})
        run.log_metric("auc", auc)
        run.log_model(model, "model", input_example=features.head(5))
    return str(run.id)
