"""Data and model doubles for the validation tests: small credit-like frames, planted effects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

NUMERIC = ["income", "debt", "age"]


class ScoredModel:
    """A binary classifier whose positive-class probability is `score(frame)`."""

    def __init__(
        self, score: Callable[[pd.DataFrame], Any], *, threshold: float = 0.5, labels=(0, 1)
    ) -> None:
        self.score = score
        self.threshold = threshold
        self.classes_ = np.asarray(labels)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        positive = np.clip(np.asarray(self.score(frame), dtype=float), 0.0, 1.0)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        positive = self.predict_proba(frame)[:, 1] >= self.threshold
        return np.where(positive, self.classes_[1], self.classes_[0])


def make_applicants(rows: int = 2_000, *, seed: int = 0) -> pd.DataFrame:
    """Income, debt, age, region, gender and a `default` target driven by debt/income."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000, 12_000, rows).clip(10_000)
    debt = rng.normal(12_000, 5_000, rows).clip(0)
    risk = 4 * debt / income - 1 + rng.normal(0, 0.5, rows)
    return pd.DataFrame(
        {
            "income": income,
            "debt": debt,
            "age": rng.integers(18, 80, rows),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "gender": rng.choice(["female", "male"], rows),
            "default": (risk > 0).astype(int),
        }
    )


@pytest.fixture
def applicants() -> pd.DataFrame:
    return make_applicants()


def with_ratio(frame: pd.DataFrame) -> pd.DataFrame:
    """The numeric features plus the debt/income ratio that drives the target."""
    return frame[NUMERIC].assign(ratio=frame["debt"] / frame["income"])


def fit_credit_model(frame: pd.DataFrame) -> Pipeline:
    model = make_pipeline(
        FunctionTransformer(with_ratio), StandardScaler(), LogisticRegression(max_iter=1_000)
    )
    return model.fit(frame[NUMERIC], frame["default"])


@pytest.fixture
def credit_model(applicants: pd.DataFrame) -> Pipeline:
    """Logistic regression on income, debt, age and their ratio; has `feature_names_in_`."""
    return fit_credit_model(applicants)


@pytest.fixture
def make_model() -> type[ScoredModel]:
    return ScoredModel
