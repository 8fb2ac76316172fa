"""Performance metrics equal scikit-learn's on generated data; undefined figures are None."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.preprocessing import label_binarize

from modelward.errors import InvalidInput
from modelward.validation.base import Outputs
from modelward.validation.metrics import (
    calibration_section,
    classification_metrics,
    confusion_section,
    cost_matrix_metric,
    custom_metric_values,
    regression_metrics,
)

rng = np.random.default_rng(7)
BINARY_TRUTH = rng.integers(0, 2, 500)
BINARY_SCORE = np.clip(0.3 * BINARY_TRUTH + rng.uniform(0, 0.7, 500), 0, 1)
BINARY_PRED = (BINARY_SCORE >= 0.5).astype(int)
BINARY_PROBA = np.column_stack([1 - BINARY_SCORE, BINARY_SCORE])


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        pytest.param("accuracy", skm.accuracy_score(BINARY_TRUTH, BINARY_PRED), id="accuracy"),
        pytest.param("precision", skm.precision_score(BINARY_TRUTH, BINARY_PRED), id="precision"),
        pytest.param("recall", skm.recall_score(BINARY_TRUTH, BINARY_PRED), id="recall"),
        pytest.param("f1", skm.f1_score(BINARY_TRUTH, BINARY_PRED), id="f1"),
        pytest.param("roc_auc", skm.roc_auc_score(BINARY_TRUTH, BINARY_SCORE), id="roc-auc"),
        pytest.param(
            "pr_auc", skm.average_precision_score(BINARY_TRUTH, BINARY_SCORE), id="pr-auc"
        ),
        pytest.param("log_loss", skm.log_loss(BINARY_TRUTH, BINARY_PROBA), id="log-loss"),
        pytest.param("brier", skm.brier_score_loss(BINARY_TRUTH, BINARY_SCORE), id="brier"),
    ],
)
def test_binary_metric_equals_sklearn(metric: str, expected: float) -> None:
    values = classification_metrics(BINARY_TRUTH, BINARY_PRED, BINARY_PROBA, classes=[0, 1])
    assert values[metric] == pytest.approx(expected, rel=1e-12)


def test_binary_metrics_score_the_given_positive_label() -> None:
    truth = np.where(BINARY_TRUTH == 1, "bad", "good")
    pred = np.where(BINARY_PRED == 1, "bad", "good")
    proba = BINARY_PROBA[:, ::-1]  # columns follow classes ["bad", "good"]
    values = classification_metrics(
        truth, pred, proba, classes=["bad", "good"], positive_label="bad"
    )
    assert values["recall"] == pytest.approx(skm.recall_score(truth, pred, pos_label="bad"))
    assert values["roc_auc"] == pytest.approx(skm.roc_auc_score(truth == "bad", BINARY_SCORE))


MULTI_TRUTH = rng.integers(0, 3, 600)
MULTI_PROBA = rng.dirichlet([1, 1, 1], 600) + np.eye(3)[MULTI_TRUTH] * 0.5
MULTI_PROBA /= MULTI_PROBA.sum(axis=1, keepdims=True)
MULTI_PRED = MULTI_PROBA.argmax(axis=1)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        pytest.param("accuracy", skm.accuracy_score(MULTI_TRUTH, MULTI_PRED), id="accuracy"),
        pytest.param(
            "precision",
            skm.precision_score(MULTI_TRUTH, MULTI_PRED, average="macro"),
            id="macro-precision",
        ),
        pytest.param(
            "recall", skm.recall_score(MULTI_TRUTH, MULTI_PRED, average="macro"), id="macro-recall"
        ),
        pytest.param("f1", skm.f1_score(MULTI_TRUTH, MULTI_PRED, average="macro"), id="macro-f1"),
        pytest.param(
            "roc_auc",
            skm.roc_auc_score(MULTI_TRUTH, MULTI_PROBA, multi_class="ovr", average="macro"),
            id="ovr-roc-auc",
        ),
        pytest.param(
            "pr_auc",
            skm.average_precision_score(
                label_binarize(MULTI_TRUTH, classes=[0, 1, 2]), MULTI_PROBA
            ),
            id="macro-pr-auc",
        ),
        pytest.param("log_loss", skm.log_loss(MULTI_TRUTH, MULTI_PROBA), id="log-loss"),
    ],
)
def test_multiclass_metric_equals_sklearn_macro_average(metric: str, expected) -> None:
    values = classification_metrics(MULTI_TRUTH, MULTI_PRED, MULTI_PROBA, classes=[0, 1, 2])
    assert values[metric] == pytest.approx(expected, rel=1e-12)


def test_brier_score_is_binary_only() -> None:
    values = classification_metrics(MULTI_TRUTH, MULTI_PRED, MULTI_PROBA, classes=[0, 1, 2])
    assert values["brier"] is None


def test_probability_metrics_are_none_without_probabilities() -> None:
    values = classification_metrics(BINARY_TRUTH, BINARY_PRED)
    assert values["accuracy"] is not None
    assert values["roc_auc"] is values["log_loss"] is values["brier"] is None


def test_auc_with_one_class_is_none_not_a_warning() -> None:
    values = classification_metrics(
        np.ones(20, int), np.ones(20, int), np.full(20, 0.9), classes=[0, 1]
    )
    assert values["roc_auc"] is None
    assert values["pr_auc"] is None


def test_model_never_predicting_positive_has_zero_precision_not_a_warning() -> None:
    values = classification_metrics(BINARY_TRUTH, np.zeros_like(BINARY_TRUTH), classes=[0, 1])
    assert values["precision"] == 0.0


REG_TRUTH = rng.normal(100, 20, 400)
REG_PRED = REG_TRUTH + rng.normal(0, 5, 400)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        pytest.param("mae", skm.mean_absolute_error(REG_TRUTH, REG_PRED), id="mae"),
        pytest.param("rmse", skm.root_mean_squared_error(REG_TRUTH, REG_PRED), id="rmse"),
        pytest.param("r2", skm.r2_score(REG_TRUTH, REG_PRED), id="r2"),
        pytest.param("mape", skm.mean_absolute_percentage_error(REG_TRUTH, REG_PRED), id="mape"),
    ],
)
def test_regression_metric_equals_sklearn(metric: str, expected: float) -> None:
    assert regression_metrics(REG_TRUTH, REG_PRED)[metric] == pytest.approx(expected, rel=1e-12)


def test_mape_is_undefined_with_a_zero_target() -> None:
    values = regression_metrics([0.0, 1.0, 2.0], [0.1, 1.1, 2.2])
    assert values["mape"] is None
    assert values["mae"] == pytest.approx(0.1333333333)


def test_lengths_must_align() -> None:
    with pytest.raises(InvalidInput, match="y_true has 3 rows but y_pred has 2"):
        regression_metrics([1, 2, 3], [1, 2])


def test_probability_columns_must_match_classes() -> None:
    with pytest.raises(InvalidInput, match="one column per class"):
        classification_metrics([0, 1, 2], [0, 1, 2], np.ones((3, 2)) / 2, classes=[0, 1, 2])


def binary_outputs() -> Outputs:
    return Outputs(
        task="classification",
        y_true=BINARY_TRUTH,
        y_pred=BINARY_PRED,
        proba=BINARY_PROBA,
        classes=(0, 1),
        positive_label=1,
    )


def test_confusion_and_calibration_sections_equal_sklearn() -> None:
    outputs = binary_outputs()
    observed, predicted = calibration_curve(BINARY_TRUTH, BINARY_SCORE, n_bins=10)
    assert (
        confusion_section(outputs)["matrix"]
        == skm.confusion_matrix(BINARY_TRUTH, BINARY_PRED).tolist()
    )
    section = calibration_section(outputs)
    assert section["observed"] == pytest.approx(observed.tolist())
    assert section["predicted"] == pytest.approx(predicted.tolist())


def test_cost_matrix_metric_averages_the_cost_of_each_decision() -> None:
    cost = cost_matrix_metric({(1, 0): 5.0, (0, 1): 1.0})
    missed_defaults = np.sum((BINARY_TRUTH == 1) & (BINARY_PRED == 0))
    refused_good = np.sum((BINARY_TRUTH == 0) & (BINARY_PRED == 1))
    expected = (5 * missed_defaults + refused_good) / BINARY_TRUTH.size
    assert custom_metric_values({"cost": cost}, binary_outputs()) == {
        "cost": pytest.approx(expected)
    }


def test_failing_custom_metric_is_invalid_input_naming_it() -> None:
    def broken(y_true, y_pred, y_proba) -> float:
        raise ValueError("no such column")

    with pytest.raises(InvalidInput, match="'broken' failed: no such column"):
        custom_metric_values({"broken": broken}, binary_outputs())


@settings(max_examples=40, deadline=None)
@given(labels=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=60))
def test_accuracy_and_macro_f1_equal_sklearn_on_any_labels(labels) -> None:
    truth, pred = (np.asarray(column) for column in zip(*labels, strict=True))
    values = classification_metrics(truth, pred, classes=[0, 1, 2])
    assert values["accuracy"] == pytest.approx(skm.accuracy_score(truth, pred))
    expected_f1 = skm.f1_score(truth, pred, labels=[0, 1, 2], average="macro", zero_division=0.0)
    assert values["f1"] == pytest.approx(expected_f1)
