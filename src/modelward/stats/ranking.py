"""Ranking metrics of a recommender: precision@k, recall@k and NDCG@k.

A row is one request: the model's scores over the candidate items (a class-probability row,
or any score matrix) and the relevance of each item (1 for the item taken up, or graded
values). Items are ranked by score, highest first; ties keep sklearn's convention (the
gains of tied items are averaged), so `ndcg_at_k` equals ``sklearn.metrics.ndcg_score(
relevance, scores, k=k)``. Rows without any relevant item are skipped by precision and
recall (nothing could be found) and count as NDCG 0, as sklearn does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DEFAULT_K = (1, 3)


def one_hot(truth: Sequence[Any], classes: Sequence[Any]) -> np.ndarray:
    """Relevance 1 for each row's true class (columns in `classes` order), 0 elsewhere."""
    index = {value: i for i, value in enumerate(classes)}
    relevance = np.zeros((len(truth), len(classes)), dtype=float)
    for row, value in enumerate(truth):
        col = index.get(value)
        if col is not None:
            relevance[row, col] = 1.0
    return relevance


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    # stable sort on the negated scores: among ties the earlier item ranks first
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def precision_at_k(relevance: np.ndarray, scores: np.ndarray, k: int) -> float | None:
    """Mean share of the top `k` items that are relevant (rows with a relevant item)."""
    rel, sc = _checked(relevance, scores, k)
    has = (rel > 0).any(axis=1)
    if not has.any():
        return None
    hits = np.take_along_axis(rel > 0, _top_k(sc, k), axis=1).sum(axis=1)
    return float((hits[has] / min(k, rel.shape[1])).mean())


def recall_at_k(relevance: np.ndarray, scores: np.ndarray, k: int) -> float | None:
    """Mean share of each row's relevant items found in its top `k`."""
    rel, sc = _checked(relevance, scores, k)
    relevant = (rel > 0).sum(axis=1)
    has = relevant > 0
    if not has.any():
        return None
    hits = np.take_along_axis(rel > 0, _top_k(sc, k), axis=1).sum(axis=1)
    return float((hits[has] / relevant[has]).mean())


def ndcg_at_k(relevance: np.ndarray, scores: np.ndarray, k: int) -> float | None:
    """Normalised discounted cumulative gain at `k` (sklearn's `ndcg_score`, ties averaged)."""
    from sklearn.metrics import ndcg_score

    rel, sc = _checked(relevance, scores, k)
    if rel.shape[0] == 0:
        return None
    if rel.shape[1] == 1:
        return 1.0 if bool((rel > 0).any()) else None  # sklearn refuses one item
    return float(ndcg_score(rel, sc, k=k))


def ranking_metrics(
    relevance: np.ndarray, scores: np.ndarray, ks: Sequence[int] = DEFAULT_K
) -> dict[str, float | None]:
    """``precision_at_{k}``, ``recall_at_{k}`` and ``ndcg_at_{k}`` for each k."""
    found: dict[str, float | None] = {}
    for k in ks:
        found[f"precision_at_{k}"] = precision_at_k(relevance, scores, k)
        found[f"recall_at_{k}"] = recall_at_k(relevance, scores, k)
        found[f"ndcg_at_{k}"] = ndcg_at_k(relevance, scores, k)
    return found


def _checked(relevance: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    rel, sc = np.asarray(relevance, dtype=float), np.asarray(scores, dtype=float)
    if rel.shape != sc.shape or rel.ndim != 2:
        raise ValueError(f"relevance {rel.shape} and scores {sc.shape} must be equal 2-D shapes")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return rel, sc
