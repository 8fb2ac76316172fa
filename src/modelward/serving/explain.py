"""Per-decision explanations: each scored row's feature contributions, additive by construction.

For every row, ``base_value + sum(contributions) == value``, where `value` is the model output
explained (named by `output`) and `base_value` its expectation over the reference sample (the
version's recorded training sample). Three methods, picked per version when it is loaded:

- ``linear`` (exact): the final step has ``coef_`` (scikit-learn's linear models). The row's
  input goes through the pipeline's preprocessing to ``z``; the contribution of transformed
  column ``j`` is ``coef_j * (z_j - mean of z_j over the reference)``, and transformed columns
  are summed back onto the input column they come from. Which input owns which transformed
  column is found once by probing: each input column is shuffled over the reference and the
  transformed columns that move are its own (one-hot blocks, scaled or imputed columns). A
  pipeline whose transformed column depends on two inputs (polynomial features, PCA) is not
  additive per input: it gets the sampling method. The output is the decision function
  (log-odds of the positive class for a binary logistic regression), the prediction for a
  regressor. This equals SHAP's interventional linear explanation on the transformed data.
- ``tree`` (TreeSHAP, when the optional ``shap`` package is installed): the final step goes
  through ``shap.TreeExplainer`` in its path-dependent form (no background data: the base value
  is the training data's expected output as the trees' node counts record it); preprocessing is
  handled as for linear models. The output is the trees' raw one (the probability for random
  forests, log-odds for gradient boosting).
- ``sampling`` (model-agnostic): Shapley values estimated by permutation sampling against a
  background of `BACKGROUND_ROWS` reference rows (Strumbelj and Kononenko, 2014). Each of
  `PERMUTATIONS` feature orders (antithetic pairs; all orders when there are at most 4
  features, which makes the values exact) walks from a background row to the explained row one
  feature at a time; a feature's contribution is the mean output change when it joins. The
  steps telescope, so the sum is exactly ``value - base_value`` (the mean output over the
  background). The output is the class probability (classifiers), else the prediction. It
  costs ``PERMUTATIONS * BACKGROUND_ROWS * (features + 1)`` model rows per explained row.

Binary classifiers are explained towards their second class (``classes_[1]``): a positive
contribution pushes towards it. Multiclass models are explained towards each row's predicted
class. Orders and background are fixed per version (seed 0), so the same input gives the same
explanation whenever it is recomputed (see `modelward.serving.notice`).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from modelward.registry.flavors import LoadedModel
from modelward.registry.signature import enforce
from modelward.serving.explain_methods import (
    REFERENCE_ROWS,
    Explained,
    ExplainerBase,
    LinearExplainer,
    SamplingExplainer,
    TreeExplainer,
    _NotSeparable,
)
from modelward.serving.fastpath import final_estimator

__all__ = ["Explained", "Explainers", "build_explainer", "self_check"]

log = logging.getLogger("modelward.serving.explain")
_LINEAR_MODULES = ("sklearn.linear_model", "sklearn.svm")
# Relative tolerance of the self-check run when an explainer is built: the contributions must
# sum to value - base value, and value must be the model's own output. Float64 sums of a few
# hundred terms and a second code path (shap's C++ or the estimator's own decision_function)
# differ by far less than this.
SELF_CHECK_TOLERANCE = 1e-6


def build_explainer(
    loaded: LoadedModel,
    columns: list[str],
    reference: pd.DataFrame | None,
    *,
    fast: Any = None,
    method: str = "auto",
) -> ExplainerBase | None:
    """The explainer of one loaded version: linear, tree or sampling (see the module's notes).

    `reference` is the version's training sample (else its input example is used: a weak
    reference, named so in the documentation); `fast` the name-free copy of the serving fast
    path, whose preprocessing takes float matrices. Each candidate passes a self-check on the
    reference (additive, and its value is the model's own output) or the next one is tried;
    None when no method passes (the version is served without explanations).
    """
    reference = _reference(loaded, columns, reference)
    kinds = [method] if method != "auto" else _candidates(loaded)
    for kind in kinds:
        try:
            explainer = _make(kind, loaded, columns, reference, fast)
        except (_NotSeparable, ImportError, AttributeError, ValueError, TypeError):
            continue
        if self_check(explainer, reference.iloc[:5]):
            return explainer
    return None


def _make(
    kind: str, loaded: LoadedModel, columns: list[str], reference: pd.DataFrame, fast: Any
) -> ExplainerBase:
    if kind == "linear":
        return LinearExplainer(loaded, columns, reference, fast)
    if kind == "tree":
        return TreeExplainer(loaded, columns, reference, fast)
    return SamplingExplainer(loaded, columns, reference)


def _candidates(loaded: LoadedModel) -> list[str]:
    if loaded.flavor != "sklearn":
        return ["sampling"]
    final = final_estimator(loaded.model)
    module = type(final).__module__
    if hasattr(final, "coef_") and module.startswith(_LINEAR_MODULES):
        return ["linear", "sampling"]
    return ["tree", "sampling"]


def _reference(
    loaded: LoadedModel, columns: list[str], reference: pd.DataFrame | None
) -> pd.DataFrame:
    if reference is None or len(reference) == 0 or any(c not in reference for c in columns):
        example = loaded.meta.get("input_example") or {}
        reference = pd.DataFrame(example.get("data") or [], columns=example.get("columns"))
    if len(reference) > REFERENCE_ROWS:
        reference = reference.sample(n=REFERENCE_ROWS, random_state=0)
    return reference[columns].reset_index(drop=True)


def model_output(explainer: ExplainerBase, frame: pd.DataFrame, explained: Explained) -> np.ndarray:
    """The model's own output that `explained.value` must equal (for the self-check)."""
    model = explainer.loaded.model
    if explained.output == "value":
        if explainer.loaded.flavor == "python_function":
            return np.asarray(model(frame), dtype=np.float64)
        if explainer.classes is None:
            return np.asarray(model.predict(frame), dtype=np.float64)
    if explained.output in ("log_odds", "margin"):
        margins = np.asarray(model.decision_function(frame), dtype=np.float64)
        if margins.ndim == 1:
            return margins
        return np.asarray(margins[np.arange(len(frame)), _class_index(explainer, explained)])
    proba = np.asarray(model.predict_proba(frame), dtype=np.float64)
    return np.asarray(proba[np.arange(len(frame)), _class_index(explainer, explained)])


def _class_index(explainer: ExplainerBase, explained: Explained) -> np.ndarray:
    classes = explainer.classes or []
    return np.array([classes.index(t) for t in explained.target], dtype=int)


def self_check(explainer: ExplainerBase, frame: pd.DataFrame) -> bool:
    """Additive, and explaining the model's own output, on a few reference rows."""
    if len(frame) == 0:
        return True
    try:
        explained = explainer.explain(frame)
        try:
            own = model_output(explainer, frame, explained)
        except AttributeError:  # trees' margin without decision_function: additivity only
            own = explained.value
    except Exception:
        return False
    total = explained.base + explained.contributions.sum(axis=1)
    scale = max(1.0, float(np.max(np.abs(own))))
    tolerance = SELF_CHECK_TOLERANCE * scale
    return bool(
        np.all(np.abs(total - explained.value) <= tolerance)
        and np.all(np.abs(own - explained.value) <= tolerance)
        and all(math.isfinite(v) for v in explained.value)
    )


Reference = Callable[[str, int], "pd.DataFrame | None"]


class Explainers:
    """The explainer of each served version, built off the request path (at refresh)."""

    def __init__(self, reference: Reference | None = None) -> None:
        self._reference = reference
        self._built: dict[tuple[str, int], ExplainerBase | None] = {}

    def prepare(self, model: str, served: Mapping[int, Any]) -> None:
        """Build the explainers of `served` (version -> engine.ServedModel) not built yet."""
        for number, one in served.items():
            key = (model, number)
            if key in self._built:
                continue
            try:
                reference = self._reference(model, number) if self._reference else None
            except Exception:  # no sample: the input example stands in (see build_explainer)
                log.exception("reading the reference sample of %s v%s failed", model, number)
                reference = None
            self._built[key] = build_explainer(
                one.loaded, one.spec.columns, reference, fast=one.fast
            )
            if self._built[key] is None:
                log.warning("%s v%s cannot be explained; answers carry no reasons", model, number)

    def explain(self, model: str, served: Any, frame: Any) -> Explained | None:
        """The contributions of every row of `frame` (as the served version scored it)."""
        explainer = self._built.get((model, served.version))
        if explainer is None:
            return None
        try:
            return explainer.explain(frame)
        except Exception:  # the decision stands; its answer says nothing rather than a 500
            log.exception("explaining a request to %s v%s failed", model, served.version)
            return None


def explaining(loaded: LoadedModel, explainer: ExplainerBase, top: int) -> LoadedModel:
    """A twin of `loaded` whose batch scoring (`serving.batch.score_frame`) adds each row's
    `top` main contributions as JSON text in an ``explanation`` column (logged too)."""
    twin = LoadedModel(loaded.model, loaded.meta, uri=loaded.uri)
    twin.checked = loaded.checked
    columns = explainer.columns

    def explain_rows(frame: pd.DataFrame) -> list[str]:
        data = enforce(loaded.signature, frame) if loaded.signature.get("columns") else frame
        rows = explainer.explain(data[columns]).rows(top)
        return [json.dumps(row, separators=(",", ":")) for row in rows]

    twin.explaining = explain_rows  # type: ignore[attr-defined]
    return twin
