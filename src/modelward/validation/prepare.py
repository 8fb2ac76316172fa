"""Checking validation input and scoring the model once: from a DataFrame to `Outputs`.

Every problem with the data, the target or the model's answers becomes an `InvalidInput`
that names the column or the problem; the statistics downstream can assume clean arrays.
Checking columns against a registered signature is the service's job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor

from modelward.domain.results import TASKS
from modelward.errors import InvalidInput
from modelward.validation.base import Outputs, require_columns

Decide = Callable[[pd.DataFrame], np.ndarray]


def check_data(data: Any, *, target: str, sensitive: Sequence[str] = ()) -> pd.DataFrame:
    """The validation data with a fresh index, after checking it can be validated.

    Raises:
        InvalidInput: not a DataFrame, no rows, the target or a sensitive column is missing,
            or the target has missing values.
    """
    if not isinstance(data, pd.DataFrame):
        raise InvalidInput(
            f"Validation data must be a pandas DataFrame, got {type(data).__name__}."
        )
    if len(data) == 0:
        raise InvalidInput("The validation data is empty: there are no rows to evaluate.")
    require_columns(data, [target], role="target")
    require_columns(data, list(sensitive), role="sensitive")
    missing = int(data[target].isna().sum())
    if missing:
        raise InvalidInput(
            f"Target column {target!r} has {missing} missing values; drop or fill those rows "
            "before validating."
        )
    return data.reset_index(drop=True)


def model_features(
    model: Any, data: pd.DataFrame, *, target: str, features: Sequence[str] | None = None
) -> list[str]:
    """The columns the model reads: `features`, its `feature_names_in_`, or all but the target.

    Raises:
        InvalidInput: a feature column is missing, or the target is among the features.
    """
    if features is not None:
        columns = [str(c) for c in features]
    elif hasattr(model, "feature_names_in_"):
        columns = [str(c) for c in model.feature_names_in_]
    else:
        columns = [str(c) for c in data.columns if c != target]
    require_columns(data, columns, role="feature")
    if target in columns:
        raise InvalidInput(f"Target column {target!r} is also one of the model's features.")
    if not columns:
        raise InvalidInput(f"The data has no feature columns besides the target {target!r}.")
    return columns


def infer_task(model: Any, y: pd.Series, *, task: str | None = None) -> str:
    """The task as given, else inferred from the model, else from the target's type.

    Models with `predict_proba` (or scikit-learn classifiers) are classifiers; with a model of
    unknown kind, a non-numeric or 0/1 target means classification, another numeric one
    regression. Pass `task` to be explicit.

    Raises:
        InvalidInput: `task` is not "classification" or "regression".
    """
    if task is not None:
        if task not in TASKS:
            raise InvalidInput(
                f"Task {task!r} is unknown; expected 'classification' or 'regression'."
            )
        return task
    # scikit-learn's tag lookups raise on objects that are not its estimators
    estimator = hasattr(model, "__sklearn_tags__")
    if hasattr(model, "predict_proba") or (estimator and is_classifier(model)):
        return "classification"
    if estimator and is_regressor(model):
        return "regression"
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if numeric and set(np.unique(y.to_numpy()).tolist()) <= {0, 1}:
        return "classification"  # a 0/1 target is a binary label, not a quantity
    return "regression" if numeric else "classification"


def score(
    model: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    task: str,
    positive_label: Any = None,
    decision_threshold: float | None = None,
) -> tuple[Outputs, Decide, list[str]]:
    """Score `X` once and align the answers with the target.

    Returns:
        The outputs, a function giving the same decisions on other rows (for robustness),
        and warnings.

    Raises:
        InvalidInput: the target does not fit the task or the model, or the model's answers
            have the wrong length, shape or values.
    """
    name = str(y.name)
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
            raise InvalidInput(
                f"Target column {name!r} is not numeric ({y.dtype}), so it cannot be a "
                "regression target; pass task='classification'."
            )
        predictions = _predict(model, X).astype(float)
        if not np.all(np.isfinite(predictions)):
            bad = int(np.sum(~np.isfinite(predictions)))
            raise InvalidInput(f"The model returned {bad} non-finite predictions.")
        outputs = Outputs(task=task, y_true=y.to_numpy(dtype=float), y_pred=predictions)
        return outputs, partial(_predict, model), []
    _require_labels(y, name, model)
    return _score_classifier(model, X, y, positive_label, decision_threshold)


def _score_classifier(
    model: Any, X: pd.DataFrame, y: pd.Series, positive_label: Any, threshold: float | None
) -> tuple[Outputs, Decide, list[str]]:
    truth = y.to_numpy()
    predicted = _predict(model, X)
    proba = _predict_proba(model, X)
    classes = _classes(model, truth, predicted, proba)
    unseen = sorted({str(v) for v in np.unique(truth).tolist()} - {str(c) for c in classes})
    if unseen:
        raise InvalidInput(
            f"Target column {y.name!r} has labels the model does not know: {', '.join(unseen)}."
        )
    if positive_label is None and len(classes) == 2:
        positive_label = classes[1]
    elif positive_label is not None and positive_label not in classes:
        raise InvalidInput(
            f"Positive label {positive_label!r} is not a class of the model {list(classes)}."
        )
    warnings: list[str] = []
    decide: Decide = partial(_predict, model)
    if threshold is not None:
        if len(classes) != 2 or proba is None:
            warnings.append("decision_threshold applies to binary classifiers with predict_proba.")
        else:
            decide = _thresholded(model, classes, positive_label, threshold)
            predicted = decide(X)
    outputs = Outputs(
        task="classification",
        y_true=truth,
        y_pred=predicted,
        proba=proba,
        classes=classes,
        positive_label=positive_label,
    )
    return outputs, decide, warnings


def _thresholded(model: Any, classes: tuple[Any, ...], positive: Any, threshold: float) -> Decide:
    column = classes.index(positive)
    negative = classes[1 - column]

    def decide(frame: pd.DataFrame) -> np.ndarray:
        scores = np.asarray(model.predict_proba(frame), dtype=float)[:, column]
        return np.asarray(np.where(scores >= threshold, positive, negative))

    return decide


def _require_labels(y: pd.Series, name: str, model: Any) -> None:
    if not pd.api.types.is_float_dtype(y):
        return
    values = y.to_numpy(dtype=float)
    fractional = values[values != np.round(values)]
    if fractional.size:
        kind = "a classifier" if hasattr(model, "predict_proba") else "validated as classification"
        raise InvalidInput(
            f"Target column {name!r} looks continuous ({np.unique(values).size} distinct values, "
            f"e.g. {fractional[0]:.4g}) but the model is {kind}; pass task='regression' for a "
            "regressor or give class labels."
        )


def _predict(model: Any, X: pd.DataFrame) -> np.ndarray:
    predictions = np.asarray(model.predict(X))
    if predictions.ndim != 1 or predictions.shape[0] != len(X):
        raise InvalidInput(
            f"The model's predict returned shape {predictions.shape} for {len(X)} rows; "
            "expected one prediction per row."
        )
    return predictions


def _predict_proba(model: Any, X: pd.DataFrame) -> np.ndarray | None:
    if not hasattr(model, "predict_proba"):
        return None
    proba = np.asarray(model.predict_proba(X), dtype=float)
    if proba.ndim != 2 or proba.shape[0] != len(X):
        raise InvalidInput(
            f"The model's predict_proba returned shape {proba.shape} for {len(X)} rows; "
            "expected one row of class probabilities per row."
        )
    if not np.all(np.isfinite(proba)):
        raise InvalidInput("The model's predict_proba returned non-finite probabilities.")
    return proba


def _classes(
    model: Any, truth: np.ndarray, predicted: np.ndarray, proba: np.ndarray | None
) -> tuple[Any, ...]:
    # A loaded plain callable has a `classes_` that is None: it declares no classes, so they
    # are the labels seen in the target and in its answers.
    declared = getattr(model, "classes_", None)
    if declared is not None:
        classes = tuple(np.asarray(declared).tolist())
    else:
        try:
            seen = np.unique(np.concatenate([truth, predicted]).astype(truth.dtype))
        except (TypeError, ValueError) as exc:
            answer, label = predicted[:1].tolist()[0], truth[:1].tolist()[0]
            raise InvalidInput(
                f"The model answers {answer!r} ({type(answer).__name__}) but the target holds "
                f"labels like {label!r} ({type(label).__name__}); make the model return the "
                "target's labels."
            ) from exc
        classes = tuple(seen.tolist())
    if proba is not None and proba.shape[1] != len(classes):
        raise InvalidInput(
            f"predict_proba gives {proba.shape[1]} columns but the model has {len(classes)} "
            f"classes {list(classes)}; give the model a classes_ attribute."
        )
    return classes
