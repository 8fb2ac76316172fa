"""Multivariate drift: can a classifier tell reference rows from current rows?

A gradient-boosted classifier (scikit-learn's HistGradientBoosting, native categorical
support) is trained to predict which window a row came from, on a seeded subsample of at
most `max_rows` rows per side, and scored by cross-validated ROC AUC (out-of-fold
predictions, 3 stratified folds). An AUC near 0.5 means the windows look alike; the dataset
drifted when the AUC reaches `threshold` (default 0.55) *and* beats 0.5 significantly (the
Hanley-McNeil standard error of an AUC under no difference). Permutation importance (the
drop in AUC when one column is shuffled, on the first fold's held-out rows) names the
columns that carry the drift; it is computed only when drift is found. Univariate figures
belong in `compare`.

**Sampling bounds the error.** With n rows a side the AUC's standard error is at most
``sqrt(A (1 - A) / n) <= 0.5 / sqrt(n)`` (Bamber's bound on the Mann-Whitney variance), so
the default 10,000 rows a side keep it under 0.005 (5,000: 0.0071) whatever the window's
size, against a 0.05 margin between 0.5 and the default threshold. The cost is that of the
sample, not of the window: a fixed price per window.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from threadpoolctl import threadpool_limits

from modelward.stats import measures
from modelward.stats.profile import column_kind
from modelward.stats.reference import numeric_values

# Native categorical support takes at most this many categories; the rest share one code.
MAX_CATEGORIES = 254
IMPORTANCE_ROWS = 1_000  # held-out rows the importances are scored on (paired, so low noise)
MIN_IMPORTANCE = 0.005


@dataclass(frozen=True)
class DomainClassifierResult:
    """How well a classifier separates the windows, and which columns let it.

    Attributes:
        auc: Cross-validated ROC AUC (None when not computed).
        threshold: AUC from which the dataset drifted.
        p_value: One-sided p-value of ``AUC > 0.5``.
        drifted: True/False, None when not computed.
        status: ``ok``, ``insufficient_data``, ``unsupported`` or ``no_columns``.
        importances: Column -> AUC drop when shuffled, largest first (when drifted).
        n_reference: Reference rows used.
        n_current: Current rows used.
        message: One sentence saying why.
        std_error: Hanley-McNeil standard error of the AUC under "no difference",
            ``sqrt((n_ref + n_cur + 1) / (12 n_ref n_cur))``.
        significance_bound: ``0.5 + z(1 - alpha) * std_error``: an AUC above it beats 0.5
            at level alpha (what the window's sample size can tell apart).
    """

    auc: float | None
    threshold: float
    p_value: float | None
    drifted: bool | None
    status: str
    importances: dict[str, float] = field(default_factory=dict)
    n_reference: int = 0
    n_current: int = 0
    message: str = ""
    std_error: float | None = None
    significance_bound: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return measures.json_ready(asdict(self))  # type: ignore[no-any-return]


def run_domain_classifier(
    reference: pd.DataFrame | None,
    current: pd.DataFrame,
    *,
    columns: list[str],
    threshold: float = 0.55,
    alpha: float = 0.01,
    min_rows: int = 100,
    max_rows: int = 10_000,
    seed: int = 0,
) -> DomainClassifierResult:
    """Train reference-vs-current classifiers and report their cross-validated AUC."""
    if reference is None:
        message = "The domain classifier needs reference rows; a profile has none."
        return DomainClassifierResult(None, threshold, None, None, "unsupported", message=message)
    if min(len(reference), len(current)) < min_rows:
        message = f"The domain classifier needs at least {min_rows} rows on each side."
        return DomainClassifierResult(
            None, threshold, None, None, "insufficient_data", message=message
        )
    columns = [name for name in columns if name in reference.columns and name in current.columns]
    rng = np.random.default_rng(seed)
    ref = _subsample(reference, max_rows, rng)
    cur = _subsample(current, max_rows, rng)
    features, categorical, names = _encode(ref, cur, columns)
    if not names:
        message = "No column has the same kind in both windows."
        return DomainClassifierResult(None, threshold, None, None, "no_columns", message=message)
    target = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
    # The trees are small: OpenMP threads cost more in synchronisation than they save
    # (ten times slower on two busy cores), so fit and predict on one thread.
    with threadpool_limits(limits=1, user_api="openmp"):
        auc, first_model, first_test = _cross_validated_auc(features, target, categorical, seed)
    n_ref, n_cur = len(ref), len(cur)
    std_error = math.sqrt((n_ref + n_cur + 1) / (12 * n_ref * n_cur))
    p_value = float(sps.norm.sf((auc - 0.5) / std_error))
    drifted = auc >= threshold and p_value < alpha
    bound = 0.5 + float(sps.norm.isf(alpha)) * std_error
    importances: dict[str, float] = {}
    if drifted:
        with threadpool_limits(limits=1, user_api="openmp"):
            importances = _importances(first_model, features, target, first_test, names, seed)
    message = _message(auc, threshold, p_value, drifted, importances)
    return DomainClassifierResult(
        auc, threshold, p_value, drifted, "ok", importances, n_ref, n_cur, message,
        std_error, bound,
    )  # fmt: skip


def _message(
    auc: float, threshold: float, p_value: float, drifted: bool, importances: dict[str, float]
) -> str:
    sign = ">=" if auc >= threshold else "<"
    text = f"Domain classifier ROC AUC {auc:.3f} {sign} {threshold:g} (p={p_value:.2g})"
    if not drifted:
        return text + ": no drift."
    top = ", ".join(list(importances)[:3])
    return text + (f": drift, carried by {top}." if top else ": drift.")


def _subsample(frame: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= rows:
        return frame
    picked = np.sort(rng.choice(len(frame), size=rows, replace=False))
    return frame.iloc[picked]


def _encode(
    ref: pd.DataFrame, cur: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, list[bool], list[str]]:
    """A float matrix of both windows (reference rows first) and the categorical mask."""
    blocks: list[np.ndarray] = []
    categorical: list[bool] = []
    names: list[str] = []
    for name in columns:
        kind = column_kind(ref[name])
        if kind != column_kind(cur[name]):
            continue
        if kind in ("numeric", "datetime"):
            both = np.concatenate(
                [numeric_values(ref[name], kind), numeric_values(cur[name], kind)]
            )
            both[~np.isfinite(both)] = np.nan
            blocks.append(both)
            categorical.append(False)
        else:
            blocks.append(_category_codes(pd.concat([ref[name], cur[name]], ignore_index=True)))
            categorical.append(True)
        names.append(name)
    matrix = np.column_stack(blocks) if blocks else np.empty((len(ref) + len(cur), 0))
    return matrix, categorical, names


def _category_codes(values: pd.Series) -> np.ndarray:
    labels = values.astype(object).where(values.notna(), None)
    text = labels.map(lambda v: None if v is None else str(v))
    frequent = text.value_counts().index[:MAX_CATEGORIES]
    codes = pd.Categorical(text, categories=frequent).codes.astype(np.float64)
    codes[(codes < 0) & text.notna().to_numpy()] = MAX_CATEGORIES  # rare categories
    codes[text.isna().to_numpy()] = np.nan
    return codes


def _model(categorical: list[bool], seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=50,
        max_leaf_nodes=15,
        # 63 bins, not 255: each bin of a 6,700-row training fold still holds ~100 rows,
        # finer than 20-row leaves can use; split finding costs a quarter, the whole
        # classifier ~10% less CPU, and its AUC moves by a fraction of its sampling error
        # (0.003 against 0.007 at 5,000 rows a side, measured on the drift benchmark data).
        max_bins=63,
        early_stopping=False,
        categorical_features=np.asarray(categorical, dtype=bool),
        random_state=seed,
    )


def _cross_validated_auc(
    features: np.ndarray, target: np.ndarray, categorical: list[bool], seed: int
) -> tuple[float, Any, np.ndarray]:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    out_of_fold = np.empty(target.size)
    first: tuple[Any, np.ndarray] | None = None
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    for train, test in folds.split(features, target):
        model = _model(categorical, seed).fit(features[train], target[train])
        out_of_fold[test] = model.predict_proba(features[test])[:, 1]
        first = first or (model, test)
    assert first is not None
    return float(roc_auc_score(target, out_of_fold)), first[0], first[1]


def _importances(
    model: Any,
    features: np.ndarray,
    target: np.ndarray,
    test: np.ndarray,
    names: list[str],
    seed: int,
) -> dict[str, float]:
    """Permutation importance: the mean drop in ROC AUC over two shuffles of each column of
    the held-out rows (``sklearn.inspection.permutation_importance(scoring="roc_auc",
    n_repeats=2)``'s definition, computed directly: every shuffled copy is scored in one
    call, which costs a tenth of scikit-learn's per-column calls)."""
    rng = np.random.default_rng(seed)
    rows = test if test.size <= IMPORTANCE_ROWS else rng.choice(test, IMPORTANCE_ROWS, False)
    held, truth = features[rows], target[rows]
    copies = [held]
    for column in range(len(names)):
        for _ in range(2):
            shuffled = held.copy()
            shuffled[:, column] = rng.permutation(shuffled[:, column])
            copies.append(shuffled)
    scores = model.predict_proba(np.vstack(copies))[:, 1].reshape(len(copies), len(rows))
    aucs = np.array([_auc(truth, row) for row in scores])
    means = aucs[0] - aucs[1:].reshape(len(names), 2).mean(axis=1)
    order = np.argsort(-means, kind="stable")
    return {names[i]: float(means[i]) for i in order if means[i] >= MIN_IMPORTANCE}


def _auc(truth: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney rank sum (ties get average ranks): `roc_auc_score`'s."""
    ranks = sps.rankdata(scores)
    positives = truth == 1
    n_pos = int(positives.sum())
    n_neg = truth.size - n_pos
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
