"""Label-free performance of a window: CBPE (classifiers) or DLE (regressors), fitted once per
monitoring run on a labelled reference, then applied to each window's logged outputs.

The labelled reference is, in this order: the reference window of the log
(``reference_window``) joined with the labels stored for it, which is NannyML's "reference
period" and the recommended choice; else the champion's training sample scored by the model,
when the sample holds exactly one column that is not an input (taken as the label). A model's
scores on its own training rows are often over-confident, so that second choice tends to
over-estimate: set a reference window once labels exist. The computation is
`modelward.stats.estimation`; its assumptions (no concept shift) are documented there and in
docs/monitoring.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.metrics import LOWER_IS_BETTER
from modelward.domain.monitoring import Label, PerformancePoint, PredictionLog
from modelward.monitoring import performance
from modelward.monitoring.reference import INPUT_PREFIX, MonitoringReference
from modelward.stats.estimation import CBPE, Estimate
from modelward.stats.loss_estimation import DLE

MIN_ROWS = 100  # fewer rows in a window: no estimate (never an alert)


@dataclass(frozen=True)
class Estimator:
    """A fitted CBPE or DLE and what it was fitted on."""

    method: str  # "cbpe" or "dle"
    model: CBPE | DLE | None
    features: tuple[str, ...]
    source: str
    message: str = ""


def label_frame(frame: pd.DataFrame, labels: Sequence[Label]) -> pd.DataFrame:
    """Logged rows joined with their labels (column ``label``), one row per record."""
    truth = pd.DataFrame(
        {
            "request_id": [lb.request_id for lb in labels],
            "row": [lb.row for lb in labels],
            "label": [lb.label for lb in labels],
        }
    )
    keyed = frame.assign(row=frame["row"].astype("int64"))
    joined = keyed.merge(truth, on=["request_id", "row"], how="inner")
    return joined.drop_duplicates(["request_id", "row"])


def reference_rows(
    ref: MonitoringReference,
    log: PredictionLog,
    labels: Sequence[Label] | None,
    *,
    deployment: str,
    window: tuple[datetime, datetime] | None,
) -> tuple[pd.DataFrame | None, str]:
    """The labelled reference rows and where they come from (see the module docstring)."""
    if window is not None and labels:
        frame = log.read(deployment, *window)
        frame = frame[frame["arm"] != "shadow"] if "arm" in frame else frame
        return label_frame(frame, labels), "labelled reference window"
    if ref.labelled is not None:
        return ref.labelled, "labelled training sample"
    return None, ""


def _matrix(probabilities: pd.Series) -> np.ndarray | None:
    if probabilities.isna().any():
        return None
    widths = {len(p) for p in probabilities}
    if len(widths) != 1:
        return None
    return np.vstack([np.asarray(p, dtype=float) for p in probabilities])


def _same_kind(values: pd.Series, like: pd.Series) -> np.ndarray:
    """`values` as numbers when `like` (the predictions) are numbers, else as text."""
    numeric = pd.to_numeric(values, errors="coerce")
    if pd.api.types.is_numeric_dtype(like) and not numeric.isna().any():
        return numeric.to_numpy()
    return values.astype(str).to_numpy()


def _unavailable(message: str) -> Estimator:
    return Estimator("none", None, (), "", message)


def fit(rows: pd.DataFrame | None, source: str, features: list[str], task: str | None) -> Estimator:
    """CBPE for classifiers that log probabilities, DLE for regressors; the reason when
    neither can be fitted."""
    if rows is None or len(rows) < MIN_ROWS:
        return _unavailable(
            "No labelled reference: set a reference window with labels, or log the training"
            " sample with its target column."
        )
    kind = performance.infer_task(rows["label"], rows.get("probabilities"), task)
    present = tuple(f for f in features if INPUT_PREFIX + f in rows.columns)
    try:
        if kind == "classification":
            proba = _matrix(rows["probabilities"]) if "probabilities" in rows else None
            if proba is None:
                return _unavailable("CBPE needs the logged probabilities of a classifier.")
            truth = _same_kind(rows["label"], rows["prediction"])
            model: CBPE | DLE = CBPE.fit(truth, proba, rows["prediction"].to_numpy())
            return Estimator("cbpe", model, present, source)
        inputs = pd.DataFrame({f: rows[INPUT_PREFIX + f].to_numpy() for f in present})
        truth_values = pd.to_numeric(rows["label"], errors="coerce").to_numpy(float)
        predicted = pd.to_numeric(rows["prediction"], errors="coerce").to_numpy(float)
        model = DLE.fit(inputs, predicted, truth_values)
        return Estimator("dle", model, present, source)
    except ValueError as exc:
        return _unavailable(str(exc))


def estimate(estimator: Estimator, frame: pd.DataFrame) -> dict[str, Estimate]:
    """The estimated metrics of a window's logged rows (empty when not estimable)."""
    if estimator.model is None or len(frame) < MIN_ROWS:
        return {}
    if isinstance(estimator.model, CBPE):
        proba = _matrix(frame["probabilities"]) if "probabilities" in frame else None
        if proba is None or proba.shape[1] != len(estimator.model.classes):
            return {}
        return estimator.model.estimate(proba, frame["prediction"].to_numpy())
    inputs = pd.DataFrame({f: frame[INPUT_PREFIX + f].to_numpy() for f in estimator.features})
    predicted = pd.to_numeric(frame["prediction"], errors="coerce").to_numpy(float)
    return estimator.model.estimate(inputs, predicted)


def summarise(
    estimator: Estimator,
    estimates: Mapping[str, Estimate],
    *,
    baseline: Mapping[str, float],
    margin: float,
) -> dict[str, Any]:
    """The window summary's ``estimated`` entry: each metric's estimate, interval, baseline,
    bound (baseline - margin; errors: baseline x (1 + margin)) and whether it fell past it."""
    if not estimates:
        message = estimator.message or "Too few rows (or no probabilities) to estimate."
        return {"method": estimator.method, "status": "unavailable", "message": message}
    values = {name: est.value for name, est in estimates.items()}
    judged = performance.judge(values, baseline=baseline, n_labels=0, margin=margin)
    metrics = {}
    for point in judged:
        entry = estimates[point.metric].to_dict()
        entry.update(baseline=point.baseline, bound=point.threshold, degraded=point.degraded)
        entry.update(realised=None, error=None)
        metrics[point.metric] = entry
    return {
        "method": estimator.method,
        "status": "ok",
        "source": estimator.source,
        "margin": margin,
        "metrics": metrics,
    }


def with_realised(
    estimated: Mapping[str, Any] | None, points: Sequence[PerformancePoint]
) -> dict[str, Any] | None:
    """The ``estimated`` entry with each metric's realised value (once labels arrived) and
    the estimation error ``estimate - realised``; None when there is no entry."""
    if not estimated or estimated.get("status") != "ok":
        return dict(estimated) if estimated else None
    realised = {p.metric: p for p in points if p.value is not None}
    metrics = {}
    for name, entry in estimated["metrics"].items():
        point = realised.get(name)
        value = entry.get("value")
        fresh = dict(entry)
        fresh["realised"] = None if point is None else point.value
        fresh["n_labels"] = 0 if point is None else point.n_labels
        both = point is not None and value is not None and point.value is not None
        fresh["error"] = float(value - point.value) if both else None  # type: ignore[union-attr]
        metrics[name] = fresh
    return {**estimated, "metrics": metrics}


def drop_is_worse(metric: str) -> str:
    """How a drop reads for a metric: "above" for errors (mae), "below" otherwise."""
    return "above" if metric in LOWER_IS_BETTER else "below"
