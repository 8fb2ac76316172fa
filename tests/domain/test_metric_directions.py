"""The one table of metric directions, and every layer reading it."""

from __future__ import annotations

import pytest

from modelward.domain import judging, metrics
from modelward.monitoring import performance
from modelward.validation import base, compare, slices
from modelward.validation.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS


def test_every_built_in_metric_has_exactly_one_direction() -> None:
    built_in = set(CLASSIFICATION_METRICS) | set(REGRESSION_METRICS)
    assert metrics.HIGHER_IS_BETTER | metrics.LOWER_IS_BETTER == built_in
    assert not metrics.HIGHER_IS_BETTER & metrics.LOWER_IS_BETTER


def test_validation_monitoring_and_the_gate_share_the_table() -> None:
    # the same object, not an equal copy: a metric added to the table reaches every layer
    for module in (judging, base, compare, slices, performance):
        assert module.LOWER_IS_BETTER is metrics.LOWER_IS_BETTER, module.__name__


@pytest.mark.parametrize(
    ("metric", "sign"),
    [
        pytest.param("roc_auc", 1, id="score"),
        pytest.param("mape", -1, id="error"),
        pytest.param("brier", -1, id="loss"),
        pytest.param("custom_profit", 1, id="unknown-counts-as-score"),
    ],
)
def test_direction_sign(metric: str, sign: int) -> None:
    assert metrics.direction_sign(metric) == sign
    assert metrics.lower_is_better(metric) is (sign == -1)
