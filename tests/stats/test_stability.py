"""PSI and CSI (`modelward.stats.stability`) against an independent computation.

No published PSI implementation is installed in the project's environment (neither Evidently
nor NannyML are: they live in their own benchmark venvs, and neither defines PSI on decile
bins), so the reference here is scipy: PSI is the symmetrised Kullback-Leibler divergence,
``sum(rel_entr(a, e)) + sum(rel_entr(e, a))`` with `scipy.special.rel_entr`, on bins cut by
pandas (`pandas.qcut` deciles of the reference, `pandas.cut` of the window on those edges),
not by our searchsorted code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import rel_entr

from modelward.stats.reference import prepare_reference
from modelward.stats.stability import band, stability_index

# Two float paths (our bincount shares vs pandas' value_counts shares, then logs): equal to
# rounding, far below the 1e-3 a PSI is quoted to.
TOLERANCE = 1e-12


def scipy_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """KL(actual || expected) + KL(expected || actual) of two share vectors (scipy)."""
    return float(np.sum(rel_entr(actual, expected)) + np.sum(rel_entr(expected, actual)))


def _pandas_decile_shares(ref: pd.Series, cur: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    _, edges = pd.qcut(ref, 10, retbins=True)
    edges = np.concatenate([[-np.inf], edges[1:-1], [np.inf]])
    # right=False: [e_i, e_i+1) bins, the conventional "at or above the cut" reading
    ref_bins = pd.cut(ref, edges, right=False).value_counts(normalize=True, sort=False)
    cur_bins = pd.cut(cur, edges, right=False).value_counts(normalize=True, sort=False)
    return ref_bins.to_numpy(), cur_bins.to_numpy()


@pytest.mark.parametrize("shift", [0.0, 0.2, 0.6])
def test_psi_on_reference_deciles_equals_scipy_kl_identity(shift: float) -> None:
    rng = np.random.default_rng(3)
    ref = pd.Series(rng.normal(0, 1, 20_000), name="score")
    cur = pd.Series(rng.normal(shift, 1.1, 8_000), name="score")
    prepared = prepare_reference(pd.DataFrame({"score": ref}))
    found = stability_index(prepared.columns["score"], cur)
    assert found is not None
    expected, actual = _pandas_decile_shares(ref, cur)
    assert len(found.bins) == 10  # ten deciles (the missing bin, empty on both sides, dropped)
    assert found.expected == pytest.approx(expected, abs=TOLERANCE)
    assert found.actual == pytest.approx(actual, abs=TOLERANCE)
    assert found.value == pytest.approx(scipy_psi(expected, actual), abs=TOLERANCE)


def test_csi_of_a_categorical_counts_unseen_categories_and_missing_values() -> None:
    ref = pd.Series(["a"] * 500 + ["b"] * 300 + ["c"] * 200)
    cur = pd.Series(["a"] * 300 + ["b"] * 300 + ["d"] * 100 + [None] * 100, dtype=object)
    prepared = prepare_reference(pd.DataFrame({"x": ref}))
    found = stability_index(prepared.columns["x"], cur)
    assert found is not None
    assert found.bins == ["a", "b", "c", "other", "missing"]
    # the empty reference shares (other, missing) and the empty window share (c) take the
    # 1e-4 floor, as measures.psi documents; scipy gets the same floored shares
    expected = np.array([0.5, 0.3, 0.2, 1e-4, 1e-4])
    actual = np.array([300, 300, 1e-4 * 800, 100, 100]) / 800
    actual[2] = 1e-4
    assert found.value == pytest.approx(scipy_psi(expected, actual), abs=TOLERANCE)
    assert found.band == "shift"


def test_missing_values_are_a_bin_and_an_unchanged_population_is_stable() -> None:
    rng = np.random.default_rng(5)
    values = rng.gamma(2.0, 1.0, 30_000)
    prepared = prepare_reference(pd.DataFrame({"x": values[:15_000]}))
    same = stability_index(prepared.columns["x"], pd.Series(values[15_000:]))
    assert same is not None and same.band == "stable" and same.value < 0.01
    holes = pd.Series(values[15_000:]).where(rng.random(15_000) > 0.3)  # 30% now missing
    found = stability_index(prepared.columns["x"], holes)
    assert found is not None and found.bins[-1] == "missing"
    assert found.actual[-1] == pytest.approx(holes.isna().mean())
    assert found.band == "shift"


def test_bands_follow_the_convention() -> None:
    assert [band(v) for v in (0.0, 0.099, 0.1, 0.25, 0.2501, None)] == [
        "stable", "stable", "watch", "watch", "shift", None,
    ]  # fmt: skip
