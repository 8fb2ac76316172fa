"""Data quality of new data against a reference profile recorded at training time.

Four checks per column, each a `QualityFinding` with a severity and a message naming the
column: the schema (missing columns, extra columns, kind changes), the increase of the
missing rate, the share of rows whose category was never seen, and the share of numeric
(or datetime) values outside the recorded range. Distribution drift is `drift`'s job.

Default thresholds (`QualityThresholds`); a check fails (severity ``error``) when its figure
*exceeds* the threshold:

=========================  =========  ==========================================================
check                      threshold  figure
=========================  =========  ==========================================================
``missing_rate_increase``  0.05       missing rate now minus missing rate in the profile
``unseen_categories``      0.01       share of non-missing rows whose category is not in the
                                      profile's top list; only when the profile kept every
                                      category (``other_count == 0``), else informational
``out_of_range``           0.01       share of non-missing values below the profile's min or
                                      above its max
=========================  =========  ==========================================================

A column of the profile missing from the data, or whose kind changed between numeric,
datetime and text, is an ``error``; a column the profile does not know is a ``warning``
(ids and targets often are); a switch between boolean and text is a ``warning``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from modelward.errors import InvalidInput
from modelward.stats.profile import column_kind, to_frame
from modelward.stats.reference import category_counts, is_profile, numeric_values

if TYPE_CHECKING:
    from modelward.domain.results import CheckResult

SEVERITIES = ("error", "warning", "info")
NUMERIC_KINDS = ("numeric", "datetime")
UNSEEN_EXAMPLES = 10


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds of the data-quality checks; see the module docstring."""

    missing_rate_increase: float = 0.05
    unseen_category_share: float = 0.01
    out_of_range_share: float = 0.01


@dataclass(frozen=True)
class QualityFinding:
    """One check of one column.

    Attributes:
        column: Column name.
        check: ``missing_column``, ``extra_column``, ``kind_changed``,
            ``missing_rate_increase``, ``unseen_categories`` or ``out_of_range``.
        severity: ``error`` (the check failed), ``warning`` (worth a look, does not fail)
            or ``info`` (within its threshold, or not measurable).
        value: The measured figure, None for schema findings or when not measurable.
        threshold: The threshold it was held to, None for schema findings.
        message: One sentence naming the column.
        details: JSON-safe facts (rates, shares, examples of unseen categories ...).
    """

    column: str
    check: str
    severity: str
    value: float | None
    threshold: float | None
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        """False for errors; None for schema warnings and figures that were not measurable."""
        if self.severity == "error":
            return False
        return None if self.value is None else True


def check_quality(
    data: object,
    profile: Mapping[str, Any],
    *,
    thresholds: QualityThresholds | None = None,
) -> list[QualityFinding]:
    """Compare `data` (DataFrame, Arrow table, Parquet/CSV path) with a training profile.

    Returns one finding per check and column, in the profile's column order, then one
    warning per column the profile does not know.

    Raises:
        InvalidInput: the data cannot be read or has no rows, or `profile` is not a profile.
    """
    if not is_profile(profile):
        raise InvalidInput("The reference must be a profile dict with 'row_count' and 'columns'.")
    limits = thresholds or QualityThresholds()
    frame = to_frame(data)
    if len(frame) == 0:
        raise InvalidInput("The data has no rows; the data-quality checks need at least one.")
    specs: Mapping[str, Any] = profile["columns"]
    findings: list[QualityFinding] = []
    for name, spec in specs.items():
        if name not in frame.columns:
            message = f"Column {name!r} is in the training profile but missing from the data."
            findings.append(QualityFinding(name, "missing_column", "error", None, None, message))
            continue
        findings.extend(_column_findings(name, frame[name], spec, limits))
    for name in frame.columns:
        if str(name) not in specs:
            message = f"Column {str(name)!r} is not in the training profile; it is not checked."
            findings.append(
                QualityFinding(str(name), "extra_column", "warning", None, None, message)
            )
    return findings


def _column_findings(
    name: str, series: pd.Series, spec: Mapping[str, Any], limits: QualityThresholds
) -> list[QualityFinding]:
    expected, actual = str(spec.get("kind", "")), column_kind(series)
    findings: list[QualityFinding] = []
    if expected != actual:
        numeric_change = expected in NUMERIC_KINDS or actual in NUMERIC_KINDS
        message = f"Column {name!r} was {expected} at training time and is {actual} now."
        details = {"expected": expected, "actual": actual, "dtype": str(series.dtype)}
        severity = "error" if numeric_change else "warning"
        findings.append(
            QualityFinding(name, "kind_changed", severity, None, None, message, details)
        )
        if numeric_change:
            return findings
    findings.append(_missing_rate(name, series, spec, limits.missing_rate_increase))
    if expected in ("categorical", "boolean"):
        findings.append(_unseen(name, series, spec, limits.unseen_category_share))
    elif expected in NUMERIC_KINDS:
        finding = _out_of_range(name, series, spec, expected, limits.out_of_range_share)
        if finding is not None:
            findings.append(finding)
    return findings


def _judged(
    name: str, check: str, value: float, threshold: float, text: str, details: dict[str, Any]
) -> QualityFinding:
    failed = value > threshold
    sign = ">" if failed else "<="
    message = f"Column {name!r}: {text} ({value:.3g} {sign} {threshold:g})."
    severity = "error" if failed else "info"
    return QualityFinding(name, check, severity, value, threshold, message, details)


def _missing_rate(
    name: str, series: pd.Series, spec: Mapping[str, Any], threshold: float
) -> QualityFinding:
    reference = float(spec.get("missing_rate") or 0.0)
    current = float(series.isna().mean())
    increase = current - reference
    text = f"missing rate {current:.3g} vs {reference:.3g} at training, an increase of"
    details = {"missing_rate": current, "reference_missing_rate": reference}
    return _judged(name, "missing_rate_increase", increase, threshold, text, details)


def _unseen(
    name: str, series: pd.Series, spec: Mapping[str, Any], threshold: float
) -> QualityFinding:
    known = {str(label) for label in (spec.get("top") or {})}
    counts = category_counts(series)
    if int(spec.get("other_count") or 0) > 0:
        message = (
            f"Column {name!r}: the profile kept only its {len(known)} most frequent categories, "
            "so unseen categories cannot be told from rare ones."
        )
        return QualityFinding(name, "unseen_categories", "info", None, threshold, message)
    unseen = {label: count for label, count in counts.items() if label not in known}
    total = sum(counts.values())
    share = sum(unseen.values()) / total if total else 0.0
    examples = sorted(unseen, key=lambda label: -unseen[label])[:UNSEEN_EXAMPLES]
    text = f"{share:.2%} of rows have categories unseen at training"
    if examples:
        text += " (" + ", ".join(repr(label) for label in examples) + ")"
    details = {"unseen_rows": sum(unseen.values()), "examples": examples}
    return _judged(name, "unseen_categories", share, threshold, text + ", a share of", details)


def _out_of_range(
    name: str, series: pd.Series, spec: Mapping[str, Any], kind: str, threshold: float
) -> QualityFinding | None:
    low, high = spec.get("min"), spec.get("max")
    if low is None or high is None:
        return None
    if kind == "datetime":
        try:
            bounds = pd.Series(pd.to_datetime([low, high]))
            low, high = numeric_values(bounds, "datetime")
        except (ValueError, TypeError):
            return None
    values = numeric_values(series, kind)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    below = int(np.count_nonzero(values < float(low))) / values.size
    above = int(np.count_nonzero(values > float(high))) / values.size
    share = below + above
    text = (
        f"{share:.2%} of values outside the training range [{spec['min']}, {spec['max']}]"
        f" ({below:.2%} below, {above:.2%} above), a share of"
    )
    details = {"below": below, "above": above, "min": spec["min"], "max": spec["max"]}
    return _judged(name, "out_of_range", share, threshold, text, details)


def to_check_results(findings: list[QualityFinding]) -> list[CheckResult]:
    """The findings as `CheckResult`s of category ``data_quality``.

    Names read ``data_quality.<check>[<column>]``; direction ``max`` (the figure must stay
    at or below the threshold); schema errors have no value and ``passed=False``.
    """
    from modelward.domain.results import CheckResult

    return [
        CheckResult(
            name=f"data_quality.{finding.check}[{finding.column}]",
            category="data_quality",
            value=finding.value,
            threshold=finding.threshold,
            passed=finding.passed,
            direction="max" if finding.threshold is not None else "",
            message=finding.message,
            details={"column": finding.column, "severity": finding.severity, **finding.details},
        )
        for finding in findings
    ]
