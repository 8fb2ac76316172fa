"""Performance metrics through scikit-learn, custom business metrics, and curve data.

Values equal scikit-learn's on the same arrays; figures that are undefined on the data (ROC AUC
with one class, MAPE with a zero target) come back as None instead of a warning or NaN.
Slicing, thresholds and checks are the business of other modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.preprocessing import label_binarize

from modelward.errors import InvalidInput
from modelward.validation.base import Outputs, as_float

CLASSIFICATION_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
)
REGRESSION_METRICS = ("mae", "rmse", "r2", "mape")

MetricFn = Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]
"""A custom metric: ``(y_true, y_pred, y_proba) -> float``.

`y_pred` holds the decisions (or regression predictions); `y_proba` is the class probability
matrix, columns in the model's class order, or None without `predict_proba`.
"""


def classification_metrics(
    y_true: Any,
    y_pred: Any,
    y_proba: Any = None,
    *,
    classes: Any = None,
    positive_label: Any = None,
) -> dict[str, float | None]:
    """Accuracy, precision, recall, F1, ROC AUC, PR AUC, log loss and Brier score.

    Binary tasks score the positive class (`positive_label`, by default the second of
    `classes`). Multiclass precision, recall, F1, ROC AUC (one-vs-rest) and PR AUC are macro
    averages; Brier score is binary only. Probability-based figures need `y_proba` (columns in
    `classes` order) and are None without it.

    Raises:
        InvalidInput: lengths differ or `y_proba` does not have one column per class.
    """
    outputs = _classification_outputs(y_true, y_pred, y_proba, classes, positive_label)
    return {name: compute_metric(name, outputs) for name in CLASSIFICATION_METRICS}


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float | None]:
    """MAE, RMSE, R2 and MAPE; MAPE is None when a target is zero, R2 with under two rows."""
    truth, pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    _check_lengths(truth, pred)
    outputs = Outputs(task="regression", y_true=truth, y_pred=pred)
    return {name: compute_metric(name, outputs) for name in REGRESSION_METRICS}


def metric_names(outputs: Outputs) -> tuple[str, ...]:
    """The built-in metrics that apply to `outputs`' task."""
    return CLASSIFICATION_METRICS if outputs.task == "classification" else REGRESSION_METRICS


def compute_metric(name: str, outputs: Outputs) -> float | None:
    """One named metric on `outputs`, or None when it is undefined on them.

    Raises:
        InvalidInput: `name` is not a metric of the task.
    """
    if name not in metric_names(outputs):
        raise InvalidInput(
            f"Unknown {outputs.task} metric {name!r}; expected one of "
            f"{', '.join(metric_names(outputs))}."
        )
    if outputs.size == 0:
        return None
    if outputs.task == "regression":
        return _regression_metric(name, outputs.y_true, outputs.y_pred)
    if name in ("accuracy", "precision", "recall", "f1"):
        return _label_metric(name, outputs)
    return _probability_metric(name, outputs)


def _label_metric(name: str, outputs: Outputs) -> float | None:
    truth, pred = outputs.y_true, outputs.y_pred
    if name == "accuracy":
        return as_float(skm.accuracy_score(truth, pred))
    scorer = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}
    if outputs.binary:
        kwargs: dict[str, Any] = {"pos_label": outputs.positive_label, "average": "binary"}
    else:
        kwargs = {"labels": list(outputs.classes or ()), "average": "macro"}
    # zero_division=0.0: a model that never predicts the positive class scores 0, not a warning.
    return as_float(scorer[name](truth, pred, zero_division=0.0, **kwargs))


def _probability_metric(name: str, outputs: Outputs) -> float | None:
    if outputs.proba is None or outputs.classes is None:
        return None
    truth, classes = outputs.y_true, list(outputs.classes)
    if name == "log_loss":
        return as_float(skm.log_loss(truth, outputs.proba, labels=classes))
    present = set(np.unique(truth).tolist())
    if outputs.binary:
        positive = outputs.positive_proba
        is_positive = truth == outputs.positive_label
        if name == "brier":
            return as_float(skm.brier_score_loss(is_positive, positive))
        if len(present) < 2:
            return None
        if name == "roc_auc":
            return as_float(skm.roc_auc_score(is_positive, positive))
        return as_float(skm.average_precision_score(is_positive, positive))
    if name == "brier" or present != set(classes):
        return None  # one-vs-rest figures need every class among the targets
    if name == "roc_auc":
        return as_float(
            skm.roc_auc_score(
                truth, outputs.proba, multi_class="ovr", average="macro", labels=classes
            )
        )
    binarized = label_binarize(truth, classes=classes)
    return as_float(skm.average_precision_score(binarized, outputs.proba, average="macro"))


def _regression_metric(name: str, truth: np.ndarray, pred: np.ndarray) -> float | None:
    if name == "mae":
        return as_float(skm.mean_absolute_error(truth, pred))
    if name == "rmse":
        return as_float(skm.root_mean_squared_error(truth, pred))
    if name == "r2":
        return as_float(skm.r2_score(truth, pred)) if truth.size >= 2 else None
    if np.any(truth == 0):
        return None  # MAPE divides by the target
    return as_float(skm.mean_absolute_percentage_error(truth, pred))


def custom_metric_values(
    custom_metrics: Mapping[str, MetricFn], outputs: Outputs
) -> dict[str, float | None]:
    """Call each custom metric with ``(y_true, y_pred, y_proba)``.

    Raises:
        InvalidInput: a metric raised or returned something that is not a number.
    """
    values: dict[str, float | None] = {}
    for name, metric in custom_metrics.items():
        try:
            result = metric(outputs.y_true, outputs.y_pred, outputs.proba)
            values[name] = as_float(result)
        except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:
            raise InvalidInput(f"Custom metric {name!r} failed: {exc}") from exc
    return values


def cost_matrix_metric(costs: Mapping[tuple[Any, Any], float]) -> MetricFn:
    """A custom metric: the average cost per row of the decisions.

    `costs` maps ``(true_label, predicted_label)`` to a cost; pairs not listed cost 0. For a
    credit model where 1 means default, ``{(1, 0): 5.0, (0, 1): 1.0}`` says that approving a
    defaulter costs five times as much as refusing a good customer. Lower is better: bound it
    with ``max_<name>`` in the configuration.
    """
    table = dict(costs)

    def average_cost(y_true: np.ndarray, y_pred: np.ndarray, y_proba: np.ndarray | None) -> float:
        truth, pred = np.asarray(y_true), np.asarray(y_pred)
        if truth.size == 0:
            return float("nan")
        total = sum(
            cost * float(np.count_nonzero((truth == actual) & (pred == decided)))
            for (actual, decided), cost in table.items()
        )
        return float(total) / truth.size

    return average_cost


def confusion_section(outputs: Outputs) -> dict[str, Any]:
    """Confusion matrix at the decision threshold: rows are true classes, columns predictions."""
    labels = list(outputs.classes or ())
    matrix = skm.confusion_matrix(outputs.y_true, outputs.y_pred, labels=labels)
    return {"labels": [str(label) for label in labels], "matrix": matrix.tolist()}


def calibration_section(outputs: Outputs, *, n_bins: int = 10) -> dict[str, Any] | None:
    """Reliability curve (uniform bins) for binary probabilities; None otherwise."""
    positive = outputs.positive_proba
    if positive is None or len(np.unique(outputs.y_true)) < 2:
        return None
    is_positive = outputs.y_true == outputs.positive_label
    observed, predicted = calibration_curve(is_positive, positive, n_bins=n_bins)
    return {"observed": observed.tolist(), "predicted": predicted.tolist(), "n_bins": n_bins}


def roc_section(outputs: Outputs, *, max_points: int = 200) -> dict[str, Any] | None:
    """ROC curve points for binary probabilities, thinned to at most `max_points`."""
    positive = outputs.positive_proba
    if positive is None or len(np.unique(outputs.y_true)) < 2:
        return None
    fpr, tpr, _ = skm.roc_curve(outputs.y_true == outputs.positive_label, positive)
    keep = np.unique(np.linspace(0, fpr.size - 1, min(fpr.size, max_points)).astype(int))
    return {"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist()}


def _classification_outputs(
    y_true: Any, y_pred: Any, y_proba: Any, classes: Any, positive_label: Any
) -> Outputs:
    truth, pred = np.asarray(y_true), np.asarray(y_pred)
    _check_lengths(truth, pred)
    if classes is None:
        classes = np.unique(np.concatenate([truth, pred]))
    labels = tuple(np.asarray(classes).tolist())
    proba = None if y_proba is None else np.asarray(y_proba, dtype=float)
    if proba is not None:
        if proba.ndim == 1 and len(labels) == 2:
            proba = np.column_stack([1.0 - proba, proba])
        if proba.shape != (truth.size, len(labels)):
            raise InvalidInput(
                f"y_proba has shape {proba.shape}; expected ({truth.size}, {len(labels)}), "
                "one column per class."
            )
    if positive_label is None and len(labels) == 2:
        positive_label = labels[1]
    return Outputs(
        task="classification",
        y_true=truth,
        y_pred=pred,
        proba=proba,
        classes=labels,
        positive_label=positive_label,
    )


def _check_lengths(truth: np.ndarray, pred: np.ndarray) -> None:
    if truth.shape[0] != pred.shape[0]:
        raise InvalidInput(
            f"y_true has {truth.shape[0]} rows but y_pred has {pred.shape[0]}; they must align."
        )
