"""Every drift figure for one column: a prepared reference column against current values.

`numeric_figures` and `categorical_figures` return plain dicts of named figures (KS, PSI,
Wasserstein, Jensen-Shannon, chi-square, new-category share ...); `drift` picks the one a
column is judged on. Nothing here decides whether a column drifted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modelward.stats import measures
from modelward.stats.reference import OTHER, CategoricalReference, NumericReference

Figures = dict[str, Any]
# How many categories, largest share change first, the details of a column list.
TOP_CHANGES = 10


def numeric_figures(
    reference: NumericReference, current: np.ndarray, *, ks_method: str = "asymp"
) -> Figures:
    """KS, Wasserstein (raw and / reference population std), PSI, JS (base e) of sorted `current`.

    A sample reference gives scipy's exact figures; a profile reference the binned
    approximations described in `modelward.stats.reference`.
    """
    if reference.values is not None:
        ks_statistic, ks_p_value = measures.ks_test(reference.values, current, method=ks_method)
        distance = measures.wasserstein(reference.values, current)
    else:
        ks_statistic, distance = _binned_ks_wasserstein(reference, current)
        ks_p_value = measures.ks_asymptotic_p_value(ks_statistic, reference.n_values, current.size)
    current_counts = measures.bin_counts(current, reference.cuts)
    n_bins = int(np.count_nonzero(reference.counts))
    psi = measures.psi(reference.counts, current_counts)
    noise = measures.psi_noise(n_bins, reference.n_values, current.size)
    figures: Figures = {
        "ks_statistic": ks_statistic,
        "ks_p_value": ks_p_value,
        "wasserstein": distance,
        # / numpy.std(reference) (ddof=0), as Evidently; 0 spread and 0 distance mean no change
        "wasserstein_normed": measures.normed_wasserstein(distance, reference.population_std),
        "psi": psi,
        "psi_noise": noise,
        "psi_excess": max(0.0, psi - noise),
        "jensenshannon": measures.js_distance(reference.counts, current_counts),
        "bins": {
            "cuts": reference.cuts.tolist(),
            "reference": reference.counts.tolist(),
            "current": current_counts.tolist(),
        },
        "current_mean": float(current.mean()),
        "current_std": float(current.std(ddof=1)) if current.size > 1 else 0.0,
        "reference_std": reference.std,
    }
    if reference.values is not None:
        figures["reference_mean"] = float(reference.values.mean())
    return figures


def _binned_ks_wasserstein(reference: NumericReference, current: np.ndarray) -> tuple[float, float]:
    """KS at the bin edges and a Riemann-sum Wasserstein, for a profile reference."""
    cuts = reference.cuts
    n_cur = current.size
    ref_cdf = np.cumsum(reference.counts)[:-1] / reference.counts.sum()  # F(cut^-)
    cur_cdf = np.searchsorted(current, cuts, side="left") / n_cur
    gaps = np.abs(ref_cdf - cur_cdf)
    interior = float(np.dot(gaps[:-1], np.diff(cuts)))
    # Outside the reference range one CDF is 0 or 1, so the integral is exact there.
    low = current[current < cuts[0]]
    high = current[current >= cuts[-1]]
    tails = (float(np.sum(cuts[0] - low)) + float(np.sum(high - cuts[-1]))) / n_cur
    return float(gaps.max()), interior + tails


def constant_figures(value: float, n_reference: int, n_equal: int, n_current: int) -> Figures:
    """Figures for a constant reference column: how many current values still equal it."""
    figures = _count_figures(np.array([n_reference, 0]), np.array([n_equal, n_current - n_equal]))
    figures["constant_value"] = value
    figures["current_share_equal"] = n_equal / n_current
    return figures


def categorical_figures(reference: CategoricalReference, current: dict[str, int]) -> Figures:
    """chi-square, PSI, JS and the share of new categories, over the union of categories.

    When the reference is a profile whose top list is truncated (``other_count > 0``),
    current categories outside it are counted in the profile's "other" bucket and the new
    category share is None: unseen and merely rare cannot be told apart.
    """
    ref_counts = dict(reference.counts)
    n_cur = sum(current.values())
    if reference.other_count > 0:
        ref_counts[OTHER] = reference.other_count
        merged: dict[str, int] = {}
        for label, count in current.items():
            key = label if label in reference.counts else OTHER
            merged[key] = merged.get(key, 0) + count
        current, new_share = merged, None
    else:
        unseen = sum(count for label, count in current.items() if label not in ref_counts)
        new_share = unseen / n_cur if n_cur else 0.0
    labels = list(ref_counts) + [label for label in current if label not in ref_counts]
    ref_array = np.array([ref_counts.get(label, 0) for label in labels], dtype=np.int64)
    cur_array = np.array([current.get(label, 0) for label in labels], dtype=np.int64)
    figures = _count_figures(ref_array, cur_array)
    figures["new_category_share"] = new_share
    figures["categories"] = _top_changes(labels, ref_array, cur_array)
    return figures


def _count_figures(ref_counts: np.ndarray, cur_counts: np.ndarray) -> Figures:
    keep = (ref_counts + cur_counts) > 0
    ref_counts, cur_counts = ref_counts[keep], cur_counts[keep]
    n_ref, n_cur = int(ref_counts.sum()), int(cur_counts.sum())
    chi2, p_value = measures.chi2_test(ref_counts, cur_counts)
    psi = measures.psi(ref_counts, cur_counts)
    noise = measures.psi_noise(int(np.count_nonzero(ref_counts)), n_ref, n_cur)
    return {
        "chi2": chi2,
        "chi2_p_value": p_value,
        "cramers_v": measures.cramers_v(chi2, n_ref + n_cur),
        "psi": psi,
        "psi_noise": noise,
        "psi_excess": max(0.0, psi - noise),
        "jensenshannon": measures.js_distance(ref_counts, cur_counts),
    }


def _top_changes(labels: list[str], ref: np.ndarray, cur: np.ndarray) -> dict[str, list[float]]:
    ref_share = ref / max(int(ref.sum()), 1)
    cur_share = cur / max(int(cur.sum()), 1)
    order = np.argsort(-np.abs(cur_share - ref_share), kind="stable")[:TOP_CHANGES]
    return {labels[i]: [float(ref_share[i]), float(cur_share[i])] for i in order}
