"""Ranking and A/B statistics checked against scikit-learn and statsmodels on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import ndcg_score
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from modelward.stats import abtest, ranking

# Float tolerance: the same formula evaluated by two libraries differs in the last bits only.
TOL = 1e-9


def _scores(seed: int, rows: int = 400, items: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.dirichlet(np.ones(items), size=rows)
    truth = rng.integers(0, items, size=rows)
    return ranking.one_hot(truth, list(range(items))), scores


@pytest.mark.parametrize("k", [1, 3, 6])
def test_ndcg_equals_sklearn(k: int) -> None:
    relevance, scores = _scores(k)
    assert ranking.ndcg_at_k(relevance, scores, k) == pytest.approx(
        ndcg_score(relevance, scores, k=k), abs=TOL
    )


def test_ndcg_with_graded_relevance_and_ties_equals_sklearn() -> None:
    rng = np.random.default_rng(7)
    relevance = rng.integers(0, 4, size=(200, 5)).astype(float)
    scores = rng.integers(0, 3, size=(200, 5)).astype(float)  # many ties
    assert ranking.ndcg_at_k(relevance, scores, 3) == pytest.approx(
        ndcg_score(relevance, scores, k=3), abs=TOL
    )


def test_precision_and_recall_at_k_by_hand() -> None:
    relevance = np.array([[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0]], dtype=float)
    scores = np.array([[0.9, 0.5, 0.3, 0.1], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]])
    # row 1: top-2 = items 0, 1 -> 1 hit of 2 relevant; row 2: top-2 = 3, 2 -> 1 hit of 1
    assert ranking.precision_at_k(relevance, scores, 2) == pytest.approx((0.5 + 0.5) / 2)
    assert ranking.recall_at_k(relevance, scores, 2) == pytest.approx((0.5 + 1.0) / 2)
    assert ranking.recall_at_k(relevance, scores, 4) == pytest.approx(1.0)


def test_arm_interval_and_welch_equal_statsmodels() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 3, 300), rng.normal(10.6, 4, 250)
    kpi = abtest.arm_kpi(a)
    low, high = DescrStatsW(a).tconfint_mean(alpha=0.05)
    assert (kpi.ci_low, kpi.ci_high) == pytest.approx((low, high), abs=TOL)
    diff, lo, hi, p = abtest.welch(a, b)
    cm = CompareMeans(DescrStatsW(b), DescrStatsW(a))
    ref_lo, ref_hi = cm.tconfint_diff(alpha=0.05, usevar="unequal")
    _, ref_p, _ = cm.ttest_ind(usevar="unequal")
    assert (lo, hi) == pytest.approx((ref_lo, ref_hi), abs=TOL)
    assert p == pytest.approx(ref_p, abs=TOL)
    assert diff == pytest.approx(b.mean() - a.mean(), abs=TOL)


def test_sample_size_matches_statsmodels_normal_power() -> None:
    sd, delta = 2.0, 0.25
    ours = abtest.required_per_arm(sd, sd, delta, alpha=0.05, power=0.8)
    ref = NormalIndPower().solve_power(effect_size=delta / sd, alpha=0.05, power=0.8, ratio=1.0)
    # statsmodels also counts the far tail of the two-sided test (below 1e-6 of power here),
    # so its n is a hair above the closed form; both round up to the same whole row count.
    assert ours == int(np.ceil(ref))


def test_compare_kpi_reports_uplift_and_rows_still_needed() -> None:
    rng = np.random.default_rng(11)
    a = (rng.random(2000) < 0.10).astype(float)
    b = (rng.random(2000) < 0.13).astype(float)
    found = abtest.compare_kpi("converted", a, b, min_effect=0.05)
    assert found.verdict == "better"
    assert found.relative_uplift == pytest.approx((b.mean() - a.mean()) / a.mean())
    # a 5% relative uplift on a 10% rate needs far more than 2000 rows per arm
    assert found.required_per_arm is not None and found.required_per_arm > 2000
    assert found.additional_per_arm == found.required_per_arm - 2000
    assert abtest.compare_kpi("x", a[:1], b).verdict == "insufficient_data"


def test_validation_reports_ranking_metrics_for_more_than_two_classes() -> None:
    from modelward.validation.base import Outputs
    from modelward.validation.checks import _ranking

    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.ones(4), size=300)
    truth = rng.choice(["a", "b", "c", "d"], size=300)
    outputs = Outputs("classification", truth, truth, proba, ("a", "b", "c", "d"))
    found = _ranking(outputs)
    relevance = ranking.one_hot(list(truth), ["a", "b", "c", "d"])
    assert found["ndcg_at_3"] == pytest.approx(ndcg_score(relevance, proba, k=3), abs=TOL)
    # with one relevant item per row, recall@1 is the top-1 hit rate
    hits = np.array(["abcd"[i] for i in proba.argmax(axis=1)]) == truth
    assert found["recall_at_1"] == pytest.approx(hits.mean(), abs=TOL)
    binary = Outputs("classification", truth[:10], truth[:10], proba[:10, :2], ("a", "b"))
    assert _ranking(binary) == {}


def test_window_ranking_figures_from_logged_probabilities() -> None:
    import pandas as pd

    from modelward.monitoring.figures import ranking_figures

    relevance, scores = _scores(9, rows=120, items=4)
    labels = relevance.argmax(axis=1)
    frame = pd.DataFrame(
        {"label": labels, "prediction": scores.argmax(axis=1), "probabilities": list(scores)}
    )
    found = {f.name: f.value for f in ranking_figures(frame, [1, 3])}
    assert found["ndcg_at_3"] == pytest.approx(ndcg_score(relevance, scores, k=3), abs=TOL)
    assert ranking_figures(frame.assign(probabilities=list(scores[:, :2])), [1]) == []
