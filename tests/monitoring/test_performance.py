"""Live performance figures come from validation's metric engine and equal scikit-learn's.

Monitoring builds its figures from a joined prediction log (labels, predictions and the logged
probability pairs, as pandas columns); these tests generate such logs and compare each figure
with scikit-learn on the raw arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from modelward.domain.metrics import LOWER_IS_BETTER
from modelward.monitoring import performance
from modelward.validation import base

# Both sides call scikit-learn on float64 arrays holding the same numbers; monitoring only
# converts pandas columns to NumPy first (exact for float64). rel 1e-12, a few thousand ulps,
# forgives nothing but another summation order; a wrong row, class or formula moves accuracy
# by at least 1/n (n = 400 here) and the errors by far more.
REL, ABS = 1e-12, 1e-15

rng = np.random.default_rng(12)
ROWS = 400
TRUTH = rng.integers(0, 2, ROWS)
SCORE = np.clip(0.35 * TRUTH + rng.uniform(0, 0.65, ROWS), 0.0, 1.0)
DECISION = (SCORE >= 0.5).astype(int)
TARGET = rng.normal(100.0, 20.0, ROWS)
ESTIMATE = TARGET + rng.normal(0.0, 7.5, ROWS)


def classification_log(truth: np.ndarray, decision: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    pairs = [[1.0 - s, s] for s in score]  # the log holds one list per row, in class order
    return pd.DataFrame({"label": truth, "prediction": decision, "probabilities": pairs})


def test_classification_figures_equal_sklearn() -> None:
    joined = classification_log(TRUTH, DECISION, SCORE)
    values = performance.compute_metrics(joined, task="classification")
    assert values["accuracy"] == pytest.approx(
        skm.accuracy_score(TRUTH, DECISION), rel=REL, abs=ABS
    )
    assert values["roc_auc"] == pytest.approx(skm.roc_auc_score(TRUTH, SCORE), rel=REL, abs=ABS)


def test_text_labels_score_the_second_class_of_the_sorted_order() -> None:
    names = np.array(["approve", "deny"])
    joined = classification_log(names[TRUTH], names[DECISION], SCORE)
    values = performance.compute_metrics(joined, task="classification")
    expected_auc = skm.roc_auc_score(names[TRUTH] == "deny", SCORE)
    assert values["roc_auc"] == pytest.approx(expected_auc, rel=REL, abs=ABS)
    assert values["accuracy"] == pytest.approx(
        skm.accuracy_score(names[TRUTH], names[DECISION]), rel=REL, abs=ABS
    )


def test_regression_figures_equal_sklearn() -> None:
    joined = pd.DataFrame({"label": TARGET, "prediction": ESTIMATE})
    values = performance.compute_metrics(joined, task="regression")
    assert values == {
        "mae": pytest.approx(skm.mean_absolute_error(TARGET, ESTIMATE), rel=REL, abs=ABS),
        "rmse": pytest.approx(skm.root_mean_squared_error(TARGET, ESTIMATE), rel=REL, abs=ABS),
    }


def test_monitoring_and_validation_give_the_same_figure_on_the_same_rows() -> None:
    joined = classification_log(TRUTH, DECISION, SCORE)
    live = performance.compute_metrics(joined, task="classification")
    outputs = base.Outputs(
        task="classification",
        y_true=TRUTH,
        y_pred=DECISION,
        proba=np.column_stack([1.0 - SCORE, SCORE]),
        classes=(0, 1),
        positive_label=1,
    )
    from modelward.validation.metrics import compute_metric

    # One engine: the live figure and the validation baseline are the same computation.
    assert live["accuracy"] == compute_metric("accuracy", outputs)
    assert live["roc_auc"] == compute_metric("roc_auc", outputs)


@pytest.mark.parametrize(
    ("truth", "score"),
    [
        pytest.param(np.ones(40, dtype=int), np.linspace(0, 1, 40), id="one-class"),
        pytest.param(np.arange(60) % 3, np.linspace(0, 1, 60), id="three-classes"),
    ],
)
def test_roc_auc_is_undefined_without_exactly_two_observed_classes(
    truth: np.ndarray, score: np.ndarray
) -> None:
    joined = classification_log(truth, truth, score)
    values = performance.compute_metrics(joined, task="classification")
    assert values["accuracy"] == 1.0 and values["roc_auc"] is None


def test_no_probabilities_means_no_roc_auc() -> None:
    joined = pd.DataFrame({"label": TRUTH, "prediction": DECISION})
    assert set(performance.compute_metrics(joined, task="classification")) == {"accuracy"}


@pytest.mark.parametrize(
    ("metric", "value", "degraded"),
    [
        pytest.param("rmse", 10.6, True, id="error-above-baseline-times-1.05"),
        pytest.param("rmse", 10.4, False, id="error-within-margin"),
        pytest.param("accuracy", 0.84, True, id="score-below-baseline-minus-0.05"),
        pytest.param("accuracy", 0.86, False, id="score-within-margin"),
        pytest.param("log_loss", 0.53, True, id="loss-is-lower-is-better-too"),
    ],
)
def test_judge_reads_the_one_direction_table(metric: str, value: float, degraded: bool) -> None:
    baseline = {"rmse": 10.0, "accuracy": 0.9, "log_loss": 0.5}
    (point,) = performance.judge({metric: value}, baseline=baseline, n_labels=100)
    assert point.degraded is degraded
    assert (metric in LOWER_IS_BETTER) is (metric in ("rmse", "log_loss"))
