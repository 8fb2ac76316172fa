"""Group fairness of a binary classifier's decisions, computed with fairlearn.

Per sensitive attribute, and for the intersection of all of them: selection rate, TPR and FPR
per group (`MetricFrame`), demographic parity difference and ratio, equalized odds difference
and the four-fifths rule. Values are fairlearn's (computed on counted rows, see `collapse`);
this module only adds the checks.

Rates are rates of the *favourable* decision (`favourable_label`), the outcome a person wants.
By default that is the positive class, right when 1 means "selected"; for a credit model
whose positive class is "default", the favourable decision is 0, and the four-fifths rule must
compare approval rates, or it would call the group with fewer predicted defaults the
disadvantaged one. Demographic-parity and equalized-odds *differences* are the same either way
(complements); the ratio and the four-fifths rule are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from modelward.domain.results import CheckResult
from modelward.errors import InvalidInput
from modelward.validation.base import Outputs, Part, as_float, bounded_check

MISSING_GROUP = "<missing>"
GROUP_METRICS = {
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
}


def check_fairness(
    outputs: Outputs,
    *,
    sensitive_features: pd.DataFrame,
    favourable_label: Any = None,
    max_demographic_parity_difference: float = 0.1,
    min_four_fifths_ratio: float = 0.8,
    max_equalized_odds_difference: float = 0.1,
    intersections: bool = True,
    min_group_size: int = 30,
) -> Part:
    """Fairness checks for each column of `sensitive_features` and their intersection.

    Decisions are `outputs.y_pred`; rates are of `favourable_label` decisions (default
    `outputs.positive_label`; a label given as text matches a class by its string form). Missing
    values of a sensitive attribute form a group of their own.

    Returns:
        A part with, per attribute ``a`` (an intersection reads ``a&b``), the checks
        ``fairness.demographic_parity_difference[a]``, ``fairness.demographic_parity_ratio[a]``
        (informational), ``fairness.four_fifths_rule[a]`` and
        ``fairness.equalized_odds_difference[a]``, and the section ``fairness``.

    Raises:
        InvalidInput: the task is not binary classification, rows do not align, an
            attribute has a single group, or the favourable label is not a class.
    """
    favourable = favourable_class(outputs, favourable_label)
    truth, decisions = _binary(outputs, sensitive_features, favourable)
    groups = {str(column): _as_groups(sensitive_features[column]) for column in sensitive_features}
    for column, values in groups.items():
        _require_two_groups(column, values)
    attributes: list[tuple[str, pd.Series | pd.DataFrame]] = list(groups.items())
    if intersections and len(groups) > 1:
        attributes.append(("&".join(groups), pd.DataFrame(groups)))
    part = Part()
    section: dict[str, Any] = {}
    thresholds = (
        max_demographic_parity_difference,
        min_four_fifths_ratio,
        max_equalized_odds_difference,
    )
    for name, grouping in attributes:
        figures = _attribute_figures(truth, decisions, grouping)
        section[name] = figures
        part.checks.extend(_attribute_checks(name, figures, thresholds, str(favourable)))
        part.warnings.extend(_group_warnings(name, figures, min_group_size))
    part.sections["fairness"] = {
        "positive_label": str(outputs.positive_label),
        "favourable_label": str(favourable),
        **section,
    }
    return part


def favourable_class(outputs: Outputs, favourable_label: Any) -> Any:
    """The class whose decisions are favourable: `favourable_label` matched against the
    model's classes (exactly, else by string form, so ``--favourable-label 0`` finds 0).

    Raises:
        InvalidInput: the label is not one of the model's classes.
    """
    if favourable_label is None:
        return outputs.positive_label
    classes = list(outputs.classes or ())
    if favourable_label in classes:
        return favourable_label
    by_text = [c for c in classes if str(c) == str(favourable_label)]
    if len(by_text) == 1:
        return by_text[0]
    raise InvalidInput(
        f"Favourable label {favourable_label!r} is not a class of the model "
        f"({', '.join(map(repr, classes))}); set favourable_label to the decision a person wants."
    )


def _binary(
    outputs: Outputs, sensitive_features: pd.DataFrame, favourable: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Truth and decisions as 0/1 (1 is the favourable class), after checking the inputs."""
    if not outputs.binary:
        raise InvalidInput(
            "Fairness checks need a binary classifier: they compare positive decisions "
            "between groups."
        )
    if len(sensitive_features) != outputs.size:
        raise InvalidInput(
            f"sensitive_features have {len(sensitive_features)} rows but the outputs have "
            f"{outputs.size}."
        )
    truth = (outputs.y_true == favourable).astype(int)
    return truth, (outputs.y_pred == favourable).astype(int)


def _as_groups(series: pd.Series) -> pd.Series:
    labels = series.astype(object).where(series.notna(), MISSING_GROUP)
    return labels.astype(str).reset_index(drop=True)


def _require_two_groups(column: str, values: pd.Series) -> None:
    distinct = values.unique()
    if len(distinct) < 2:
        only = repr(distinct[0]) if len(distinct) else "none"
        raise InvalidInput(
            f"Sensitive attribute {column!r} has a single group ({only}); fairness needs at "
            "least two. Drop it from --sensitive or validate on data that holds every group."
        )


def collapse(
    y_true: np.ndarray, y_pred: np.ndarray, groups: pd.Series | pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, pd.Series | pd.DataFrame, np.ndarray]:
    """One row per distinct (group, truth, decision), with its row count as a weight.

    fairlearn's `MetricFrame` converts its inputs element by element in Python, which costs
    seconds on 100k rows; its rates are the same on the counted combinations with the counts
    as `sample_weight`, at a few dozen rows.
    """
    keys = groups.to_frame() if isinstance(groups, pd.Series) else groups
    columns = [str(c) for c in keys.columns]
    frame = keys.set_axis(columns, axis=1).assign(_truth=y_true, _decision=y_pred)
    counted = frame.groupby([*columns, "_truth", "_decision"], sort=True).size()
    table = counted.reset_index(name="_weight")
    grouped = table[columns[0]] if isinstance(groups, pd.Series) else table[columns]
    return (
        table["_truth"].to_numpy(),
        table["_decision"].to_numpy(),
        grouped,
        table["_weight"].to_numpy(dtype=float),
    )


def _attribute_figures(
    truth: np.ndarray, decisions: np.ndarray, values: pd.Series | pd.DataFrame
) -> dict[str, Any]:
    y_true, y_pred, groups, weights = collapse(truth, decisions, values)
    weighted = {"sample_weight": weights}
    table = MetricFrame(
        metrics=GROUP_METRICS,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
        sample_params=dict.fromkeys(GROUP_METRICS, weighted),
    ).by_group
    keys = [groups[c] for c in groups] if isinstance(groups, pd.DataFrame) else groups
    sizes = pd.DataFrame({"rows": weights, "positives": weights * y_true}).groupby(keys).sum()
    rows = [int(sizes.loc[key, "rows"]) for key in table.index]
    positives = [int(sizes.loc[key, "positives"]) for key in table.index]
    labels = [
        "&".join(map(str, key)) if isinstance(key, tuple) else str(key) for key in table.index
    ]
    by_weight = {"sensitive_features": groups, "sample_weight": weights}
    return {
        "groups": labels,
        "selection_rate": [as_float(v) for v in table["selection_rate"]],
        "tpr": [as_float(v) for v in table["tpr"]],
        "fpr": [as_float(v) for v in table["fpr"]],
        "count": rows,
        "positives": positives,
        "negatives": [n - p for n, p in zip(rows, positives, strict=True)],
        "demographic_parity_difference": as_float(
            demographic_parity_difference(y_true, y_pred, **by_weight)
        ),
        "demographic_parity_ratio": as_float(demographic_parity_ratio(y_true, y_pred, **by_weight)),
        "equalized_odds_difference": as_float(
            equalized_odds_difference(y_true, y_pred, **by_weight)
        ),
    }


def _attribute_checks(
    name: str, figures: dict[str, Any], thresholds: Sequence[float], favourable: str
) -> list[CheckResult]:
    max_difference, min_ratio, max_odds = thresholds
    rates = dict(zip(figures["groups"], figures["selection_rate"], strict=True))
    top = max((rate for rate in rates.values() if rate is not None), default=0.0)
    adverse = {group: rate / top for group, rate in rates.items() if top and rate is not None}
    below = {group: ratio for group, ratio in adverse.items() if ratio < min_ratio}
    ratio = figures["demographic_parity_ratio"]
    return [
        bounded_check(
            f"fairness.demographic_parity_difference[{name}]",
            figures["demographic_parity_difference"],
            threshold=max_difference,
            direction="max",
            details={"selection_rate": rates},
        ),
        bounded_check(
            f"fairness.demographic_parity_ratio[{name}]", ratio, threshold=None, direction=""
        ),
        bounded_check(
            f"fairness.four_fifths_rule[{name}]",
            ratio,
            threshold=min_ratio,
            direction="min",
            message=_four_fifths_message(name, ratio, min_ratio, below, favourable),
            details={"impact_ratio": adverse, "below": sorted(below)},
        ),
        bounded_check(
            f"fairness.equalized_odds_difference[{name}]",
            figures["equalized_odds_difference"],
            threshold=max_odds,
            direction="max",
            details={
                "tpr": dict(zip(figures["groups"], figures["tpr"], strict=True)),
                "fpr": dict(zip(figures["groups"], figures["fpr"], strict=True)),
            },
        ),
    ]


def _four_fifths_message(
    name: str, ratio: float | None, min_ratio: float, below: dict[str, float], favourable: str
) -> str:
    outcome = f"the favourable decision ({favourable})"
    if ratio is None:
        return f"No group of {name} receives {outcome}; the impact ratio is undefined."
    if not below:
        return f"Every group of {name} receives {outcome} at >= {min_ratio:g} of the highest rate."
    listed = ", ".join(f"{group} ({value:.2f})" for group, value in sorted(below.items()))
    return f"Groups of {name} receiving {outcome} at < {min_ratio:g} of the highest rate: {listed}."


def _group_warnings(name: str, figures: dict[str, Any], min_group_size: int) -> list[str]:
    warnings = []
    small = [
        g for g, n in zip(figures["groups"], figures["count"], strict=True) if n < min_group_size
    ]
    if small:
        warnings.append(
            f"Fairness groups of {name} with fewer than {min_group_size} rows make noisy "
            f"figures: {', '.join(small)}."
        )
    no_positive = [
        g for g, n in zip(figures["groups"], figures["positives"], strict=True) if n == 0
    ]
    no_negative = [
        g for g, n in zip(figures["groups"], figures["negatives"], strict=True) if n == 0
    ]
    if no_positive or no_negative:
        warnings.append(
            f"Groups of {name} without positive ({', '.join(no_positive) or 'none'}) or "
            f"negative ({', '.join(no_negative) or 'none'}) targets have TPR or FPR 0 by "
            "fairlearn's convention; equalized odds is unreliable for them."
        )
    return warnings
