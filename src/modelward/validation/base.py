"""Shared vocabulary of the validation modules: a model's outputs, metric directions, checks.

Only small helpers used by several validation modules belong here; statistics live in the
module of their family.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

# Re-exported for older imports; the table lives in the domain (one copy for every layer).
from modelward.domain.metrics import HIGHER_IS_BETTER as HIGHER_IS_BETTER
from modelward.domain.metrics import LOWER_IS_BETTER as LOWER_IS_BETTER
from modelward.domain.results import CheckResult
from modelward.errors import InvalidInput


class Model(Protocol):
    """What validation needs of a model: `predict`, and `predict_proba` for probabilities."""

    def predict(self, X: pd.DataFrame) -> Any:
        """One prediction per row of `X`."""
        ...


@dataclass(frozen=True)
class Outputs:
    """A model's answers on the validation rows, aligned with the truth.

    Attributes:
        task: ``"classification"`` or ``"regression"``.
        y_true: Target values.
        y_pred: Decisions (labels) or regression predictions.
        proba: Class probabilities, columns in `classes` order; None without `predict_proba`.
        classes: Class labels (classification only).
        positive_label: The positive class of a binary task (the second class by default).
    """

    task: str
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None
    positive_label: Any = None

    @property
    def binary(self) -> bool:
        """True for a two-class classification."""
        return self.task == "classification" and self.classes is not None and len(self.classes) == 2

    @property
    def positive_proba(self) -> np.ndarray | None:
        """Probability of the positive class (binary tasks with probabilities only)."""
        if not self.binary or self.proba is None or self.classes is None:
            return None
        return self.proba[:, self.classes.index(self.positive_label)]

    @property
    def size(self) -> int:
        """Number of rows."""
        return int(self.y_true.shape[0])

    def subset(self, rows: np.ndarray) -> Outputs:
        """The same outputs restricted to `rows` (a boolean mask or an index array)."""
        return Outputs(
            task=self.task,
            y_true=self.y_true[rows],
            y_pred=self.y_pred[rows],
            proba=None if self.proba is None else self.proba[rows],
            classes=self.classes,
            positive_label=self.positive_label,
        )


@dataclass
class Part:
    """What one family of checks contributes to a report: checks, chart data, warnings."""

    checks: list[CheckResult] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def extend(self, other: Part) -> None:
        """Append `other`'s checks and warnings and merge its sections into this part."""
        self.checks.extend(other.checks)
        self.sections.update(other.sections)
        self.warnings.extend(other.warnings)


def as_float(value: Any) -> float | None:
    """A finite Python float, or None for NaN, infinities and None."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def bounded_check(
    name: str,
    value: float | None,
    *,
    threshold: float | None,
    direction: str,
    message: str = "",
    details: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Build a check whose category is its name's prefix, judged against `threshold`.

    A figure that cannot be computed on this data fails a bound it was held to: nothing was
    shown to meet it. Without a threshold the check is informational.
    """
    value = as_float(value)
    if threshold is None or not direction:
        passed: bool | None = None
    elif value is None:
        passed = False
    elif direction == "min":
        passed = value >= threshold
    else:
        passed = value <= threshold
    if not message:
        message = _describe(name, value, threshold, direction, passed)
    return CheckResult(
        name=name,
        category=name.split(".", 1)[0],
        value=value,
        threshold=threshold,
        passed=passed,
        direction=direction if threshold is not None else "",
        message=message,
        details=dict(details or {}),
    )


def _describe(
    name: str, value: float | None, threshold: float | None, direction: str, passed: bool | None
) -> str:
    if value is None:
        return f"{name} is undefined on this data."
    if passed is None or threshold is None:
        return f"{name} = {value:.4g}."
    sign = ">=" if direction == "min" else "<="
    verdict = "meets" if passed else "does not meet"
    return f"{name} = {value:.4g} {verdict} the bound {sign} {threshold:.4g}."


def model_scores(model: Any, X: pd.DataFrame, *, outputs: Outputs) -> np.ndarray:
    """The model's output on `X` as numbers, for measuring how far predictions move.

    Positive-class probability for binary classifiers, the probability matrix for multiclass,
    the prediction itself for regressors. Classifiers without `predict_proba` give their
    decision: 1.0 for the positive class (binary) or the class index (multiclass), so only
    flips can be seen.
    """
    if outputs.task == "regression":
        return np.asarray(model.predict(X), dtype=float)
    if outputs.proba is not None and outputs.classes is not None:
        proba = np.asarray(model.predict_proba(X), dtype=float)
        if outputs.binary:
            return proba[:, outputs.classes.index(outputs.positive_label)]
        return proba
    decisions = np.asarray(model.predict(X))
    if outputs.binary:
        return np.asarray(decisions == outputs.positive_label, dtype=float)
    return np.asarray(pd.Index(outputs.classes or ()).get_indexer(decisions), dtype=float)


def sample_rows(frame: pd.DataFrame, size: int | None, *, seed: int) -> pd.DataFrame:
    """At most `size` rows of `frame`, drawn without replacement with a fixed seed."""
    if size is None or len(frame) <= size:
        return frame
    return frame.sample(n=size, random_state=seed)


def require_columns(frame: pd.DataFrame, columns: list[str], *, role: str) -> None:
    """Raise InvalidInput naming the `role` columns missing from `frame`."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InvalidInput(
            f"The data has no {role} column {', '.join(map(repr, missing))}; it has "
            f"{_column_list(frame)}."
        )


def _column_list(frame: pd.DataFrame, limit: int = 12) -> str:
    names = [repr(str(column)) for column in frame.columns[:limit]]
    more = len(frame.columns) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")
