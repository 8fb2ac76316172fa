"""PSI and CSI as credit-risk teams define them: the population stability index of the score
(or prediction) distribution and the characteristic stability index of each input
(characteristic), a window against the reference.

Both are ``sum((actual - expected) * ln(actual / expected))`` over bins, with `expected` the
reference's bin shares and `actual` the window's (``PSI = KL(a || e) + KL(e || a)``, the
symmetrised Kullback-Leibler divergence). The bins are the conventional ones:

- a numeric column: ten equal-population bins, cut at the reference's deciles (fewer when
  the reference has ties at a decile; a profile reference without rows uses its histogram);
- a categorical column: one bin per reference category and one ``other`` bin for categories
  the reference did not hold;
- missing values: a bin of their own on both sides, so a column that starts arriving empty
  shows up as a shift.

An empty bin's share is replaced by `measures.PSI_EPSILON` (1e-4) before taking logs, as in
`measures.psi`. The conventional bands: below 0.1 stable, 0.1 to 0.25 watch, above 0.25 a
shift. Unlike the drift test's PSI (`modelward.stats.drift`), nothing is subtracted for
sampling noise: these are the figures a credit-risk report quotes, read against those bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelward.stats import measures
from modelward.stats.profile import column_kind
from modelward.stats.reference import (
    CategoricalReference,
    ColumnReference,
    NumericReference,
    category_counts,
    numeric_values,
)

N_BINS = 10
WATCH, SHIFT = 0.1, 0.25  # the conventional bands' limits
OTHER, MISSING = "other", "missing"


def band(value: float | None) -> str | None:
    """``stable`` (< 0.1), ``watch`` (0.1 to 0.25) or ``shift`` (> 0.25); None for None."""
    if value is None:
        return None
    return "stable" if value < WATCH else "watch" if value <= SHIFT else "shift"


@dataclass(frozen=True)
class StabilityIndex:
    """One PSI or CSI with its bins (labels, reference and window shares)."""

    value: float
    bins: list[str]
    expected: list[float]  # reference shares per bin
    actual: list[float]  # window shares per bin
    n_reference: int
    n_current: int

    @property
    def band(self) -> str:
        """The conventional band (`band`)."""
        return str(band(self.value))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for a window's summary)."""
        return {
            "value": self.value,
            "band": self.band,
            "bins": self.bins,
            "expected": self.expected,
            "actual": self.actual,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
        }


def decile_edges(sorted_values: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Distinct interior edges at the reference's 1/n_bins quantiles (equal-population bins)."""
    quantiles = tuple(np.arange(1, n_bins) / n_bins)
    return measures.quantile_cuts(sorted_values, quantiles)


def _numeric(
    reference: NumericReference, current: pd.Series, n_bins: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    if reference.values is not None:
        edges = decile_edges(reference.values, n_bins)
        ref_counts = measures.bin_counts(reference.values, edges)
    else:  # a profile: its bins are all that is known of the reference
        edges, ref_counts = reference.cuts, reference.counts
    raw = numeric_values(current, reference.kind)
    finite = np.isfinite(raw)
    # bins (-inf, e0), [e0, e1), ... as `measures.bin_counts`; searchsorted(side="right")
    # gives each value's bin index without sorting the window
    index = np.searchsorted(edges, raw[finite], side="right")
    cur_counts = np.bincount(index, minlength=edges.size + 1).astype(np.int64)
    labels = [f"< {edges[0]:.4g}"] if edges.size else ["all"]
    labels += [f"[{lo:.4g}, {hi:.4g})" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    labels += [f">= {edges[-1]:.4g}"] if edges.size else []
    ref_all = np.append(ref_counts, reference.n_missing)
    cur_all = np.append(cur_counts, int((~finite).sum()))
    return [*labels, MISSING], ref_all, cur_all


def _categorical(
    reference: CategoricalReference, current: pd.Series
) -> tuple[list[str], np.ndarray, np.ndarray]:
    window = category_counts(current)
    names = list(reference.counts)
    known = set(names)
    ref_counts = [reference.counts[n] for n in names] + [reference.other_count]
    cur_counts = [window.get(n, 0) for n in names]
    cur_counts.append(sum(count for name, count in window.items() if name not in known))
    n_missing = len(current) - sum(window.values())
    ref_counts.append(reference.n_missing)
    cur_counts.append(n_missing)
    return (
        [*names, OTHER, MISSING],
        np.asarray(ref_counts, dtype=np.int64),
        np.asarray(cur_counts, dtype=np.int64),
    )


def stability_index(
    reference: ColumnReference, current: pd.Series, *, n_bins: int = N_BINS
) -> StabilityIndex | None:
    """PSI/CSI of `current` against a prepared reference column; None when it cannot be
    computed (an unsupported reference, a kind change, or no rows on a side)."""
    if isinstance(reference, NumericReference):
        if column_kind(current) not in ("numeric", "datetime"):
            return None
        labels, ref_counts, cur_counts = _numeric(reference, current, n_bins)
    elif isinstance(reference, CategoricalReference):
        labels, ref_counts, cur_counts = _categorical(reference, current)
    else:
        return None
    keep = (ref_counts > 0) | (cur_counts > 0)  # bins empty on both sides say nothing
    ref_counts, cur_counts = ref_counts[keep], cur_counts[keep]
    labels = [label for label, kept in zip(labels, keep, strict=True) if kept]
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return None
    value = measures.psi(ref_counts, cur_counts)
    return StabilityIndex(
        value,
        labels,
        (ref_counts / ref_counts.sum()).tolist(),
        (cur_counts / cur_counts.sum()).tolist(),
        int(ref_counts.sum()),
        int(cur_counts.sum()),
    )
