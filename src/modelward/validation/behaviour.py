"""Declared behaviour tests: invariance to irrelevant features and directional expectations.

Tests come from configuration as dicts, for example::

    {"type": "invariance", "feature": "zip", "eps": 0.01}
    {"type": "directional", "feature": "income", "direction": "decreasing", "delta": 1000}

The "prediction" they watch is the positive-class probability of a binary classifier (its
decision without `predict_proba`) or a regressor's prediction (see `base.model_scores`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.results import CheckResult
from modelward.errors import InvalidInput
from modelward.validation.base import Outputs, Part, bounded_check, model_scores, sample_rows

TEST_KEYS = {
    "invariance": {"type", "feature", "eps", "values", "name"},
    "directional": {"type", "feature", "direction", "delta", "eps", "max_violation_rate", "name"},
}
DIRECTIONS = ("increasing", "decreasing")


@dataclass(frozen=True)
class BehaviourTest:
    """One declared test, parsed and checked (see `parse_behaviour_tests`).

    Attributes:
        type: ``"invariance"`` or ``"directional"``.
        feature: The feature to change.
        name: The check name, ``behaviour.<type>[<feature>]`` unless given.
        eps: Invariance: the largest allowed move. Directional: moves the wrong way up to
            `eps` are tolerated (numerical noise).
        values: Invariance: replacement values drawn at random; default, the column shuffled.
        direction: Directional: ``"increasing"`` (raising the feature must not lower the
            prediction) or ``"decreasing"`` (must not raise it).
        delta: Directional: how much the feature is raised; default, one standard deviation.
        max_violation_rate: Directional: share of rows allowed to move the wrong way.
    """

    type: str
    feature: str
    name: str
    eps: float
    values: tuple[Any, ...] | None = None
    direction: str = ""
    delta: float | None = None
    max_violation_rate: float = 0.0


def parse_behaviour_tests(
    tests: Sequence[Mapping[str, Any]], *, columns: Sequence[str]
) -> list[BehaviourTest]:
    """Check declared tests against the allowed keys and the model's features.

    Raises:
        InvalidInput: a test has an unknown type or key, a missing or unknown feature, or a
            malformed value; the message names the test.
    """
    parsed: list[BehaviourTest] = []
    for position, spec in enumerate(tests, start=1):
        kind = spec.get("type")
        label = f"Behaviour test {position} ({kind!r} on {spec.get('feature')!r})"
        if kind not in TEST_KEYS:
            raise InvalidInput(
                f"{label} has type {kind!r}; expected 'invariance' or 'directional'."
            )
        unknown = sorted(set(spec) - TEST_KEYS[kind])
        if unknown:
            raise InvalidInput(f"{label} has unknown key {unknown[0]!r}.")
        feature = spec.get("feature")
        if feature not in columns:
            raise InvalidInput(f"{label} names feature {feature!r}, which the model does not use.")
        parsed.append(_parse_one(spec, kind, str(feature), label))
    return _unique_names(parsed)


def _parse_one(spec: Mapping[str, Any], kind: str, feature: str, label: str) -> BehaviourTest:
    name = str(spec.get("name") or f"behaviour.{kind}[{feature}]")
    if not name.startswith("behaviour."):
        name = f"behaviour.{name}"
    if kind == "invariance":
        values = spec.get("values")
        if values is not None and (isinstance(values, str) or not list(values)):
            raise InvalidInput(f"{label} 'values' must be a non-empty list.")
        return BehaviourTest(
            type=kind,
            feature=feature,
            name=name,
            eps=_number(spec.get("eps", 0.01), "eps", label),
            values=None if values is None else tuple(values),
        )
    direction = spec.get("direction")
    if direction not in DIRECTIONS:
        raise InvalidInput(
            f"{label} has direction {direction!r}; expected 'increasing' or 'decreasing'."
        )
    delta = spec.get("delta")
    return BehaviourTest(
        type=kind,
        feature=feature,
        name=name,
        eps=_number(spec.get("eps", 1e-9), "eps", label),
        direction=str(direction),
        delta=None if delta is None else _number(delta, "delta", label),
        max_violation_rate=_number(
            spec.get("max_violation_rate", 0.0), "max_violation_rate", label
        ),
    )


def _number(value: Any, key: str, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{label} {key!r} must be a number, got {value!r}.")
    return float(value)


def _unique_names(tests: list[BehaviourTest]) -> list[BehaviourTest]:
    seen: dict[str, int] = {}
    unique = []
    for test in tests:
        seen[test.name] = seen.get(test.name, 0) + 1
        if seen[test.name] > 1:
            test = BehaviourTest(**{**test.__dict__, "name": f"{test.name}#{seen[test.name]}"})
        unique.append(test)
    return unique


def check_behaviour(
    model: Any,
    X: pd.DataFrame,
    *,
    outputs: Outputs,
    tests: Sequence[Mapping[str, Any]],
    rows: int = 5_000,
    seed: int = 0,
) -> Part:
    """Run declared behaviour tests on at most `rows` rows sampled with `seed`.

    Returns:
        A part with one check per test (``behaviour.invariance[<feature>]``: the largest move,
        at most `eps`; ``behaviour.directional[<feature>]``: the share of rows moving the
        wrong way, at most `max_violation_rate`) and the section ``behaviour``.

    Raises:
        InvalidInput: a test is malformed (see `parse_behaviour_tests`), a directional test
            is declared for a multiclass model or on a non-numeric feature.
    """
    parsed = parse_behaviour_tests(tests, columns=[str(c) for c in X.columns])
    part = Part()
    if not parsed:
        return part
    sample = sample_rows(X, rows, seed=seed)
    before = np.asarray(model_scores(model, sample, outputs=outputs), dtype=float)
    rng = np.random.default_rng(seed)
    for test in parsed:
        if test.type == "invariance":
            part.checks.append(_invariance(model, sample, before, test, outputs, rng))
        else:
            part.checks.append(_directional(model, sample, before, test, outputs))
    part.sections["behaviour"] = [
        {"name": c.name, "value": c.value, "passed": c.passed, **c.details} for c in part.checks
    ]
    return part


def _invariance(
    model: Any,
    sample: pd.DataFrame,
    before: np.ndarray,
    test: BehaviourTest,
    outputs: Outputs,
    rng: np.random.Generator,
) -> CheckResult:
    changed = sample.copy()
    column = sample[test.feature]
    if test.values is None:
        replacement = rng.permutation(column.to_numpy())
    else:
        replacement = np.asarray(test.values, dtype=object)[
            rng.integers(0, len(test.values), len(sample))
        ]
    changed[test.feature] = pd.Series(replacement, index=sample.index).astype(column.dtype)
    after = np.asarray(model_scores(model, changed, outputs=outputs), dtype=float)
    moves = np.abs(after - before).reshape(len(sample), -1).max(axis=1)
    largest = float(moves.max()) if moves.size else 0.0
    return bounded_check(
        test.name,
        largest,
        threshold=test.eps,
        direction="max",
        message=(
            f"Changing {test.feature} moves predictions by up to {largest:.4g} "
            f"(allowed {test.eps:g}) on {len(sample)} rows."
        ),
        details={"feature": test.feature, "moved_share": float(np.mean(moves > test.eps))},
    )


def _directional(
    model: Any, sample: pd.DataFrame, before: np.ndarray, test: BehaviourTest, outputs: Outputs
) -> CheckResult:
    if outputs.task == "classification" and not outputs.binary:
        raise InvalidInput(
            f"{test.name} needs a binary classifier or a regressor; the model has "
            f"{len(outputs.classes or ())} classes."
        )
    column = sample[test.feature]
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        raise InvalidInput(f"{test.name}: feature {test.feature!r} is not numeric.")
    values = column.to_numpy(dtype=float, na_value=np.nan)
    delta = test.delta if test.delta is not None else float(np.nanstd(values)) or 1.0
    changed = sample.copy()
    changed[test.feature] = values + delta
    after = np.asarray(model_scores(model, changed, outputs=outputs), dtype=float)
    change = after - before
    wrong_way = -change if test.direction == "increasing" else change
    violations = wrong_way > test.eps
    rate = float(np.mean(violations)) if violations.size else 0.0
    return bounded_check(
        test.name,
        rate,
        threshold=test.max_violation_rate,
        direction="max",
        message=(
            f"Raising {test.feature} by {delta:.4g} moves the prediction the wrong way "
            f"({test.direction} expected) on {rate:.2%} of {len(sample)} rows."
        ),
        details={
            "feature": test.feature,
            "delta": delta,
            "expected": test.direction,
            "worst_move": float(wrong_way.max()) if wrong_way.size else 0.0,
        },
    )
