"""The drift figures equal scipy's on the same data, and keep their invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from modelward.stats import compare, measures
from modelward.stats.profile import QUANTILES
from modelward.stats.reference import prepare_reference
from tests.stats.tolerance import KS_TOLERANCE


def samples(n_ref: int, n_cur: int, *, shift: float = 0.0, ties: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    reference = rng.normal(0, 1, n_ref)
    current = rng.normal(shift, 1, n_cur)
    if ties:  # few distinct values, shared by both samples
        reference, current = np.round(reference * 2), np.round(current * 2)
    return np.sort(reference), np.sort(current)


SIZES = [
    pytest.param(1_000, 1_000, False, id="equal"),
    pytest.param(1_000, 1_501, False, id="unequal"),
    pytest.param(2_000, 3_001, True, id="ties"),
    pytest.param(12_000, 15_001, False, id="large-asymptotic"),
    pytest.param(7, 3, True, id="tiny"),
]


@pytest.mark.parametrize(("n_ref", "n_cur", "ties"), SIZES)
def test_ks_equals_scipy_asymp(n_ref: int, n_cur: int, ties: bool) -> None:
    reference, current = samples(n_ref, n_cur, shift=0.1, ties=ties)
    statistic, p_value = measures.ks_test(reference, current)
    expected = sps.ks_2samp(reference, current, method="asymp")
    assert statistic == pytest.approx(expected.statistic, **KS_TOLERANCE)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-8)


@pytest.mark.parametrize(("n_ref", "n_cur", "ties"), SIZES)
def test_ks_auto_equals_scipy_default(n_ref: int, n_cur: int, ties: bool) -> None:
    reference, current = samples(n_ref, n_cur, shift=0.1, ties=ties, seed=1)
    statistic, p_value = measures.ks_test(reference, current, method="auto")
    expected = sps.ks_2samp(reference, current)
    assert (statistic, p_value) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-12)


@pytest.mark.parametrize(
    ("n", "statistic"),
    [
        pytest.param(50_000, 0.01, id="smirnov-branch"),
        pytest.param(20_000, 0.05, id="smirnov-branch-tiny-p"),
        pytest.param(50_000, 0.003, id="pelz-good-branch"),
        pytest.param(100, 0.2, id="small-n"),
    ],
)
def test_ks_p_value_equals_kstwo(n: int, statistic: float) -> None:
    p_value = measures.ks_asymptotic_p_value(statistic, 2 * n, 2 * n)
    assert p_value == pytest.approx(sps.kstwo.sf(statistic, n), rel=1e-8)


@pytest.mark.parametrize(("n_ref", "n_cur", "ties"), SIZES)
def test_wasserstein_equals_scipy(n_ref: int, n_cur: int, ties: bool) -> None:
    reference, current = samples(n_ref, n_cur, shift=0.3, ties=ties)
    expected = sps.wasserstein_distance(reference, current)
    assert measures.wasserstein(reference, current) == pytest.approx(expected, rel=1e-12)


def test_numeric_figures_match_scipy_on_quantile_bins() -> None:
    rng = np.random.default_rng(2)
    reference, current = rng.lognormal(0, 1, 5_000), rng.lognormal(0.2, 1, 4_000)
    prepared = prepare_reference(pd.DataFrame({"x": reference})).columns["x"]
    figures = compare.numeric_figures(prepared, np.sort(current))  # type: ignore[arg-type]

    cuts = np.unique(np.quantile(reference, QUANTILES))
    ref_counts = np.bincount(np.searchsorted(cuts, reference, side="right"), minlength=10)
    cur_counts = np.bincount(np.searchsorted(cuts, current, side="right"), minlength=10)
    p, q = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()
    assert figures["bins"]["reference"] == ref_counts.tolist()
    assert figures["bins"]["current"] == cur_counts.tolist()
    # scipy's default base (e), as Evidently calls it
    assert figures["jensenshannon"] == pytest.approx(jensenshannon(p, q), rel=1e-12)
    assert figures["psi"] == pytest.approx(np.sum((q - p) * np.log(q / p)), rel=1e-12)
    # normed by the population std (numpy's default ddof=0), as Evidently does
    wasserstein = sps.wasserstein_distance(reference, current) / np.std(reference)
    assert figures["wasserstein_normed"] == pytest.approx(wasserstein, rel=1e-12)
    expected_ks = sps.ks_2samp(reference, current, method="asymp").statistic
    assert figures["ks_statistic"] == pytest.approx(expected_ks, **KS_TOLERANCE)


def test_categorical_figures_match_scipy() -> None:
    rng = np.random.default_rng(3)
    reference = pd.Series(rng.choice(["a", "b", "c"], 3_000, p=[0.5, 0.3, 0.2]))
    current = pd.Series(rng.choice(["a", "b", "c", "new"], 2_000, p=[0.4, 0.3, 0.2, 0.1]))
    prepared = prepare_reference(pd.DataFrame({"x": reference})).columns["x"]
    counts = current.value_counts().to_dict()
    figures = compare.categorical_figures(prepared, counts)  # type: ignore[arg-type]

    table = pd.crosstab(
        np.r_[np.zeros(len(reference)), np.ones(len(current))], np.r_[reference, current]
    )
    chi2 = sps.chi2_contingency(table.to_numpy())
    assert figures["chi2"] == pytest.approx(chi2.statistic, rel=1e-12)
    assert figures["chi2_p_value"] == pytest.approx(chi2.pvalue, rel=1e-9)
    expected_js = jensenshannon(table.iloc[0].to_numpy(), table.iloc[1].to_numpy())
    assert figures["jensenshannon"] == pytest.approx(expected_js, rel=1e-12)
    assert figures["new_category_share"] == pytest.approx((current == "new").mean())
    assert figures["cramers_v"] == pytest.approx(np.sqrt(chi2.statistic / 5_000))


def test_two_categories_use_yates_like_scipy() -> None:
    ref_counts, cur_counts = np.array([60, 40]), np.array([45, 55])
    statistic, p_value = measures.chi2_test(ref_counts, cur_counts)
    expected = sps.chi2_contingency(np.vstack([ref_counts, cur_counts]))
    assert (statistic, p_value) == pytest.approx((expected.statistic, expected.pvalue))


def test_psi_empty_bin_uses_documented_epsilon() -> None:
    value = measures.psi(np.array([50, 50, 0]), np.array([40, 40, 20]))
    p = np.array([0.5, 0.5, measures.PSI_EPSILON])
    q = np.array([0.4, 0.4, 0.2])
    assert value == pytest.approx(np.sum((q - p) * np.log(q / p)))


def test_psi_noise_matches_simulated_null_mean() -> None:
    rng = np.random.default_rng(4)
    shares = np.full(10, 0.1)
    values = [
        measures.psi(rng.multinomial(1_000, shares), rng.multinomial(1_000, shares))
        for _ in range(400)
    ]
    assert np.mean(values) == pytest.approx(measures.psi_noise(10, 1_000, 1_000), rel=0.1)


finite_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
sample_lists = st.lists(finite_floats, min_size=2, max_size=60)


@settings(max_examples=60, deadline=None)
@given(values=sample_lists)
def test_identical_samples_have_zero_distance(values: list[float]) -> None:
    data = np.sort(np.asarray(values))
    counts = measures.bin_counts(data, measures.quantile_cuts(data, QUANTILES))
    assert measures.psi(counts, counts) == 0.0
    assert measures.js_distance(counts, counts) == 0.0
    assert measures.ks_statistic(data, data) == 0.0
    assert measures.wasserstein(data, data) == 0.0


@settings(max_examples=60, deadline=None)
@given(first=sample_lists, second=sample_lists)
def test_ks_and_wasserstein_are_symmetric_and_match_scipy(
    first: list[float], second: list[float]
) -> None:
    a, b = np.sort(np.asarray(first)), np.sort(np.asarray(second))
    # Exact on purpose: both orders take the maximum over the same pooled differences, and
    # IEEE subtraction is exactly antisymmetric (x - y == -(y - x)).
    assert measures.ks_statistic(a, b) == measures.ks_statistic(b, a)
    expected_ks = sps.ks_2samp(a, b, method="asymp").statistic
    assert measures.ks_statistic(a, b) == pytest.approx(expected_ks, **KS_TOLERANCE)
    distance = measures.wasserstein(a, b)
    assert distance == pytest.approx(measures.wasserstein(b, a), rel=1e-9, abs=1e-9)
    assert distance == pytest.approx(sps.wasserstein_distance(a, b), rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    first=st.lists(st.integers(0, 50), min_size=2, max_size=8),
    second=st.lists(st.integers(0, 50), min_size=2, max_size=8),
)
def test_count_distances_are_bounded(first: list[int], second: list[int]) -> None:
    size = min(len(first), len(second))
    ref, cur = np.asarray(first[:size]) + 1, np.asarray(second[:size]) + 1
    assert 0.0 <= measures.js_distance(ref, cur) <= 1.0
    assert measures.psi(ref, cur) >= 0.0
    assert measures.psi(ref, cur) == pytest.approx(measures.psi(cur, ref))
