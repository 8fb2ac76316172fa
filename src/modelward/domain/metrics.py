"""Which way each built-in metric is better: the one table of metric directions.

Validation (model comparisons, slice gaps), monitoring (degradation bounds, live comparisons)
and the promotion gate (which bound suits a check) all read it. Computing metrics is
`modelward.validation.metrics`' business, not this module's.
"""

from __future__ import annotations

HIGHER_IS_BETTER = frozenset({"accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "r2"})
"""Scores: a larger value is a better model."""

LOWER_IS_BETTER = frozenset({"log_loss", "brier", "mae", "rmse", "mape"})
"""Errors and losses: a smaller value is a better model."""

HIGHER_IS_BETTER_FAIRNESS = frozenset({"four_fifths_rule", "demographic_parity_ratio"})
"""Fairness ratios, which must stay large (every other fairness figure is a gap: small)."""


def lower_is_better(metric: str) -> bool:
    """Whether a smaller value of `metric` is better (errors, losses).

    Unknown names (custom metrics) count as higher-is-better, the convention of scores.
    """
    return metric in LOWER_IS_BETTER


def direction_sign(metric: str) -> int:
    """+1 when larger is better, -1 when smaller is: ``sign * (new - old) > 0`` is a gain."""
    return -1 if lower_is_better(metric) else 1
