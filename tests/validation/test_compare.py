"""Champion vs challenger: paired bootstrap, DeLong and McNemar, and the verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from modelward.errors import InvalidInput
from modelward.validation.base import Outputs
from modelward.validation.compare import (
    bootstrap_weights,
    compare_models,
    delong_test,
    mcnemar_test,
    weighted_metric,
)

ROWS = 1_500
rng = np.random.default_rng(11)
TRUTH = rng.integers(0, 2, ROWS)


def scored(signal: float, *, seed: int) -> Outputs:
    """A binary model whose score separates the classes by `signal` standard deviations."""
    noise = np.random.default_rng(seed).normal(0, 1, ROWS)
    positive = 1 / (1 + np.exp(-(signal * (TRUTH - 0.5) + noise)))
    return Outputs(
        task="classification",
        y_true=TRUTH,
        y_pred=(positive >= 0.5).astype(int),
        proba=np.column_stack([1 - positive, positive]),
        classes=(0, 1),
        positive_label=1,
    )


def regressor(error: float, *, seed: int) -> Outputs:
    truth = np.linspace(1, 100, ROWS)
    predictions = truth + np.random.default_rng(seed).normal(0, error, ROWS)
    return Outputs(task="regression", y_true=truth, y_pred=predictions)


@pytest.mark.parametrize("metric", ["roc_auc", "accuracy", "log_loss", "brier", "f1", "precision"])
def test_weighted_metric_equals_sklearn_on_the_resampled_rows(metric: str) -> None:
    outputs = scored(1.5, seed=1)
    references = {
        "roc_auc": lambda rows: skm.roc_auc_score(TRUTH[rows], outputs.proba[rows, 1]),
        "accuracy": lambda rows: skm.accuracy_score(TRUTH[rows], outputs.y_pred[rows]),
        "log_loss": lambda rows: skm.log_loss(TRUTH[rows], outputs.proba[rows]),
        "brier": lambda rows: skm.brier_score_loss(TRUTH[rows], outputs.proba[rows, 1]),
        "f1": lambda rows: skm.f1_score(TRUTH[rows], outputs.y_pred[rows]),
        "precision": lambda rows: skm.precision_score(TRUTH[rows], outputs.y_pred[rows]),
    }
    weights = next(bootstrap_weights(ROWS, 3, seed=5))
    values = weighted_metric(metric, outputs, weights)
    for resample, counts in enumerate(weights):
        rows = np.repeat(np.arange(ROWS), counts)
        assert values[resample] == pytest.approx(references[metric](rows), rel=1e-9)


@pytest.mark.parametrize("metric", ["rmse", "mae", "r2"])
def test_weighted_regression_metric_equals_sklearn(metric: str) -> None:
    outputs = regressor(5.0, seed=2)
    references = {
        "rmse": skm.root_mean_squared_error,
        "mae": skm.mean_absolute_error,
        "r2": skm.r2_score,
    }
    weights = next(bootstrap_weights(ROWS, 2, seed=3))
    values = weighted_metric(metric, outputs, weights)
    for resample, counts in enumerate(weights):
        rows = np.repeat(np.arange(ROWS), counts)
        expected = references[metric](outputs.y_true[rows], outputs.y_pred[rows])
        assert values[resample] == pytest.approx(expected, rel=1e-9)


def test_bootstrap_weights_draw_every_resample_in_chunks() -> None:
    chunks = list(bootstrap_weights(10, 1_000, seed=0))
    assert sum(len(chunk) for chunk in chunks) == 1_000
    assert all((chunk.sum(axis=1) == 10).all() for chunk in chunks)


@pytest.mark.parametrize(
    ("champion_signal", "challenger_signal", "verdict"),
    [
        pytest.param(0.5, 3.0, "better", id="clearly-better"),
        pytest.param(3.0, 0.5, "worse", id="clearly-worse"),
    ],
)
def test_verdict(champion_signal: float, challenger_signal: float, verdict: str) -> None:
    part = compare_models(scored(champion_signal, seed=1), scored(challenger_signal, seed=2))
    section = part.sections["comparison"]
    assert section["verdict"] == verdict
    assert {row["verdict"] for row in section["metrics"]} == {verdict}
    assert all(check.passed is (verdict != "worse") for check in part.checks)
    auc = next(row for row in section["metrics"] if row["metric"] == "roc_auc")
    assert auc["ci_low"] <= auc["difference"] <= auc["ci_high"]
    assert auc["p_value"] < 0.001


def test_same_model_is_equal_within_noise() -> None:
    model = scored(1.5, seed=1)
    part = compare_models(model, model)
    section = part.sections["comparison"]
    assert section["verdict"] == "equal_within_noise"
    assert all(row["difference"] == 0.0 and row["p_value"] == 1.0 for row in section["metrics"])
    assert all(check.passed for check in part.checks)


def test_regression_comparison_flips_the_sign_for_errors() -> None:
    part = compare_models(regressor(10.0, seed=1), regressor(2.0, seed=2), resamples=200)
    rmse = part.sections["comparison"]["metrics"][0]
    assert rmse["metric"] == "rmse"
    assert rmse["difference"] < 0  # the challenger's error is lower ...
    assert rmse["verdict"] == "better"  # ... which is better
    assert rmse["ci_high"] < 0


def test_bootstrap_is_seeded() -> None:
    first = compare_models(scored(1.0, seed=1), scored(1.2, seed=2), resamples=300, seed=9)
    second = compare_models(scored(1.0, seed=1), scored(1.2, seed=2), resamples=300, seed=9)
    assert first.sections == second.sections


def test_delong_auc_equals_sklearn_and_p_value_matches_bootstrap_scale() -> None:
    champion, challenger = scored(1.0, seed=1), scored(1.3, seed=2)
    auc_a, auc_b, p_value = delong_test(TRUTH, champion.proba[:, 1], challenger.proba[:, 1])
    assert auc_a == pytest.approx(skm.roc_auc_score(TRUTH, champion.proba[:, 1]))
    assert auc_b == pytest.approx(skm.roc_auc_score(TRUTH, challenger.proba[:, 1]))
    differences = weighted_metric(
        "roc_auc", challenger, next(bootstrap_weights(ROWS, 2_000, seed=0))
    ) - weighted_metric("roc_auc", champion, next(bootstrap_weights(ROWS, 2_000, seed=0)))
    z = (auc_b - auc_a) / differences.std()
    assert p_value == pytest.approx(2 * stats.norm.sf(abs(z)), abs=0.02)


def test_delong_of_identical_scores_is_one() -> None:
    scores = scored(1.0, seed=1).proba[:, 1]
    assert delong_test(TRUTH, scores, scores)[2] == 1.0


@pytest.mark.parametrize(
    ("only_champion", "only_challenger"),
    [
        pytest.param(3, 12, id="exact-binomial"),
        pytest.param(40, 70, id="chi-square"),
    ],
)
def test_mcnemar(only_champion: int, only_challenger: int) -> None:
    both = 100
    champion = np.r_[np.ones(both), np.ones(only_champion), np.zeros(only_challenger)]
    challenger = np.r_[np.ones(both), np.zeros(only_champion), np.ones(only_challenger)]
    discordant = only_champion + only_challenger
    if discordant < 25:
        expected = stats.binomtest(only_champion, discordant, 0.5).pvalue
    else:
        statistic = (abs(only_champion - only_challenger) - 1) ** 2 / discordant
        expected = stats.chi2.sf(statistic, 1)
    assert mcnemar_test(champion, challenger) == pytest.approx(expected)


def test_models_scored_on_different_rows_are_invalid_input() -> None:
    short = Outputs(task="classification", y_true=TRUTH[:10], y_pred=TRUTH[:10], classes=(0, 1))
    with pytest.raises(InvalidInput, match="same rows"):
        compare_models(scored(1.0, seed=1), short)


def test_metric_not_comparable_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="'pr_auc'"):
        compare_models(scored(1.0, seed=1), scored(1.0, seed=2), metrics=["pr_auc"])
