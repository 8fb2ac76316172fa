"""Adversarial robustness: the smallest change of one feature that flips each decision.

Beyond random noise (`robustness`), a bounded search per sampled row and feature for the
cheapest change that flips the model's decision, inside the feature's valid domain
(`domain.feature_domains`: the training profile's range, the declared bounds, no negative
values for features never negative in training):

- numeric features: towards each end of the domain, a grid of `GRID` values (denser near the
  row's own value), then `REFINE` bisection steps between the last value that kept the decision
  and the first that flipped it. Integer features move in whole units. The cost of a change is
  its size in the feature's standard deviations (training profile), so features compare.
- categorical features: every other category seen in training, at a cost of `CATEGORY_COST`.

Each row's cheapest flip is summarised per feature. Two findings follow: which *actionable*
features an applicant could game (a change within `budget` standard deviations flips an
adverse decision for at least `gameable_share` of adverse rows), and whether an *immutable*
feature (age, gender: declared) is the cheapest way to flip a decision: a model whose decisions
hinge on who the applicant is more than on what they can change. Classification only.

Configured by the ``adversarial:`` mapping of the validation section::

    validation:
      feature_bounds: {age: [18, 100], income: [0, null]}
      adversarial:
        immutable: [age, gender]
        actionable: [income, debt]        # default: every feature not immutable
        rows: 200                         # rows searched (seeded sample)
        budget: 0.5                       # std: a flip within it is "cheap"
        gameable_share: 0.05
        max_immutable_share: 0.05         # check: rows whose cheapest flip is immutable
        max_gameable_share: null          # check (optional): adverse rows gameable cheaply
        favourable: 0                     # default: the class that is not positive_label
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.results import CheckResult
from modelward.errors import InvalidInput
from modelward.validation.base import Outputs, Part, bounded_check, sample_rows
from modelward.validation.domains import FeatureDomain, feature_domains

Decide = Callable[[pd.DataFrame], np.ndarray]
GRID = 12
REFINE = 8
CATEGORY_COST = 1.0  # a change of category counts as one standard deviation
MAX_CATEGORIES = 20
EXAMPLES = 10
_KEYS = {
    "immutable",
    "actionable",
    "rows",
    "budget",
    "gameable_share",
    "max_immutable_share",
    "max_gameable_share",
    "favourable",
}


@dataclass(frozen=True)
class AdversarialConfig:
    """The ``adversarial:`` settings (see the module's notes for each)."""

    immutable: tuple[str, ...] = ()
    actionable: tuple[str, ...] | None = None
    rows: int = 200
    budget: float = 0.5
    gameable_share: float = 0.05
    max_immutable_share: float = 0.05
    max_gameable_share: float | None = None
    favourable: Any = None

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any] | None) -> AdversarialConfig:
        """Read and check the mapping. Raises InvalidInput naming the bad key."""
        values = dict(section or {})
        unknown = sorted(set(values) - _KEYS)
        if unknown:
            raise InvalidInput(
                f"Unknown adversarial setting(s) {unknown}; known: {', '.join(sorted(_KEYS))}."
            )
        for key in ("immutable", "actionable"):
            if key in values and values[key] is not None:
                names = values[key]
                if isinstance(names, str):
                    names = [n.strip() for n in names.split(",") if n.strip()]
                if not isinstance(names, list | tuple) or not all(
                    isinstance(n, str) for n in names
                ):
                    raise InvalidInput(f"adversarial.{key} must be a list of feature names.")
                values[key] = tuple(names)
        for key in ("budget", "gameable_share", "max_immutable_share", "max_gameable_share"):
            value = values.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value < 0
            ):
                raise InvalidInput(f"adversarial.{key} must be a number >= 0, got {value!r}.")
        rows = values.get("rows", 200)
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
            raise InvalidInput(f"adversarial.rows must be a whole number >= 1, got {rows!r}.")
        return cls(**values)


def check_adversarial(
    X: pd.DataFrame,
    *,
    outputs: Outputs,
    decide: Decide,
    config: AdversarialConfig,
    profile: Mapping[str, Any] | None = None,
    bounds: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> Part:
    """Search each sampled row's cheapest decision flip; summarise and judge (module notes).

    Returns:
        A part with the checks ``robustness.immutable_flip_share`` (when immutable features are
        declared) and ``robustness.gameable_share``, and the section ``adversarial``.
    """
    part = Part()
    if outputs.task != "classification":
        part.warnings.append("The adversarial search needs a classifier; skipped for regression.")
        return part
    missing = [f for f in (*config.immutable, *(config.actionable or ())) if f not in X.columns]
    if missing:
        raise InvalidInput(
            f"adversarial names feature(s) {missing} the model does not read; its features are"
            f" {list(X.columns)[:20]}."
        )
    sample = sample_rows(X, config.rows, seed=seed)  # keeps the rows' own index (examples)
    domains = feature_domains(X, profile=profile, bounds=bounds)
    before = np.asarray(decide(sample))
    per_feature: dict[str, np.ndarray] = {}
    changed: dict[str, np.ndarray] = {}
    for feature, domain in domains.items():
        cost, value = _cheapest(decide, sample, feature, domain, before)
        per_feature[feature], changed[feature] = cost, value
    section = _summary(sample, before, per_feature, changed, domains, config, outputs)
    part.sections["adversarial"] = section
    part.checks.extend(_checks(section, config))
    if not config.immutable:
        part.warnings.append(
            "No immutable features declared (validation.adversarial.immutable): the check that"
            " decisions do not hinge on age, gender and the like was not run."
        )
    return part


def _cheapest(
    decide: Decide, rows: pd.DataFrame, feature: str, domain: FeatureDomain, before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the cost of the cheapest flip by `feature` alone (inf: none), and its value."""
    if domain.categories is not None:
        return _categorical(decide, rows, feature, domain.categories, before)
    x = rows[feature].to_numpy(dtype=float, na_value=np.nan)
    best_cost = np.full(len(rows), np.inf)
    best_value = np.full(len(rows), np.nan)
    for end in (domain.low, domain.high):
        value = _line_search(decide, rows, feature, x, end, domain.integer, before)
        cost = np.abs(value - x) / domain.scale
        cost = np.where(np.isnan(cost), np.inf, cost)
        better = cost < best_cost
        best_cost, best_value = (
            np.where(better, cost, best_cost),
            np.where(better, value, best_value),
        )
    return best_cost, best_value.astype(object)


def _probe(rows: pd.DataFrame, feature: str, values: np.ndarray, repeat: int) -> pd.DataFrame:
    probe = rows.loc[rows.index.repeat(repeat)].reset_index(drop=True)
    probe[feature] = pd.Series(values.ravel()).astype(rows[feature].dtype).to_numpy()
    return probe


def _line_search(
    decide: Decide,
    rows: pd.DataFrame,
    feature: str,
    x: np.ndarray,
    end: float,
    integer: bool,
    before: np.ndarray,
) -> np.ndarray:
    """The value nearest `x` towards `end` found to flip the decision (NaN: none does)."""
    steps = (np.arange(1, GRID + 1) / GRID) ** 2  # denser near the row's own value
    span = (end - x)[:, None]
    grid = x[:, None] + steps[None, :] * span
    grid = np.round(grid) if integer else grid
    flipped = np.asarray(decide(_probe(rows, feature, grid, GRID))).reshape(len(rows), GRID)
    flipped = flipped != before[:, None]
    found = flipped.any(axis=1)
    first = flipped.argmax(axis=1)
    high = steps[first]  # the first grid step that flips
    low = np.where(first > 0, steps[np.maximum(first - 1, 0)], 0.0)
    for _ in range(REFINE):
        middle = (low + high) / 2
        values = x + middle * (end - x)
        values = np.round(values) if integer else values
        flips = np.asarray(decide(_probe(rows, feature, values, 1))) != before
        high, low = np.where(flips, middle, high), np.where(flips, low, middle)
    result = x + high * (end - x)
    result = np.round(result) if integer else result
    # an integer step may round back onto the row's own value: keep the grid's answer then
    result = np.where(result == x, grid[np.arange(len(rows)), first], result)
    return np.where(found, result, np.nan)


def _categorical(
    decide: Decide, rows: pd.DataFrame, feature: str, levels: list[Any], before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    cost = np.full(len(rows), np.inf)
    value = np.full(len(rows), None, dtype=object)
    own = rows[feature].to_numpy()
    for level in levels[:MAX_CATEGORIES]:
        probe = rows.copy()
        probe[feature] = pd.Series([level] * len(rows), index=rows.index, dtype=rows[feature].dtype)
        flips = (np.asarray(decide(probe)) != before) & (own != level)
        fresh = flips & np.isinf(cost)
        cost[fresh], value[fresh] = CATEGORY_COST, level
    return cost, value


def _summary(
    rows: pd.DataFrame,
    before: np.ndarray,
    costs: dict[str, np.ndarray],
    values: dict[str, np.ndarray],
    domains: Mapping[str, FeatureDomain],
    config: AdversarialConfig,
    outputs: Outputs,
) -> dict[str, Any]:
    features = list(costs)
    immutable = [f for f in features if f in config.immutable]
    actionable = [
        f for f in (config.actionable or features) if f in costs and f not in config.immutable
    ]
    matrix = np.column_stack([costs[f] for f in features]) if features else np.zeros((len(rows), 0))
    cheapest = np.where(np.isfinite(matrix).any(axis=1), matrix.argmin(axis=1), -1)
    adverse = _adverse_rows(before, config, outputs)
    per_feature: dict[str, Any] = {}
    for j, feature in enumerate(features):
        cost = costs[feature]
        flips = np.isfinite(cost)
        cheap = flips & (cost <= config.budget)
        change = (
            np.abs(values[feature][flips].astype(float) - rows[feature].to_numpy()[flips])
            if domains[feature].categories is None and flips.any()
            else np.array([])
        )
        per_feature[feature] = {
            "kind": "immutable"
            if feature in immutable
            else "actionable"
            if feature in actionable
            else "other",
            "rows_flipped": int(flips.sum()),
            "rows_cheapest": int((cheapest == j).sum()),
            "median_cost": float(np.median(cost[flips])) if flips.any() else None,
            "median_change": float(np.median(change)) if change.size else None,
            "adverse_flipped_within_budget": int((cheap & adverse).sum()),
            "domain": domains[feature].as_dict(),
        }
    return _judged(
        rows,
        before,
        features,
        cheapest,
        matrix,
        values,
        per_feature,
        adverse,
        immutable,
        actionable,
        config,
    )


def _adverse_rows(before: np.ndarray, config: AdversarialConfig, outputs: Outputs) -> np.ndarray:
    if config.favourable is not None:
        return np.asarray([str(d) != str(config.favourable) for d in before])
    if outputs.binary and outputs.positive_label is not None:
        return np.asarray([str(d) == str(outputs.positive_label) for d in before])
    return np.ones(len(before), dtype=bool)


def _judged(
    rows: pd.DataFrame,
    before: np.ndarray,
    features: list[str],
    cheapest: np.ndarray,
    matrix: np.ndarray,
    values: dict[str, np.ndarray],
    per_feature: dict[str, Any],
    adverse: np.ndarray,
    immutable: list[str],
    actionable: list[str],
    config: AdversarialConfig,
) -> dict[str, Any]:
    flippable = cheapest >= 0
    on_immutable = np.array(
        [flippable[i] and features[cheapest[i]] in immutable for i in range(len(rows))], dtype=bool
    )
    gameable_rows = np.zeros(len(rows), dtype=bool)
    gameable = []
    adverse_count = int(adverse.sum())
    for feature in actionable:
        cheap = (matrix[:, features.index(feature)] <= config.budget) & adverse
        gameable_rows |= cheap
        if adverse_count and cheap.sum() / adverse_count >= config.gameable_share:
            gameable.append(feature)
    examples = []
    for i in np.flatnonzero(flippable)[:EXAMPLES]:
        feature = features[cheapest[i]]
        examples.append(
            {
                "row": int(rows.index[i]),
                "decision": before[i].item() if isinstance(before[i], np.generic) else before[i],
                "feature": feature,
                "from": _plain(rows[feature].iloc[i]),
                "to": _plain(values[feature][i]),
                "cost": float(matrix[i, cheapest[i]]),
            }
        )
    return {
        "rows": len(rows),
        "budget": config.budget,
        "immutable": immutable,
        "actionable": actionable,
        "rows_flippable": int(flippable.sum()),
        "adverse_rows": adverse_count,
        "immutable_cheapest_share": float(on_immutable.mean()) if len(rows) else 0.0,
        "gameable_share": float(gameable_rows.sum() / adverse_count) if adverse_count else 0.0,
        "gameable_features": gameable,
        "features": per_feature,
        "examples": examples,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _checks(section: dict[str, Any], config: AdversarialConfig) -> list[CheckResult]:
    checks = []
    if config.immutable:
        share = section["immutable_cheapest_share"]
        checks.append(
            bounded_check(
                "robustness.immutable_flip_share",
                share,
                threshold=config.max_immutable_share,
                direction="max",
                message=(
                    f"For {share:.1%} of {section['rows']} rows the cheapest change that flips the"
                    f" decision is of an immutable feature ({', '.join(section['immutable'])})."
                ),
                details={"immutable": section["immutable"]},
            )
        )
    gameable = section["gameable_features"]
    names = ", ".join(gameable) if gameable else "none"
    checks.append(
        bounded_check(
            "robustness.gameable_share",
            section["gameable_share"],
            threshold=config.max_gameable_share,
            direction="max" if config.max_gameable_share is not None else "",
            message=(
                f"{section['gameable_share']:.1%} of {section['adverse_rows']} adverse"
                f" decisions flip when one actionable feature changes by at most"
                f" {config.budget:g} std; features an applicant could game: {names}."
            ),
            details={"gameable_features": gameable, "budget": config.budget},
        )
    )
    return checks
