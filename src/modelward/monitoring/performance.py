"""Performance on labelled rows of a window, held to the version's validation baseline.

Classification: accuracy, and ROC AUC when the log holds probabilities of a binary model.
Regression: MAE and RMSE. The baseline of a metric is its value in the latest validation
report of the champion version; a window is degraded on a metric when it falls below the
baseline minus the margin (``accuracy``, ``roc_auc``: absolute, default 0.05) or, for errors,
above the baseline times ``1 + margin`` (``mae``, ``rmse``: relative). Explicit floors from
``monitoring: {min_metrics: {roc_auc: 0.7}}`` apply as well. Fewer than ``min_labels``
labelled rows give ``insufficient_data``: no figure is judged, no alert is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.metrics import LOWER_IS_BETTER
from modelward.domain.monitoring import PerformancePoint
from modelward.validation.base import Outputs
from modelward.validation.metrics import compute_metric

REGRESSION = ("mae", "rmse")
DEFAULT_MARGIN = 0.05
MIN_LABELS = 30


def infer_task(labels: pd.Series, probabilities: pd.Series | None, task: str | None) -> str:
    """The task given (validation report), else classification when probabilities exist or
    the labels are whole numbers / text with few values."""
    if task in ("classification", "regression"):
        return task
    if probabilities is not None and probabilities.notna().any():
        return "classification"
    numeric = pd.to_numeric(labels, errors="coerce")
    if numeric.isna().any():
        return "classification"
    whole = bool(np.all(np.mod(numeric.to_numpy(float), 1) == 0))
    return "classification" if whole and numeric.nunique() <= 20 else "regression"


def _same_kind(labels: pd.Series, predictions: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    numeric_l = pd.to_numeric(labels, errors="coerce")
    numeric_p = pd.to_numeric(predictions, errors="coerce")
    if not numeric_l.isna().any() and not numeric_p.isna().any():
        return numeric_l.to_numpy(float), numeric_p.to_numpy(float)
    return labels.astype(str).to_numpy(), predictions.astype(str).to_numpy()


def compute_metrics(joined: pd.DataFrame, *, task: str) -> dict[str, float | None]:
    """Metrics on rows with ``label``, ``prediction`` and (optional) ``probabilities``.

    Computed by validation's metric engine (`modelward.validation.metrics.compute_metric`), so
    a live figure and the validation baseline it is held to come from the same code.
    """
    truth, predicted = _same_kind(joined["label"], joined["prediction"])
    if task == "regression":
        outputs = Outputs(
            task="regression", y_true=truth.astype(float), y_pred=predicted.astype(float)
        )
        return {name: compute_metric(name, outputs) for name in REGRESSION}
    classes = tuple(np.unique(np.concatenate([truth, predicted])).tolist())
    outputs = Outputs(task="classification", y_true=truth, y_pred=predicted, classes=classes)
    values: dict[str, float | None] = {"accuracy": compute_metric("accuracy", outputs)}
    scores = positive_scores(joined)
    if scores is not None:
        values["roc_auc"] = None
        labels = tuple(np.unique(truth).tolist())
        if len(labels) == 2:
            # the log's probabilities are in the model's (sorted) class order
            proba = np.column_stack([1.0 - scores, scores])
            binary = replace(outputs, classes=labels, proba=proba, positive_label=labels[1])
            values["roc_auc"] = compute_metric("roc_auc", binary)
    return values


def positive_scores(frame: pd.DataFrame) -> np.ndarray | None:
    """Probability of the second class per row, when every row logged two probabilities."""
    if "probabilities" not in frame.columns:
        return None
    probs = frame["probabilities"]
    if probs.isna().any() or not all(len(p) == 2 for p in probs):
        return None
    return np.array([float(p[1]) for p in probs])


def baseline_from_report(summary: Mapping[str, Any] | None) -> dict[str, float]:
    """``performance.<metric>`` values of a stored validation report summary."""
    found: dict[str, float] = {}
    for check in (summary or {}).get("checks", []):
        name = str(check.get("name", ""))
        if name.startswith("performance.") and isinstance(check.get("value"), int | float):
            found[name.split(".", 1)[1]] = float(check["value"])
    return found


def judge(
    values: Mapping[str, float | None],
    *,
    baseline: Mapping[str, float],
    n_labels: int,
    margin: float = DEFAULT_MARGIN,
    floors: Mapping[str, float] | None = None,
) -> list[PerformancePoint]:
    """One point per metric: its value, baseline, the bound and whether it was crossed."""
    points = []
    for metric, value in values.items():
        base = baseline.get(metric)
        bound = None
        if base is not None:
            bound = base * (1 + margin) if metric in LOWER_IS_BETTER else base - margin
        floor = (floors or {}).get(metric)
        if floor is not None:
            bound = (
                floor
                if bound is None
                else (min(bound, floor) if metric in LOWER_IS_BETTER else max(bound, floor))
            )
        degraded = None
        if value is not None and bound is not None:
            degraded = value > bound if metric in LOWER_IS_BETTER else value < bound
        points.append(PerformancePoint(metric, value, base, bound, degraded, n_labels))
    return points
