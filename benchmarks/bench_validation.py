"""Validate 100,000 rows and compare the cost with computing the same figures directly.

(a) `modelward.validation.checks.evaluate` with metrics, slices, fairness (with an
intersection), permutation importance and partial dependence; robustness is off because the
direct side has no counterpart for it. (b) the same figures with scikit-learn and fairlearn
calls in the same process, on the same samples. Prints one JSON object: seconds (best of
`--repeats`), the direct run's parts, peak traced memory (tracemalloc) of one run each, and
the ratio ours/direct (target <= 1.5). Most of the direct cost is fairlearn's `MetricFrame`
converting 100k rows element by element; `validation.fairness` feeds it counted rows instead.

    .venv/bin/python benchmarks/bench_validation.py [--rows 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from modelward.validation.checks import evaluate
from modelward.validation.config import ValidationConfig

NUMERIC = [f"x{i:02d}" for i in range(17)]
CATEGORICAL = ["region", "product"]
SENSITIVE = ["gender", "age_band"]
CONFIG = ValidationConfig(robustness=False)
PARTS: dict[str, float] = {}  # when each part of the last direct run ended


def make_data(rows: int, *, seed: int = 0) -> pd.DataFrame:
    """17 numeric features, 2 categorical, a sensitive `gender` (also a feature), `age_band`."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, len(NUMERIC))), columns=NUMERIC)
    frame["region"] = rng.choice(["north", "south", "east", "west", "centre"], rows)
    frame["product"] = rng.choice(["card", "loan", "mortgage", "overdraft"], rows)
    frame["gender"] = rng.choice(["female", "male"], rows)
    frame["age_band"] = rng.choice(["18-30", "31-50", "51+"], rows)
    logit = frame[NUMERIC[:6]].to_numpy() @ np.array([1.2, -0.8, 0.6, 0.4, -0.3, 0.2])
    logit += np.where(frame["region"] == "west", 0.5, 0.0) + rng.normal(0, 1, rows)
    frame["default"] = (logit > 0.5).astype(int)
    return frame


def fit_model(frame: pd.DataFrame) -> Any:
    features = [*NUMERIC, *CATEGORICAL, "gender"]
    encode = ColumnTransformer(
        [
            ("numeric", StandardScaler(), NUMERIC),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), [*CATEGORICAL, "gender"]),
        ]
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=500))
    return model.fit(frame[features], frame["default"])


def ours(model: Any, frame: pd.DataFrame) -> Any:
    return evaluate(model, frame, target="default", sensitive=SENSITIVE, config=CONFIG)


def direct(model: Any, frame: pd.DataFrame) -> dict[str, Any]:
    """The same figures with plain scikit-learn and fairlearn calls."""
    X, y = frame[list(model.feature_names_in_)], frame["default"].to_numpy()
    pred, proba = model.predict(X), model.predict_proba(X)[:, 1]
    out: dict[str, Any] = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0.0),
        "recall": skm.recall_score(y, pred, zero_division=0.0),
        "f1": skm.f1_score(y, pred, zero_division=0.0),
        "roc_auc": skm.roc_auc_score(y, proba),
        "pr_auc": skm.average_precision_score(y, proba),
        "log_loss": skm.log_loss(y, model.predict_proba(X)),
        "brier": skm.brier_score_loss(y, proba),
        "confusion": skm.confusion_matrix(y, pred),
        "calibration": calibration_curve(y, proba, n_bins=10),
        "roc": skm.roc_curve(y, proba),
    }
    out["slices"] = _direct_slices(X, y, pred)
    PARTS["metrics_and_slices"] = time.perf_counter()
    out["fairness"] = _direct_fairness(frame, y, pred)
    PARTS["fairness"] = time.perf_counter()
    out["importance"], top = _direct_importance(model, X, y)
    out["pdp"] = _direct_pdp(model, X, top)
    PARTS["importance_and_pdp"] = time.perf_counter()
    return out


def _direct_slices(X: pd.DataFrame, y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    values = {}
    for column in X.columns:
        series = X[column]
        if series.dtype.kind in "if" and series.nunique() > CONFIG.slice_bins:
            groups = pd.qcut(series, q=CONFIG.slice_bins, duplicates="drop").cat.codes.to_numpy()
        else:
            groups = pd.factorize(series)[0]
        for code in np.unique(groups):
            rows = groups == code
            values[f"{column}={code}"] = skm.accuracy_score(y[rows], pred[rows])
    return values


def _direct_fairness(frame: pd.DataFrame, y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    found = {}
    attributes: dict[str, Any] = {name: frame[name] for name in SENSITIVE}
    attributes["&".join(SENSITIVE)] = frame[SENSITIVE]
    for name, groups in attributes.items():
        group_metrics = {
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "count": count,
        }
        frame_by_group = MetricFrame(
            metrics=group_metrics, y_true=y, y_pred=pred, sensitive_features=groups
        ).by_group
        found[name] = (
            frame_by_group,
            demographic_parity_difference(y, pred, sensitive_features=groups),
            demographic_parity_ratio(y, pred, sensitive_features=groups),
            equalized_odds_difference(y, pred, sensitive_features=groups),
        )
    return found


def _direct_importance(model: Any, X: pd.DataFrame, y: np.ndarray) -> tuple[Any, list[str]]:
    rows = _sample(len(X), CONFIG.importance_rows, CONFIG.seed)
    result = permutation_importance(
        model,
        X.iloc[rows],
        y[rows],
        scoring="roc_auc",
        n_repeats=CONFIG.importance_repeats,
        random_state=CONFIG.seed,
    )
    order = np.argsort(-result.importances_mean, kind="stable")
    return result, [str(X.columns[i]) for i in order[: CONFIG.importance_top_k]]


def _direct_pdp(model: Any, X: pd.DataFrame, top: list[str]) -> dict[str, Any]:
    sample = X.iloc[_sample(len(X), CONFIG.pdp_rows, CONFIG.seed)]
    curves = {}
    for feature in top:
        categorical = X[feature].dtype.kind not in "if"
        if categorical:
            grid = X[feature].value_counts().index[: CONFIG.pdp_grid].to_numpy()
        else:
            low, high = np.quantile(X[feature], (0.05, 0.95))
            grid = np.linspace(low, high, CONFIG.pdp_grid)
        curves[feature] = partial_dependence(
            model,
            sample,
            [feature],
            custom_values={feature: grid},
            categorical_features=[feature] if categorical else None,
            method="brute",
            kind="average",
        )
    return curves


def _sample(size: int, limit: int, seed: int) -> np.ndarray:
    if size <= limit:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).choice(size, size=limit, replace=False))


def best_seconds(run: Callable[[], Any], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def peak_mib(run: Callable[[], Any]) -> float:
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    frame = make_data(args.rows)
    model = fit_model(frame)
    evaluation = ours(model, frame)  # warm-up, and the figures shown below
    direct(model, frame)
    ours_seconds = best_seconds(lambda: ours(model, frame), args.repeats)
    direct_seconds = best_seconds(lambda: direct(model, frame), args.repeats)
    start = time.perf_counter()
    direct(model, frame)
    ends = [start, *PARTS.values()]
    parts = {name: round(end - ends[i], 3) for i, (name, end) in enumerate(PARTS.items())}
    result = {
        "rows": args.rows,
        "features": len(model.feature_names_in_),
        "checks": len(evaluation.checks),
        "ours_seconds": round(ours_seconds, 3),
        "direct_seconds": round(direct_seconds, 3),
        "ratio": round(ours_seconds / direct_seconds, 3),
        "direct_parts_seconds": parts,
        "ours_peak_mib": round(peak_mib(lambda: ours(model, frame)), 1),
        "direct_peak_mib": round(peak_mib(lambda: direct(model, frame)), 1),
        "target_ratio": 1.5,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
