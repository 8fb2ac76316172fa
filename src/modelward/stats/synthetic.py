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
# shifts only. +0.05 sd (Wasserstein/std 0.05) and 10% -> 12% (JS 0.03) are real but small.
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
