"""Two-sample distances and tests on plain numpy arrays and count vectors.

These kernels are what `drift` and `quality` are built from. They take sorted float64 arrays
or aligned count vectors, never DataFrames, and they reproduce scipy's figures:
`ks_2samp`, `wasserstein_distance`, `jensenshannon` (scipy's default base e, as Evidently
calls it) and `chi2_contingency`. Each function names the scipy call it equals.
Choosing a method, thresholds and verdicts belongs in `drift`, not here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import special
from scipy import stats as sps
from scipy.spatial import distance as spd

# PSI replaces an empty bin's proportion by this before taking logs (Evidently does the same).
PSI_EPSILON = 1e-4
# scipy's ks_2samp(method="auto") computes the exact p-value when both sizes are at most this.
KS_EXACT_MAX_N = 10_000


def ks_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """Two-sided KS statistic of two sorted samples, bit-for-bit `scipy.stats.ks_2samp`'s.

    scipy evaluates both ECDFs at every pooled value. F_ref - F_cur only rises at reference
    values and only falls at current values, so its maximum is reached at a reference value
    and its minimum at a current value: two searchsorted calls with sorted keys instead of
    four with unsorted ones. Within a run of ties the last element gives the largest
    difference, so ``rank / n`` needs no tie correction.
    """
    n_ref, n_cur = reference.size, current.size
    cur_at_ref = np.searchsorted(current, reference, side="right")
    gaps = np.arange(1, n_ref + 1) / n_ref - cur_at_ref / n_cur
    # The largest pooled value has both ECDFs at 1: scipy's maximum is never below 0.
    max_s = max(float(gaps.max()), 0.0)
    ref_at_cur = np.searchsorted(reference, current, side="right")
    gaps = np.arange(1, n_cur + 1) / n_cur - ref_at_cur / n_ref
    min_s = min(max(float(gaps.max()), 0.0), 1.0)
    return min_s if min_s > max_s else max_s


def _smirnov_sf(n: int, x: float) -> float:
    """``scipy.special.smirnov(n, x)`` by the same Birnbaum-Tingey sum, vectorised in logs.

    scipy sums the terms one by one (about a second at n = 500,000); this agrees with it to
    about 1e-9 relative in a few tens of milliseconds.
    """
    j = np.arange(0, math.floor(n * (1 - x)) + 1, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_terms = (
            special.gammaln(n + 1)
            - special.gammaln(j + 1)
            - special.gammaln(n - j + 1)
            + (n - j) * np.log1p(-x - j / n)
            + (j - 1) * np.log(x + j / n)
        )
    peak = float(log_terms.max())
    return float(np.exp(math.log(x) + peak + math.log(np.sum(np.exp(log_terms - peak)))))


def ks_asymptotic_p_value(statistic: float, n_ref: int, n_cur: int) -> float:
    """scipy's asymptotic two-sided p-value: ``kstwo.sf(d, round(n1*n2/(n1+n2)))``.

    `scipy.stats.kstwo.sf` answers from ``2 * smirnov(n, d)`` when n > 140 and
    2.2 <= n d^2 < 370, which takes up to a second for large n; that branch is computed
    by `_smirnov_sf` instead. Every other case calls scipy.
    """
    larger, smaller = max(float(n_ref), float(n_cur)), min(float(n_ref), float(n_cur))
    n = int(np.round(larger * smaller / (larger + smaller)))
    x = float(statistic)
    if n == 0:  # two single values: scipy warns and answers NaN
        return math.nan
    t = n * x
    if n > 140 and x < 0.5 and 1.0 < t < n - 1 and 2.2 <= t * x < 370.0:
        return float(np.clip(2 * _smirnov_sf(n, x), 0, 1))
    return float(np.clip(sps.kstwo.sf(x, n), 0, 1))


def ks_test(
    reference: np.ndarray, current: np.ndarray, *, method: str = "asymp"
) -> tuple[float, float]:
    """KS statistic and two-sided p-value of two sorted samples.

    ``method="asymp"`` (our default) always uses the asymptotic p-value, as
    ``ks_2samp(method="asymp")``. ``method="auto"`` follows ``ks_2samp``'s default rule:
    exact p-values when both samples have at most `KS_EXACT_MAX_N` values (scipy then also
    rounds the statistic to a multiple of 1/lcm(n1, n2)); we call scipy itself there.
    Exact p-values cost 10-70 ms per column and never change a verdict of `drift`.
    """
    if method != "asymp" and max(reference.size, current.size) <= KS_EXACT_MAX_N:
        with warnings.catch_warnings():
            # scipy falls back to the asymptotic p-value with a RuntimeWarning; so do we.
            warnings.simplefilter("ignore", RuntimeWarning)
            result = sps.ks_2samp(reference, current, method=method)
        return float(result.statistic), float(result.pvalue)
    statistic = ks_statistic(reference, current)
    return statistic, ks_asymptotic_p_value(statistic, reference.size, current.size)


def wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    """Wasserstein-1 distance of two sorted samples, `scipy.stats.wasserstein_distance`'s.

    Computed as the integral of |Q_ref(u) - Q_cur(u)| over u in (0, 1], which equals scipy's
    integral of |F_ref(x) - F_cur(x)|: with equal sizes that is the mean absolute difference
    of the sorted samples; otherwise the two quantile grids i/n_ref and j/n_cur are merged
    with integer arithmetic, which needs no sort. Only the rounding of the sum differs.
    """
    n_ref, n_cur = reference.size, current.size
    if n_ref == n_cur:
        return float(np.mean(np.abs(reference - current)))
    # Breakpoints on the integer scale u * n_ref * n_cur; reference ones first when tied.
    ref_points = np.arange(1, n_ref + 1, dtype=np.int64) * n_cur
    cur_points = np.arange(1, n_cur + 1, dtype=np.int64) * n_ref
    merged = np.empty(n_ref + n_cur, dtype=np.int64)
    merged[np.arange(n_ref) + (ref_points + n_ref - 1) // n_ref - 1] = ref_points
    merged[np.arange(n_cur) + cur_points // n_cur] = cur_points
    widths = np.diff(merged, prepend=0)
    gaps = np.abs(
        reference[(merged + n_cur - 1) // n_cur - 1] - current[(merged + n_ref - 1) // n_ref - 1]
    )
    return float(np.sum(widths * gaps) / (n_ref * n_cur))


def normed_wasserstein(distance: float, population_std: float) -> float | None:
    """Wasserstein distance divided by the reference's population standard deviation.

    Equals ``scipy.stats.wasserstein_distance(ref, cur) / numpy.std(ref)`` (ddof=0), as
    Evidently's "Wasserstein distance (normed)" computes it. A reference whose spread is 0
    gives 0 when the distance is 0 (nothing moved) and None otherwise (undefined).
    """
    if population_std > 0:
        return distance / population_std
    return 0.0 if distance == 0 else None


def quantile_cuts(sorted_values: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    """Distinct interior bin edges at the given quantiles of a sorted sample."""
    if sorted_values.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(sorted_values, quantiles))


def bin_counts(sorted_values: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Counts in the bins ``(-inf, c0), [c0, c1), ..., [c_last, inf)`` of a sorted sample."""
    below = np.searchsorted(sorted_values, cuts, side="left")
    return np.diff(np.concatenate([[0], below, [sorted_values.size]])).astype(np.int64)


def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Population stability index over aligned bins.

    ``sum((q - p) * ln(q / p))`` with p, q the bin proportions; an empty bin's proportion is
    replaced by `PSI_EPSILON` (1e-4) so the log stays finite. PSI(x, x) is 0.
    """
    p = reference_counts / reference_counts.sum()
    q = current_counts / current_counts.sum()
    p = np.where(p == 0, PSI_EPSILON, p)
    q = np.where(q == 0, PSI_EPSILON, q)
    return float(np.sum((q - p) * np.log(q / p)))


def psi_noise(n_bins: int, n_ref: int, n_cur: int) -> float:
    """Expected PSI between two samples of one distribution: ``(k - 1)(1/n_ref + 1/n_cur)``.

    PSI is approximately a chi-square divergence, so sampling noise alone adds this much;
    `drift` subtracts it before comparing PSI with a threshold.
    """
    return max(n_bins - 1, 0) * (1.0 / n_ref + 1.0 / n_cur)


def js_distance(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Jensen-Shannon distance of two aligned count vectors, in the natural base (e).

    Equals ``scipy.spatial.distance.jensenshannon(reference_counts, current_counts)`` with
    scipy's default base, which is what Evidently computes: between 0 and sqrt(ln 2) ~ 0.833
    (base 2 would be this divided by sqrt(ln 2)). Identical empty vectors give 0.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        value = spd.jensenshannon(reference_counts, current_counts)
    return float(value) if math.isfinite(value) else 0.0


def chi2_test(reference_counts: np.ndarray, current_counts: np.ndarray) -> tuple[float, float]:
    """Chi-square statistic and p-value of `scipy.stats.chi2_contingency` on the 2 x k table.

    Categories absent from both samples must already be dropped. scipy applies Yates'
    correction when the table has one degree of freedom (two categories).
    """
    table = np.vstack([reference_counts, current_counts])
    if table.shape[1] < 2:
        return 0.0, 1.0
    result = sps.chi2_contingency(table)
    return float(result.statistic), float(result.pvalue)


def cramers_v(chi2: float, n_total: int) -> float:
    """Cramer's V of a 2 x k table: ``sqrt(chi2 / n)``, an effect size between 0 and 1."""
    return math.sqrt(chi2 / n_total) if n_total else 0.0


def two_proportion_p_value(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when undefined)."""
    if n_a == 0 or n_b == 0:
        return 1.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:
        return 1.0
    z = abs(hits_a / n_a - hits_b / n_b) / math.sqrt(variance)
    return float(2 * sps.norm.sf(z))


def json_ready(value: Any) -> Any:
    """Copy `value` into plain JSON types: numpy scalars and arrays become Python numbers and
    lists, NaN and infinities None, tuples lists."""
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if hasattr(value, "tolist"):
        return json_ready(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
