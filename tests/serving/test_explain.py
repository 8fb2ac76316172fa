"""Per-decision explanations checked against the `shap` package on the same data: the exact
linear method against shap's LinearExplainer, TreeSHAP against shap's TreeExplainer, the
sampling method against shap's exact (all-coalitions) explainer; additivity everywhere."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

from modelward.registry.flavors import LoadedModel
from modelward.serving.explain import build_explainer
from modelward.serving.explain_methods import REFERENCE_ROWS, SamplingExplainer, ownership

with warnings.catch_warnings():  # shap's import trips matplotlib's own deprecations
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    shap = pytest.importorskip("shap")

NUMERIC = ["age", "income", "debt"]
# Our values and shap's come from the same float64 formulas evaluated in another order (numpy
# matrix products against shap's C++ or its own loops): they agree to ~1e-12 relative; 1e-8
# leaves room for any x86-64 BLAS without hiding a wrong formula (those differ by > 1e-3).
SAME_FORMULA = 1e-8


def applicants(rows: int = REFERENCE_ROWS, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Credit applicants; as many rows as the explainers keep of a reference, so that shap gets
    the same reference as they do."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, rows),
            "income": rng.lognormal(10.5, 0.4, rows),
            "debt": rng.uniform(0, 1, rows),
            "home": rng.choice(["own", "rent", "other"], rows),
        }
    )
    logit = 3 * X["debt"] - X["income"] / 40_000 + (X["home"] == "rent") * 0.8
    y = (logit + rng.normal(0, 0.5, rows) > 0.5).astype(int).to_numpy()
    return X, y


def loaded(model: Any) -> LoadedModel:
    return LoadedModel(model, {"flavor": "sklearn", "signature": {"columns": []}})


def preprocess() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["home"]),
        ]
    )


HOMES = ["other", "own", "rent"]


def shap_exact(model: Any, background: pd.DataFrame, rows: pd.DataFrame) -> Any:
    """shap's exact explainer of the positive-class probability (its tabular masker takes
    numbers only: `home` goes in as its index in HOMES)."""
    columns, dtypes = list(rows.columns), rows.dtypes.to_dict()

    def numeric(frame: pd.DataFrame) -> np.ndarray:
        return frame.assign(home=frame["home"].map(HOMES.index)).to_numpy(np.float64)

    def positive(matrix: np.ndarray) -> np.ndarray:
        data = pd.DataFrame(matrix, columns=columns)
        data["home"] = [HOMES[int(i)] for i in data["home"]]
        return np.asarray(model.predict_proba(data.astype(dtypes))[:, 1])

    masker = shap.maskers.Independent(numeric(background), max_samples=len(background))
    return shap.explainers.Exact(positive, masker)(numeric(rows))


def grouped(values: np.ndarray, owner: np.ndarray) -> np.ndarray:
    return values @ owner


def assert_additive(explained: Any) -> None:
    total = explained.base + explained.contributions.sum(axis=1)
    np.testing.assert_allclose(total, explained.value, rtol=SAME_FORMULA, atol=SAME_FORMULA)


def test_linear_pipeline_matches_shap_linear_explainer() -> None:
    X, y = applicants()
    model = make_pipeline(preprocess(), LogisticRegression()).fit(X, y)
    explainer = build_explainer(loaded(model), list(X.columns), X)
    assert explainer is not None and explainer.method == "linear"
    rows = X.iloc[:25]
    explained = explainer.explain(rows)
    # shap on the transformed data, with the whole reference as the background
    Z_ref = model[:-1].transform(X)
    reference = shap.LinearExplainer(model[-1], shap.maskers.Independent(Z_ref, len(Z_ref)))
    theirs = reference.shap_values(model[:-1].transform(rows))
    owner = ownership(model[:-1].transform, X, list(X.columns))
    assert owner is not None and owner.shape == (6, 4)  # 3 scaled + 3 one-hot -> 4 inputs
    np.testing.assert_allclose(explained.contributions, grouped(theirs, owner), atol=SAME_FORMULA)
    np.testing.assert_allclose(explained.base, reference.expected_value, rtol=SAME_FORMULA)
    np.testing.assert_allclose(explained.value, model.decision_function(rows), rtol=SAME_FORMULA)
    assert explained.output == "log_odds" and explained.target == [1] * 25
    assert_additive(explained)


def test_linear_regression_is_coefficient_times_distance_to_the_mean() -> None:
    X, _ = applicants()
    target = 2 * X["debt"] + X["income"] / 10_000
    model = LinearRegression().fit(X[NUMERIC], target)
    explainer = build_explainer(loaded(model), NUMERIC, X[NUMERIC])
    assert explainer is not None and explainer.method == "linear"
    row = X[NUMERIC].iloc[[3]]
    explained = explainer.explain(row.to_numpy())  # the serving fast path's float matrix
    expected = model.coef_ * (row.to_numpy()[0] - X[NUMERIC].mean().to_numpy())
    np.testing.assert_allclose(explained.contributions[0], expected, rtol=SAME_FORMULA)
    assert explained.row(0, top=1)["contributions"].keys() == {"income"}


@pytest.mark.parametrize(
    "estimator",
    [
        RandomForestClassifier(n_estimators=30, max_depth=5, random_state=0),
        GradientBoostingClassifier(n_estimators=30, random_state=0),
    ],
    ids=["random-forest", "gradient-boosting"],
)
def test_tree_ensembles_match_shap_tree_explainer(estimator: Any) -> None:
    X, y = applicants()
    model = make_pipeline(preprocess(), estimator).fit(X, y)
    explainer = build_explainer(loaded(model), list(X.columns), X)
    assert explainer is not None and explainer.method == "tree"
    rows = X.iloc[:20]
    explained = explainer.explain(rows)
    Z = model[:-1].transform(rows)
    theirs = np.asarray(shap.TreeExplainer(model[-1]).shap_values(Z))
    theirs = theirs[:, :, 1] if theirs.ndim == 3 else theirs  # positive class
    owner = ownership(model[:-1].transform, X, list(X.columns))
    assert owner is not None
    np.testing.assert_allclose(explained.contributions, grouped(theirs, owner), atol=SAME_FORMULA)
    assert_additive(explained)
    if explained.output == "probability":  # random forests: the trees average probabilities
        np.testing.assert_allclose(explained.value, model.predict_proba(rows)[:, 1], atol=1e-9)
    else:  # gradient boosting: the raw margin
        assert explained.output == "log_odds"
        np.testing.assert_allclose(explained.value, model.decision_function(rows), atol=1e-9)


def test_tree_regressor_explains_the_prediction() -> None:
    X, _ = applicants()
    target = 2 * X["debt"] + X["age"] / 50
    model = RandomForestRegressor(n_estimators=20, max_depth=4, random_state=0)
    model.fit(X[NUMERIC], target)
    explainer = build_explainer(loaded(model), NUMERIC, X[NUMERIC])
    assert explainer is not None and explainer.method == "tree"
    explained = explainer.explain(X[NUMERIC].iloc[:10])
    assert explained.output == "value"
    np.testing.assert_allclose(explained.value, model.predict(X[NUMERIC].iloc[:10]), rtol=1e-9)
    assert_additive(explained)


def test_sampling_with_four_features_is_exact_shapley() -> None:
    """All 24 orders are walked: the values are the exact interventional Shapley values over
    the background, which shap's ExactExplainer computes by enumerating coalitions."""
    X, y = applicants()
    model = make_pipeline(preprocess(), RandomForestClassifier(20, random_state=0)).fit(X, y)
    explainer = SamplingExplainer(loaded(model), list(X.columns), X)
    rows = X.iloc[:5]
    explained = explainer.explain(rows)
    exact = shap_exact(model, explainer.background, rows)
    np.testing.assert_allclose(explained.contributions, exact.values, atol=SAME_FORMULA)
    np.testing.assert_allclose(explained.base, exact.base_values, atol=SAME_FORMULA)
    assert_additive(explained)


def test_sampling_estimate_is_additive_and_near_exact_shapley() -> None:
    """Six features: 8 sampled orders. The estimate is exactly additive (the walk telescopes)
    and close to the exact values: for this model the sampling error of 8 orders is a few
    hundredths of the largest contribution; 0.15 bounds it with room, and a wrong attribution
    (a feature's value given to another) is off by the contribution itself."""
    X, y = applicants()
    rng = np.random.default_rng(1)
    X = X.assign(tenure=rng.uniform(0, 30, len(X)), cards=rng.integers(0, 6, len(X)))
    columns = list(X.columns)
    pipe = ColumnTransformer(
        [
            ("num", StandardScaler(), [*NUMERIC, "tenure", "cards"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["home"]),
        ]
    )
    model = make_pipeline(pipe, RandomForestClassifier(30, max_depth=4, random_state=0))
    model.fit(X, y)
    explainer = SamplingExplainer(loaded(model), columns, X)
    rows = X.iloc[:5]
    explained = explainer.explain(rows)
    assert_additive(explained)
    exact = shap_exact(model, explainer.background, rows)
    scale = np.abs(exact.values).max()
    assert np.abs(explained.contributions - exact.values).max() <= 0.15 * scale


def test_preprocessing_that_mixes_inputs_gets_the_sampling_method() -> None:
    X, y = applicants()
    model = make_pipeline(PolynomialFeatures(2), LogisticRegression(max_iter=2000))
    model.fit(X[NUMERIC], y)
    explainer = build_explainer(loaded(model), NUMERIC, X[NUMERIC])
    assert explainer is not None and explainer.method == "sampling"
    assert_additive(explainer.explain(X[NUMERIC].iloc[:3]))


def test_same_input_gives_the_same_explanation_alone_or_in_a_batch() -> None:
    X, y = applicants()
    model = make_pipeline(preprocess(), GradientBoostingClassifier(n_estimators=10)).fit(X, y)
    explainer = SamplingExplainer(loaded(model), list(X.columns), X)
    alone = explainer.explain(X.iloc[[7]])
    batch = explainer.explain(X.iloc[5:9])
    np.testing.assert_allclose(alone.contributions[0], batch.contributions[2], atol=1e-12)
