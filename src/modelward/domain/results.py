"""Validation outcomes: `CheckResult` and `ValidationReport`, made by validation, read by policy.

Only the entities, their invariants and their JSON form live here; the statistics that fill
them are in `modelward.validation`, and the gates that read them are in `domain.policy`.

Check names are stable identifiers that policies refer to. They read
``<category>.<figure>`` with an optional ``[<qualifier>]``, for example:

==========================================================  ===================================
name                                                        meaning
==========================================================  ===================================
``performance.roc_auc`` (also accuracy, precision, recall,  headline metrics; multiclass figures
f1, pr_auc, log_loss, brier, mae, rmse, r2, mape)           are macro averages
``custom.<name>``                                           a user metric (e.g. ``custom.cost``)
``slices.worst_gap``                                        largest shortfall of a slice
``slices.gap[<feature>=<value>]``                           one flagged slice (``income=q1``)
``fairness.demographic_parity_difference[<attr>]``          also ``..._ratio``,
                                                            ``equalized_odds_difference``,
                                                            ``four_fifths_rule``; an
                                                            intersection reads ``[gender&age]``
``explanations.permutation_importance[<feature>]``          informational
``robustness.flip_rate``                                    decisions flipped by small noise
``robustness.out_of_range``                                 invalid outputs at extreme inputs
``behaviour.invariance[<feature>]``                         declared behaviour tests
``behaviour.directional[<feature>]``
``data_quality.<figure>``                                   filled by `modelward.stats`
``comparison.<metric>``                                     challenger minus champion
==========================================================  ===================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelward.errors import InvalidInput

CATEGORIES = (
    "performance",
    "slices",
    "behaviour",
    "fairness",
    "explanations",
    "robustness",
    "data_quality",
    "comparison",
    "custom",
)
DIRECTIONS = ("min", "max", "")
TASKS = ("classification", "regression")
REPORT_FORMAT = 1


@dataclass(frozen=True)
class CheckResult:
    """One figure measured on a model, with the bound it was held to.

    Attributes:
        name: Stable identifier, ``<category>.<figure>[<qualifier>]`` (see the module table).
        category: One of `CATEGORIES`.
        value: The measured figure; None when it is undefined on this data.
        threshold: The bound, or None when the check is informational.
        passed: True or False against the threshold; None means informational.
        direction: ``"min"`` (value must be >= threshold), ``"max"`` (<=) or ``""``.
        message: One sentence for people.
        details: JSON-safe extra facts (group rates, slice size, confidence interval ...).
    """

    name: str
    category: str
    value: float | None
    threshold: float | None
    passed: bool | None
    direction: str = ""
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check the category, the name's prefix, the direction and that numbers are finite."""
        if self.category not in CATEGORIES:
            raise InvalidInput(
                f"Check {self.name!r} has category {self.category!r}; expected one of "
                f"{', '.join(CATEGORIES)}."
            )
        if not self.name.startswith(f"{self.category}.") or self.name == f"{self.category}.":
            raise InvalidInput(
                f"Check name {self.name!r} must start with its category, e.g. "
                f"'{self.category}.<figure>'."
            )
        if self.direction not in DIRECTIONS:
            raise InvalidInput(
                f"Check {self.name!r} has direction {self.direction!r}; expected 'min', "
                "'max' or ''."
            )
        for label, number in (("value", self.value), ("threshold", self.threshold)):
            if number is not None and not math.isfinite(number):
                raise InvalidInput(
                    f"Check {self.name!r} has a non-finite {label} {number!r}; use None "
                    "for an undefined figure."
                )

    @property
    def informational(self) -> bool:
        """True when the check reports a figure without judging it."""
        return self.passed is None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict; `from_dict` reverses it."""
        return {
            "name": self.name,
            "category": self.category,
            "value": _optional_float(self.value),
            "threshold": _optional_float(self.threshold),
            "passed": self.passed,
            "direction": self.direction,
            "message": self.message,
            "details": json_safe(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        """Rebuild a check from `to_dict` output.

        Raises:
            InvalidInput: a key is missing or a value is malformed.
        """
        _require_keys(data, ("name", "category", "value", "threshold", "passed"), "check")
        return cls(
            name=str(data["name"]),
            category=str(data["category"]),
            value=_optional_float(data["value"]),
            threshold=_optional_float(data["threshold"]),
            passed=None if data["passed"] is None else bool(data["passed"]),
            direction=str(data.get("direction", "")),
            message=str(data.get("message", "")),
            details=dict(data.get("details") or {}),
        )


@dataclass(frozen=True)
class ValidationReport:
    """Everything one validation of a model version found.

    Attributes:
        model: Registered model name.
        version: Version number.
        task: ``"classification"`` or ``"regression"``.
        checks: Every check, in the order they ran; names are unique.
        sections: JSON-safe chart and table data keyed by section (``confusion_matrix``,
            ``calibration``, ``roc_curve``, ``slices``, ``fairness``, ``importances``,
            ``partial_dependence``, ``robustness``, ``behaviour``, ``comparison`` ...).
        warnings: Things people should know that are not checks (skipped parts, tiny groups).
        created_at: When the validation ran (given by the caller).
        created_by: Who ran it.
        data_rows: Number of rows evaluated.
        dataset_id: Fingerprint of the validation data set, if recorded.
        against: The champion this version was compared with (``"champion"`` or a URI).
    """

    model: str
    version: int
    task: str
    checks: tuple[CheckResult, ...]
    sections: dict[str, Any]
    warnings: tuple[str, ...]
    created_at: datetime
    created_by: str
    data_rows: int
    dataset_id: str | None = None
    against: str | None = None

    def __post_init__(self) -> None:
        """Check the task and that check names are unique."""
        if self.task not in TASKS:
            raise InvalidInput(
                f"Validation report for {self.model!r} has task {self.task!r}; expected "
                "'classification' or 'regression'."
            )
        seen: set[str] = set()
        for check in self.checks:
            if check.name in seen:
                raise InvalidInput(f"Validation report has two checks named {check.name!r}.")
            seen.add(check.name)

    @property
    def passed(self) -> bool:
        """True when no check failed (informational checks never fail)."""
        return not self.failed_checks

    def _repr_html_(self) -> str:
        """A table for notebooks: every check with its value, threshold and verdict."""
        from modelward.domain import display

        verdict = "passed" if self.passed else f"{len(self.failed_checks)} check(s) failed"
        rows = [
            (
                display.mark(c.passed),
                c.name,
                "" if c.value is None else f"{c.value:.4g}",
                "" if c.threshold is None else f"{c.threshold:.4g}",
                c.message,
            )
            for c in self.checks
        ]
        return display.table(
            f"Validation of {self.model} v{self.version}: {verdict}",
            rows,
            header=("", "check", "value", "threshold", "message"),
            subtitle=f"{self.data_rows} rows, {self.created_at:%Y-%m-%d %H:%M}, {self.created_by}",
        )

    @property
    def failed_checks(self) -> tuple[CheckResult, ...]:
        """The checks whose `passed` is False."""
        return tuple(check for check in self.checks if check.passed is False)

    def check_names(self, category: str | None = None) -> list[str]:
        """Names of all checks, or of the checks of one category.

        Raises:
            InvalidInput: `category` is not one of `CATEGORIES`.
        """
        if category is not None and category not in CATEGORIES:
            raise InvalidInput(
                f"Unknown check category {category!r}; expected one of {', '.join(CATEGORIES)}."
            )
        return [c.name for c in self.checks if category is None or c.category == category]

    def find_check(self, name: str) -> CheckResult | None:
        """The check called `name`, or None."""
        return next((check for check in self.checks if check.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict; `from_dict` reverses it."""
        return {
            "format": REPORT_FORMAT,
            "model": self.model,
            "version": self.version,
            "task": self.task,
            "passed": self.passed,
            "checks": [check.to_dict() for check in self.checks],
            "sections": json_safe(self.sections),
            "warnings": list(self.warnings),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "data_rows": self.data_rows,
            "dataset_id": self.dataset_id,
            "against": self.against,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValidationReport:
        """Rebuild a report from `to_dict` output.

        Raises:
            InvalidInput: a key is missing, the format is unknown or a value is malformed.
        """
        keys = ("model", "version", "task", "checks", "created_at", "created_by", "data_rows")
        _require_keys(data, keys, "validation report")
        if data.get("format", REPORT_FORMAT) != REPORT_FORMAT:
            raise InvalidInput(
                f"Validation report format {data['format']!r} is not supported; expected "
                f"{REPORT_FORMAT}."
            )
        try:
            created_at = datetime.fromisoformat(str(data["created_at"]))
        except ValueError as exc:
            raise InvalidInput(
                f"Validation report created_at {data['created_at']!r} is not an ISO date."
            ) from exc
        return cls(
            model=str(data["model"]),
            version=int(data["version"]),
            task=str(data["task"]),
            checks=tuple(CheckResult.from_dict(item) for item in data["checks"]),
            sections=dict(data.get("sections") or {}),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
            created_at=created_at,
            created_by=str(data["created_by"]),
            data_rows=int(data["data_rows"]),
            dataset_id=data.get("dataset_id"),
            against=data.get("against"),
        )


def json_safe(value: Any) -> Any:
    """Copy `value` into plain JSON types: tuples become lists, NaN and infinities None.

    Array-likes and scalars from numerical libraries are converted through their `tolist()`,
    so the domain stays free of those imports.

    Raises:
        InvalidInput: an object has no JSON form.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if hasattr(value, "tolist"):
        return json_safe(value.tolist())
    if isinstance(value, datetime):
        return value.isoformat()
    raise InvalidInput(f"Cannot store a {type(value).__name__} in a validation report.")


def _require_keys(data: Mapping[str, Any], keys: tuple[str, ...], what: str) -> None:
    missing = [key for key in keys if key not in data]
    if missing:
        raise InvalidInput(f"The {what} is missing {', '.join(map(repr, missing))}.")


def _optional_float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"Expected a number or null, got {value!r}.") from exc
