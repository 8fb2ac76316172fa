"""Explanations: permutation importance and partial dependence equal scikit-learn's."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import partial_dependence, permutation_importance

from modelward.validation import prepare
from modelward.validation.explain import (
    check_explanations,
    feature_grid,
    partial_dependence_curve,
    permutation_importances,
)

FEATURES = ["income", "debt", "age"]


def score(model, frame: pd.DataFrame):
    X = frame[FEATURES]
    outputs, _, _ = prepare.score(model, X, frame["default"], task="classification")
    return X, outputs


def test_permutation_importance_equals_sklearn(credit_model, applicants) -> None:
    X, outputs = score(credit_model, applicants)
    ours = permutation_importances(
        credit_model, X, outputs.y_true, outputs=outputs, repeats=3, seed=4
    )
    reference = permutation_importance(
        credit_model, X, outputs.y_true, scoring="roc_auc", n_repeats=3, random_state=4
    )
    expected = dict(zip(FEATURES, reference.importances_mean, strict=True))
    assert ours["metric"] == "roc_auc"
    assert ours["features"][0] == "debt"  # the target is driven by debt / income
    for feature, mean in zip(ours["features"], ours["mean"], strict=True):
        assert mean == pytest.approx(expected[feature], rel=1e-12)


@pytest.mark.parametrize("feature", ["income", "debt"])
def test_partial_dependence_equals_sklearn_brute_force(credit_model, applicants, feature) -> None:
    X, outputs = score(credit_model, applicants.iloc[:300])
    grid = feature_grid(X[feature], resolution=8)
    ours = partial_dependence_curve(credit_model, X, feature, outputs=outputs, grid=grid)
    reference = partial_dependence(
        credit_model,
        X,
        [feature],
        custom_values={feature: np.asarray(grid)},
        method="brute",
        kind="average",
    )
    assert ours["1"] == pytest.approx(reference["average"][0].tolist(), rel=1e-10)


def test_feature_grid_spans_the_5th_to_95th_percentile() -> None:
    values = pd.Series(np.arange(1_000, dtype=float))
    grid = feature_grid(values, resolution=5)
    assert grid == pytest.approx(np.linspace(49.95, 949.05, 5).tolist())
    assert feature_grid(pd.Series(["a", "b", "b"]), resolution=5) == ["b", "a"]


def test_integer_feature_grid_holds_whole_numbers() -> None:
    grid = feature_grid(pd.Series(np.arange(18, 80)), resolution=20)
    assert all(isinstance(value, int) for value in grid)
    assert grid == sorted(set(grid))
    assert (grid[0], grid[-1]) == (21, 76)  # round(18 + 0.05 * 61), round(18 + 0.95 * 61)


def test_explanations_sample_rows_and_report_top_features(credit_model, applicants) -> None:
    X, outputs = score(credit_model, applicants)
    part = check_explanations(
        credit_model, X, outputs=outputs, top_k=2, repeats=2, importance_rows=500, pdp_rows=100
    )
    assert part.sections["importances"]["rows"] == 500
    assert part.sections["partial_dependence"]["rows"] == 100
    assert list(part.sections["partial_dependence"]["features"]) == [
        "debt",
        part.sections["importances"]["features"][1],
    ]
    assert [check.name for check in part.checks][0] == "explanations.permutation_importance[debt]"
    assert all(check.passed is None for check in part.checks)


def test_missing_shap_is_a_warning_not_an_error(credit_model, applicants, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "shap", None)  # makes `import shap` raise ImportError
    X, outputs = score(credit_model, applicants)
    part = check_explanations(
        credit_model, X, outputs=outputs, top_k=1, repeats=1, importance_rows=200, pdp_rows=50
    )
    assert "shap" not in part.sections
    assert any("SHAP is not installed" in warning for warning in part.warnings)
