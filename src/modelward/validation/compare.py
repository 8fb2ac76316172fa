"""Champion vs challenger on the same rows: paired bootstrap intervals and paired tests.

Both models are resampled with the same bootstrap draws (paired), vectorised in chunks of
resamples as row-count weights, so 1,000 resamples of 100k rows fit in a few hundred MB.
ROC AUC is tested with DeLong's test, accuracy with McNemar's, other metrics with the
bootstrap. The verdict reads the interval of the improvement (challenger minus champion,
sign flipped for error metrics): above zero is `better`, below is `worse`, else
`equal_within_noise`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from modelward.domain.metrics import LOWER_IS_BETTER
from modelward.domain.results import CheckResult
from modelward.errors import InvalidInput
from modelward.validation.base import Outputs, Part, as_float
from modelward.validation.metrics import compute_metric

BOOTSTRAP_CELLS = 2_000_000  # resamples x rows held in memory at once
COMPARABLE = {
    "classification": ("accuracy", "roc_auc", "log_loss", "brier", "precision", "recall", "f1"),
    "regression": ("mae", "rmse", "r2", "mape"),
}
BINARY_ONLY = frozenset({"roc_auc", "brier", "precision", "recall", "f1"})
DETAIL_KEYS = ("champion", "challenger", "ci_low", "ci_high", "p_value", "test", "verdict")
VERDICTS = ("better", "equal_within_noise", "worse")


def default_comparison_metrics(outputs: Outputs, other: Outputs | None = None) -> tuple[str, ...]:
    """ROC AUC, accuracy and log loss for binary probabilities; RMSE, MAE, R2 for regression.

    Without probabilities from both models, classifiers are compared on accuracy only.
    """
    if outputs.task == "regression":
        return ("rmse", "mae", "r2")
    if outputs.proba is None or (other is not None and other.proba is None):
        return ("accuracy",)
    return ("roc_auc", "accuracy", "log_loss") if outputs.binary else ("accuracy", "log_loss")


def bootstrap_weights(size: int, resamples: int, *, seed: int) -> Any:
    """Yield ``(chunk, size)`` arrays of row counts, one row per bootstrap resample.

    A count of k means the row was drawn k times: the weighted metric equals the metric on
    ``rows[indices]`` for the resample's indices.
    """
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, BOOTSTRAP_CELLS // max(size, 1)))
    done = 0
    while done < resamples:
        count = min(chunk, resamples - done)
        draws = rng.integers(0, size, size=(count, size))
        draws += (np.arange(count) * size)[:, None]
        yield np.bincount(draws.ravel(), minlength=count * size).reshape(count, size)
        done += count


def weighted_metric(metric: str, outputs: Outputs, weights: np.ndarray) -> np.ndarray:
    """`metric` for each row of `weights` (bootstrap counts), vectorised.

    Raises:
        InvalidInput: the metric cannot be compared for this task.
    """
    total = weights.sum(axis=1).astype(float)
    if metric == "roc_auc":
        return np.asarray(
            _weighted_auc(outputs.y_true == outputs.positive_label, _positive(outputs), weights),
            dtype=float,
        )
    if metric in ("accuracy", "log_loss", "brier", "mae", "mape"):
        return np.asarray((weights @ _row_values(metric, outputs)) / total, dtype=float)
    if metric in ("precision", "recall", "f1"):
        return np.asarray(_weighted_rates(metric, outputs, weights), dtype=float)
    errors = outputs.y_pred.astype(float) - outputs.y_true.astype(float)
    squared = weights @ (errors**2)
    if metric == "rmse":
        return np.asarray(np.sqrt(squared / total), dtype=float)
    truth = outputs.y_true.astype(float)
    spread = weights @ (truth**2) - (weights @ truth) ** 2 / total
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(1.0 - squared / spread, dtype=float)


def _row_values(metric: str, outputs: Outputs) -> np.ndarray:
    truth = outputs.y_true
    if metric == "accuracy":
        return np.asarray((outputs.y_pred == truth).astype(float), dtype=float)
    if metric == "mae":
        return np.asarray(np.abs(outputs.y_pred.astype(float) - truth.astype(float)), dtype=float)
    if metric == "mape":
        return np.asarray(
            np.abs((outputs.y_pred.astype(float) - truth) / truth.astype(float)), dtype=float
        )
    if outputs.proba is None or outputs.classes is None:
        raise InvalidInput(f"Comparing {metric} needs predict_proba on both models.")
    if metric == "brier":
        return np.asarray(
            (_positive(outputs) - (truth == outputs.positive_label)) ** 2, dtype=float
        )
    columns = np.asarray([outputs.classes.index(label) for label in truth.tolist()])
    eps = np.finfo(float).eps
    return np.asarray(
        -np.log(np.clip(outputs.proba[np.arange(truth.size), columns], eps, 1 - eps)), dtype=float
    )


def _positive(outputs: Outputs) -> np.ndarray:
    scores = outputs.positive_proba
    if scores is None:
        raise InvalidInput("Comparing roc_auc or brier needs binary probabilities on both models.")
    return scores


def _weighted_rates(metric: str, outputs: Outputs, weights: np.ndarray) -> np.ndarray:
    actual = outputs.y_true == outputs.positive_label
    decided = outputs.y_pred == outputs.positive_label
    true_pos = weights @ (actual & decided).astype(float)
    predicted = weights @ decided.astype(float)
    positives = weights @ actual.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, true_pos / predicted, 0.0)
        recall = np.where(positives > 0, true_pos / positives, 0.0)
        f1 = np.where(predicted + positives > 0, 2 * true_pos / (predicted + positives), 0.0)
    return {"precision": precision, "recall": recall, "f1": f1}[metric]


def _weighted_auc(actual: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ranked = weights[:, order].astype(float)
    is_positive = actual[order]
    pos = np.add.reduceat(ranked * is_positive, starts, axis=1)
    neg = np.add.reduceat(ranked * ~is_positive, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg  # negatives scored strictly lower; ties count half
    wins = np.sum(pos * (below + 0.5 * neg), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(wins / (pos.sum(axis=1) * neg.sum(axis=1)), dtype=float)


def delong_test(actual: Any, champion: Any, challenger: Any) -> tuple[float, float, float]:
    """DeLong's paired test for two ROC AUCs on the same rows (Sun & Xu's fast form).

    Returns:
        The champion's AUC, the challenger's AUC and the two-sided p-value of their equality.
    """
    truth = np.asarray(actual, dtype=bool)
    positives, negatives = int(truth.sum()), int((~truth).sum())
    if positives == 0 or negatives == 0:
        return float("nan"), float("nan"), float("nan")  # AUC needs both classes
    aucs, pos_parts, neg_parts = [], [], []
    for scores in (np.asarray(champion, dtype=float), np.asarray(challenger, dtype=float)):
        overall = stats.rankdata(scores)
        within_pos = stats.rankdata(scores[truth])
        within_neg = stats.rankdata(scores[~truth])
        aucs.append(
            (overall[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives)
        )
        pos_parts.append((overall[truth] - within_pos) / negatives)
        neg_parts.append(1.0 - (overall[~truth] - within_neg) / positives)
    covariance = np.cov(pos_parts) / positives + np.cov(neg_parts) / negatives
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    difference = aucs[1] - aucs[0]
    if variance <= 0:
        return float(aucs[0]), float(aucs[1]), 1.0 if difference == 0 else 0.0
    z = difference / np.sqrt(variance)
    return float(aucs[0]), float(aucs[1]), float(2 * stats.norm.sf(abs(z)))


def mcnemar_test(champion_correct: Any, challenger_correct: Any) -> float:
    """McNemar's paired test of two accuracies: exact binomial under 25 discordant rows."""
    first, second = np.asarray(champion_correct, bool), np.asarray(challenger_correct, bool)
    only_first = int(np.sum(first & ~second))
    only_second = int(np.sum(~first & second))
    discordant = only_first + only_second
    if discordant == 0:
        return 1.0
    if discordant < 25:
        return float(stats.binomtest(only_first, discordant, 0.5).pvalue)
    statistic = (abs(only_first - only_second) - 1) ** 2 / discordant
    return float(stats.chi2.sf(statistic, df=1))


def compare_models(
    champion: Outputs,
    challenger: Outputs,
    *,
    metrics: Sequence[str] | None = None,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Part:
    """Compare two models' outputs on the same rows, metric by metric.

    Returns:
        A part with one check ``comparison.<metric>`` per metric (value: challenger minus
        champion; failed when the verdict is `worse`) and the section ``comparison``.

    Raises:
        InvalidInput: the outputs differ in task, rows or targets, or a metric is not
            comparable for the task.
    """
    _require_same_rows(champion, challenger)
    names = tuple(metrics or default_comparison_metrics(challenger, champion))
    for name in names:
        if name not in COMPARABLE[challenger.task]:
            raise InvalidInput(
                f"Cannot compare {name!r} for {challenger.task}; comparable metrics are "
                f"{', '.join(COMPARABLE[challenger.task])}."
            )
        if name in BINARY_ONLY and not challenger.binary:
            raise InvalidInput(f"Comparing {name!r} needs a binary classifier.")
    improvements: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for weights in bootstrap_weights(challenger.size, resamples, seed=seed):
        for name in names:
            gain = weighted_metric(name, challenger, weights) - weighted_metric(
                name, champion, weights
            )
            improvements[name].append(-gain if name in LOWER_IS_BETTER else gain)
    part = Part()
    rows = []
    for name in names:
        row = _summarise(name, champion, challenger, np.concatenate(improvements[name]), confidence)
        rows.append(row)
        part.checks.append(_comparison_check(row))
    verdict = rows[0]["verdict"] if rows else "equal_within_noise"
    part.sections["comparison"] = {
        "verdict": verdict,
        "resamples": resamples,
        "confidence": confidence,
        "metrics": rows,
    }
    return part


def _summarise(
    name: str, champion: Outputs, challenger: Outputs, improvement: np.ndarray, confidence: float
) -> dict[str, Any]:
    finite = improvement[np.isfinite(improvement)]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail]) if finite.size else (np.nan, np.nan)
    if name == "roc_auc":
        actual = challenger.y_true == challenger.positive_label
        _, _, p_value = delong_test(actual, _positive(champion), _positive(challenger))
        test = "delong"
    elif name == "accuracy":
        truth = challenger.y_true
        p_value = mcnemar_test(champion.y_pred == truth, challenger.y_pred == truth)
        test = "mcnemar"
    else:
        p_value = _bootstrap_p_value(finite)
        test = "bootstrap"
    sign = -1.0 if name in LOWER_IS_BETTER else 1.0
    verdict = "better" if low > 0 else "worse" if high < 0 else "equal_within_noise"
    first, second = compute_metric(name, champion), compute_metric(name, challenger)
    return {
        "metric": name,
        "champion": first,
        "challenger": second,
        "difference": None if first is None or second is None else second - first,
        # the interval of the difference (challenger minus champion), in the metric's units
        "ci_low": as_float(min(sign * low, sign * high)),
        "ci_high": as_float(max(sign * low, sign * high)),
        "p_value": as_float(p_value),
        "test": test,
        "verdict": verdict,
    }


def _bootstrap_p_value(improvement: np.ndarray) -> float:
    # two-sided, with the +1 correction so that B resamples never claim p below 1/(B+1)
    if improvement.size == 0:
        return 1.0
    tail = min(np.sum(improvement <= 0), np.sum(improvement >= 0))
    return float(min(1.0, 2 * (tail + 1) / (improvement.size + 1)))


def _comparison_check(row: dict[str, Any]) -> CheckResult:
    name, verdict = row["metric"], row["verdict"]
    interval = "n/a" if row["ci_low"] is None else f"[{row['ci_low']:.4g}, {row['ci_high']:.4g}]"
    difference = row["difference"]
    shown = "undefined" if difference is None else f"{difference:+.4g}"
    p_value = "n/a" if row["p_value"] is None else f"{row['p_value']:.3g}"
    return CheckResult(
        name=f"comparison.{name}",
        category="comparison",
        value=difference,
        threshold=None,
        passed=verdict != "worse",
        message=(
            f"Challenger {name} differs from the champion's by {shown} (CI {interval}, "
            f"{row['test']} p={p_value}): {verdict.replace('_', ' ')}."
        ),
        details={key: row[key] for key in DETAIL_KEYS},
    )


def _require_same_rows(champion: Outputs, challenger: Outputs) -> None:
    if champion.task != challenger.task:
        raise InvalidInput(
            f"The champion is a {champion.task} model and the challenger a {challenger.task} "
            "model; they cannot be compared."
        )
    if champion.size != challenger.size or not np.array_equal(champion.y_true, challenger.y_true):
        raise InvalidInput("Champion and challenger must be scored on the same rows and targets.")
    if champion.classes != challenger.classes:
        raise InvalidInput(
            f"Champion classes {champion.classes} differ from challenger classes "
            f"{challenger.classes}."
        )
