"""Seeded synthetic data with planted drift: the drift benchmark's data, shared with tests.

The data follow the monitoring issue: 20 numeric and 5 categorical columns, of which five
are shifted between the reference and the current window (+0.5 sd, x1.5 scale, +0.05 sd,
a category 10% -> 30%, a category 10% -> 12%) and twenty are unchanged. Nothing here
computes drift.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# What the default drift rule flags on this data, at any size from 10k rows up: the large
# shifts only. +0.05 sd (Wasserstein/std 0.05) and 10% -> 12% (JS 0.025) are real but small.
SHIFTED_COLUMNS = ("shift_0_5sd", "scale_1_5x", "shift_0_05sd", "cat_10_to_30", "cat_10_to_12")
FLAGGED_BY_DEFAULT = ("shift_0_5sd", "scale_1_5x", "cat_10_to_30")
UNCHANGED_NUMERIC = 17
UNCHANGED_CATEGORICAL = 3


def _unchanged_numeric(index: int, rows: int, rng: np.random.Generator) -> np.ndarray:
    """A mix of shapes: normal, skewed, bounded, heavy-tailed, integer-valued (ties)."""
    shape = index % 6
    if shape == 0:
        return rng.normal(10 * index, 1 + index, rows)
    if shape == 1:
        return rng.lognormal(0, 0.75, rows)
    if shape == 2:
        return rng.uniform(-1, 1, rows)
    if shape == 3:
        return rng.exponential(2.0, rows)
    if shape == 4:
        return rng.poisson(4, rows).astype(np.float64)
    return rng.standard_t(5, rows)


def _with_missing(values: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    values = values.copy()
    values[rng.random(values.size) < share] = np.nan
    return values


def _categorical(
    rows: int, labels: list[str], shares: np.ndarray, rng: np.random.Generator
) -> pd.Categorical[str]:
    codes = rng.choice(len(labels), size=rows, p=shares / shares.sum())
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels))


def _moved_category(share: float, others: int) -> np.ndarray:
    """Category "a" takes `share`; the rest is split evenly, so only "a" moves."""
    return np.concatenate([[share], np.full(others, (1 - share) / others)])


def _window(rows: int, rng: np.random.Generator, *, current: bool) -> pd.DataFrame:
    data: dict[str, object] = {}
    for i in range(UNCHANGED_NUMERIC):
        values = _unchanged_numeric(i, rows, rng)
        data[f"num_{i:02d}"] = _with_missing(values, 0.02, rng) if i == 3 else values
    base = rng.normal(0, 1, (3, rows))
    if current:
        base[0] += 0.5  # +0.5 sd
        base[1] *= 1.5  # x1.5 scale around the mean
        base[2] += 0.05  # +0.05 sd
    data["shift_0_5sd"], data["scale_1_5x"], data["shift_0_05sd"] = base[0], base[1], base[2]
    for i, size in enumerate((3, 8, 20)[:UNCHANGED_CATEGORICAL]):
        labels = [f"c{i}_{j}" for j in range(size)]
        shares = np.linspace(1.0, 2.0, size)
        data[f"cat_{i:02d}"] = _categorical(rows, labels, shares, rng)
    labels = ["a", "b", "c", "d", "e"]
    data["cat_10_to_30"] = _categorical(
        rows, labels, _moved_category(0.3 if current else 0.1, 4), rng
    )
    data["cat_10_to_12"] = _categorical(
        rows, labels, _moved_category(0.12 if current else 0.1, 4), rng
    )
    frame = pd.DataFrame(data)
    for name in frame.columns:
        if name.startswith("cat_"):
            frame[name] = frame[name].astype(str)  # text columns, as in a prediction log
    return frame


def drift_benchmark_data(rows: int, *, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current windows of `rows` rows each, 25 columns, seeded."""
    rng = np.random.default_rng(seed)
    return _window(rows, rng, current=False), _window(rows, rng, current=True)


def estimation_data(
    rows: int, *, task: str = "binary", shift: str = "covariate", seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A labelled reference and an analysis period for performance estimation (CBPE / DLE).

    Four inputs (three numeric, one categorical) drive the target through a fixed rule; the
    "model" is that rule, slightly over-confident (classifiers) or blind to the noise's
    dependence on ``x1`` (regressor). ``shift="covariate"`` moves the inputs (``x1`` +0.8 sd,
    ``x2`` x1.5, category ``c`` 20% -> 50% ``b``) and keeps P(y | x): the case CBPE and DLE
    are built for. ``shift="concept"`` keeps the inputs and changes P(y | x) (the sign of
    ``x1``'s effect flips): the estimate is then wrong, by design. ``shift="none"``: both
    periods alike. Columns: ``x0 x1 x2 c y_true y_pred`` and ``proba_<class>`` (binary: the
    positive class's only, ``proba_1``).
    """
    rng = np.random.default_rng(seed)
    reference = _estimation_period(rows, task, rng, moved=False, concept=False)
    analysis = _estimation_period(
        rows, task, rng, moved=shift == "covariate", concept=shift == "concept"
    )
    return reference, analysis


def _estimation_period(
    rows: int, task: str, rng: np.random.Generator, *, moved: bool, concept: bool
) -> pd.DataFrame:
    x0 = rng.normal(0, 1, rows)
    x1 = rng.normal(0.8 if moved else 0.0, 1, rows)
    x2 = rng.normal(0, 1.5 if moved else 1.0, rows)
    c = rng.choice(["a", "b", "c"], rows, p=[0.3, 0.5, 0.2] if moved else [0.6, 0.2, 0.2])
    effect = {"a": 0.0, "b": 0.7, "c": -0.5}
    bump = np.array([effect[v] for v in c])
    sign = -1.0 if concept else 1.0
    frame = pd.DataFrame({"x0": x0, "x1": x1, "x2": x2, "c": c})
    if task == "regression":
        signal = 2 * x0 + np.sin(x2) + bump
        noise = rng.normal(0, 1, rows) * (0.3 + np.abs(x1))
        truth = signal + noise + (1.5 * x1 if concept else 0.0)
        return frame.assign(y_true=truth, y_pred=signal)
    if task == "binary":
        logit_model = 1.2 * x0 + 0.8 * x1 - 0.6 * x2 + bump
        logit_true = 1.2 * x0 + sign * 0.8 * x1 - 0.6 * x2 + bump
        truth = (rng.random(rows) < 1 / (1 + np.exp(-logit_true))).astype(int)
        proba = 1 / (1 + np.exp(-1.4 * logit_model))  # over-confident: calibration matters
        return frame.assign(y_true=truth, y_pred=(proba >= 0.5).astype(int), proba_1=proba)
    weights = np.array([[1.0, 0.5, -0.4], [-0.8, 0.9, 0.3], [0.2, -1.0, 0.6]])
    inputs = np.column_stack([x0, x1, x2])
    logits_model = inputs @ weights.T + np.column_stack([bump, 0 * bump, -bump])
    true_weights = weights.copy()
    true_weights[:, 1] *= sign
    logits_true = inputs @ true_weights.T + np.column_stack([bump, 0 * bump, -bump])
    truth_p = _softmax(logits_true)
    cumulative = truth_p.cumsum(axis=1)
    truth = (rng.random(rows)[:, None] > cumulative).sum(axis=1).clip(0, 2)
    proba = _softmax(1.4 * logits_model)
    columns = {f"proba_{k}": proba[:, k] for k in range(3)}
    return frame.assign(y_true=truth, y_pred=proba.argmax(axis=1), **columns)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))
