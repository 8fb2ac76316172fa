"""The numeric fast path: score scikit-learn models on a float matrix instead of a DataFrame.

A model fitted on a DataFrame checks feature names on every call (and warns on arrays), which
costs more than the prediction for small requests. For an all-numeric signature whose column
order is the model's own, a private copy of the model without ``feature_names_in_`` takes the
matrix directly. The copy is used only after it gave the same answers as the original on the
recorded input example; otherwise requests go through the DataFrame path.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import pandas as pd

from modelward.registry.flavors import LoadedModel

# Classifiers whose predict() is exactly classes_[argmax(predict_proba())]: one call gives both.
_ARGMAX_CLASSIFIERS = frozenset(
    {
        "LogisticRegression",
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
        "ExtraTreeClassifier",
    }
)
# Estimators that select columns by name: they need the DataFrame.
_NEEDS_NAMES = frozenset({"ColumnTransformer", "FeatureUnion", "FunctionTransformer"})


def _estimators(model: Any) -> list[Any]:
    found = [model]
    for _, step in getattr(model, "steps", []) or []:
        found += _estimators(step)
    return found


def _strip_names(model: Any) -> None:
    for estimator in _estimators(model):
        if "feature_names_in_" in getattr(estimator, "__dict__", {}):
            del estimator.__dict__["feature_names_in_"]


def final_estimator(model: Any) -> Any:
    """The last step of a pipeline, or the model itself."""
    steps = getattr(model, "steps", None)
    return final_estimator(steps[-1][1]) if steps else model


def numpy_model(loaded: LoadedModel, columns: list[str]) -> Any | None:
    """A copy of `loaded.model` that takes a float matrix in `columns` order, or None."""
    model = loaded.model
    if loaded.flavor != "sklearn" or not columns:
        return None
    if any(type(e).__name__ in _NEEDS_NAMES for e in _estimators(model)):
        return None
    names = getattr(model, "feature_names_in_", None)
    if names is None or [str(n) for n in names] != columns:
        return None
    fast = copy.deepcopy(model)
    _strip_names(fast)
    example = loaded.meta.get("input_example")
    if not example:
        return None
    frame = pd.DataFrame(example["data"], columns=example["columns"])[columns]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            matrix = frame.to_numpy(dtype=np.float64)
            same = np.array_equal(
                np.asarray(fast.predict(matrix)), np.asarray(model.predict(frame))
            )
            if loaded.has_predict_proba:
                same = same and np.allclose(fast.predict_proba(matrix), model.predict_proba(frame))
    except Exception:  # any doubt: the DataFrame path
        return None
    return fast if same else None


def predicts_by_argmax(model: Any) -> bool:
    """True when predict() is the argmax of predict_proba() for this model's final step."""
    return type(final_estimator(model)).__name__ in _ARGMAX_CLASSIFIERS and hasattr(
        model, "classes_"
    )
