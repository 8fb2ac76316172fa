"""Global and local explanations: permutation importance, partial dependence and SHAP.

Speed on large data comes from sampling with a fixed seed: permutation importance runs on at
most `importance_rows` rows (10,000 by default) and partial dependence on at most `pdp_rows`
(1,000), so 100k rows cost about as much as 10k. SHAP is an optional extra: without it the
report carries a warning instead of local explanations.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

from modelward.validation.base import Outputs, Part, as_float, bounded_check, model_scores

PDP_PERCENTILES = (0.05, 0.95)


class _Fitted:
    """A scoring-only view of any model: scikit-learn's inspection tools require `fit`."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def fit(self, *args: Any, **kwargs: Any) -> _Fitted:
        raise NotImplementedError("validation never refits a model")

    def predict(self, X: pd.DataFrame) -> Any:
        return self.model.predict(X)

    def predict_proba(self, X: pd.DataFrame) -> Any:
        return self.model.predict_proba(X)


def importance_scorer(outputs: Outputs) -> tuple[str, Callable[[Any, pd.DataFrame, Any], float]]:
    """The score permutation importance measures drops of, and a scorer computing it.

    ROC AUC for binary classifiers with probabilities (as scikit-learn's ``"roc_auc"``
    scorer), accuracy for other classifiers, R2 for regressors (scikit-learn's defaults).
    """
    if outputs.binary and outputs.proba is not None and outputs.classes is not None:
        column = outputs.classes.index(outputs.positive_label)

        def auc(model: Any, X: pd.DataFrame, y: Any) -> float:
            proba = np.asarray(model.predict_proba(X))[:, column]
            return float(roc_auc_score(np.asarray(y) == outputs.positive_label, proba))

        return "roc_auc", auc
    if outputs.task == "classification":
        return "accuracy", lambda model, X, y: float(accuracy_score(y, model.predict(X)))
    return "r2", lambda model, X, y: float(r2_score(y, model.predict(X)))


def permutation_importances(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    outputs: Outputs,
    repeats: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean and standard deviation of the score drop when each column of `X` is shuffled.

    Computed by `sklearn.inspection.permutation_importance` with `importance_scorer`; features
    come sorted by decreasing mean importance.
    """
    metric, scorer = importance_scorer(outputs)
    result = permutation_importance(
        _Fitted(model), X, y, scoring=scorer, n_repeats=repeats, random_state=seed
    )
    order = np.argsort(-result.importances_mean, kind="stable")
    return {
        "metric": metric,
        "features": [str(X.columns[i]) for i in order],
        "mean": [float(result.importances_mean[i]) for i in order],
        "std": [float(result.importances_std[i]) for i in order],
        "rows": len(X),
        "repeats": repeats,
    }


def feature_grid(series: pd.Series, *, resolution: int = 20) -> list[Any]:
    """Grid of a feature as scikit-learn's partial dependence builds it.

    Its distinct values when there are fewer than `resolution`, else `resolution` evenly
    spaced points between the 5th and 95th percentiles (rounded, without duplicates, for
    integer features); for non-numeric features the most frequent `resolution` values.
    """
    values = series.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return list(values.value_counts().index[:resolution].tolist())
    distinct = np.unique(values.to_numpy())
    if distinct.size < resolution:
        return list(distinct.tolist())
    low, high = np.quantile(values.to_numpy(dtype=float), PDP_PERCENTILES)
    grid = np.linspace(low, high, num=resolution)
    if pd.api.types.is_integer_dtype(values):
        # an integer column cannot hold 41.7: round the grid rather than let the cast truncate
        return [int(v) for v in np.unique(np.round(grid))]
    return list(grid.tolist())


def partial_dependence_curve(
    model: Any, X: pd.DataFrame, feature: str, *, outputs: Outputs, grid: list[Any]
) -> dict[str, list[float]]:
    """Average model output over `X` with `feature` set to each grid value (brute force).

    Returns one curve per output: the positive class's probability for binary classifiers,
    each class's probability for multiclass ones, ``"prediction"`` for regressors. Equals
    scikit-learn's ``partial_dependence(..., method="brute", kind="average")`` on that grid.
    """
    batch = pd.concat([X] * len(grid), ignore_index=True)
    batch[feature] = pd.Series(np.repeat(np.asarray(grid, dtype=object), len(X))).astype(
        X[feature].dtype
    )
    scores = np.asarray(model_scores(model, batch, outputs=outputs), dtype=float)
    if scores.ndim == 1:
        scores = scores[:, None]
        names = ["prediction"] if outputs.task == "regression" else [str(outputs.positive_label)]
    else:
        names = [str(label) for label in outputs.classes or ()]
    means = scores.reshape(len(grid), len(X), -1).mean(axis=1)
    return {name: means[:, i].tolist() for i, name in enumerate(names)}


def check_explanations(
    model: Any,
    X: pd.DataFrame,
    *,
    outputs: Outputs,
    top_k: int = 5,
    repeats: int = 5,
    importance_rows: int = 10_000,
    pdp_rows: int = 1_000,
    grid_resolution: int = 20,
    shap_rows: int = 50,
    seed: int = 0,
) -> Part:
    """Permutation importance of every feature, partial dependence of the `top_k`, SHAP.

    Returns:
        A part with informational checks ``explanations.permutation_importance[<feature>]``
        for the `top_k` features and the sections ``importances``, ``partial_dependence``
        and, when shap is installed, ``shap``.
    """
    part = Part()
    rows = _sample_positions(len(X), importance_rows, seed)
    importances = permutation_importances(
        model, X.iloc[rows], outputs.y_true[rows], outputs=outputs, repeats=repeats, seed=seed
    )
    part.sections["importances"] = importances
    top = importances["features"][:top_k]
    for feature, mean, std in zip(top, importances["mean"], importances["std"], strict=False):
        part.checks.append(
            bounded_check(
                f"explanations.permutation_importance[{feature}]",
                mean,
                threshold=None,
                direction="",
                message=f"Shuffling {feature} lowers {importances['metric']} by {mean:.4g}.",
                details={"std": std, "metric": importances["metric"]},
            )
        )
    if outputs.task == "classification" and not outputs.binary and outputs.proba is None:
        part.warnings.append("Partial dependence needs predict_proba for a multiclass model.")
    elif top:
        pdp_sample = X.iloc[_sample_positions(len(X), pdp_rows, seed)]
        curves = {}
        for feature in top:
            grid = feature_grid(X[feature], resolution=grid_resolution)
            values = partial_dependence_curve(
                model, pdp_sample, feature, outputs=outputs, grid=grid
            )
            curves[feature] = {"grid": _plain(grid), "values": values}
        part.sections["partial_dependence"] = {"rows": len(pdp_sample), "features": curves}
    part.extend(shap_values(model, X, outputs=outputs, rows=shap_rows, seed=seed))
    return part


def shap_values(model: Any, X: pd.DataFrame, *, outputs: Outputs, rows: int, seed: int) -> Part:
    """Local explanations of `rows` sampled rows with SHAP, or a warning without it."""
    part = Part()
    try:
        with warnings.catch_warnings():  # shap's import trips matplotlib's own deprecations
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap  # optional extra: modelward[shap]
    except ImportError:
        part.warnings.append(
            "SHAP is not installed, so the report has no local explanations; install "
            "'modelward[shap]' to add them."
        )
        return part
    sample = X.iloc[_sample_positions(len(X), rows, seed)]
    background = X.iloc[_sample_positions(len(X), 100, seed + 1)]
    dtypes = X.dtypes.to_dict()

    def predict(values: Any) -> np.ndarray:
        frame = pd.DataFrame(values, columns=X.columns).astype(dtypes)
        return np.asarray(model_scores(model, frame, outputs=outputs), dtype=float)

    try:
        explainer = shap.Explainer(predict, shap.maskers.Independent(background))
        explanation = explainer(sample)
    except Exception as exc:  # an optional extra must not sink the report
        part.warnings.append(f"SHAP could not explain this model: {exc}.")
        return part
    part.sections["shap"] = {
        "features": [str(c) for c in X.columns],
        "rows": sample.index.astype(str).tolist(),
        "values": np.asarray(explanation.values, dtype=float).tolist(),
        "base_values": np.asarray(explanation.base_values, dtype=float).tolist(),
    }
    return part


def _sample_positions(size: int, limit: int, seed: int) -> np.ndarray:
    if size <= limit:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).choice(size, size=limit, replace=False))


def _plain(values: list[Any]) -> list[Any]:
    return [
        as_float(v) if isinstance(v, int | float) and not isinstance(v, bool) else str(v)
        for v in values
    ]
