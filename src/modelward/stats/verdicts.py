"""Per-column drift verdicts: which method judges a column, with which threshold, and why.

The rule itself is documented in `modelward.stats.drift`, which is the public face; this
module validates overrides and turns a column's figures into a verdict and a message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelward.errors import InvalidInput
from modelward.stats import compare, measures
from modelward.stats.options import DriftOptions
from modelward.stats.profile import column_kind
from modelward.stats.reference import (
    CategoricalReference,
    NumericReference,
    Reference,
    UnsupportedReference,
    category_counts,
    finite_sorted,
    numeric_values,
)

NUMERIC_KINDS = ("numeric", "datetime")
NUMERIC_METHODS = ("ks", "psi", "wasserstein", "jensenshannon")
CATEGORICAL_METHODS = ("chi2", "psi", "jensenshannon")
# method -> (statistic figure, effect-size figure, own p-value figure or None)
METHOD_FIGURES = {
    "ks": ("ks_statistic", "ks_statistic", "ks_p_value"),
    "chi2": ("chi2", "cramers_v", "chi2_p_value"),
    "wasserstein": ("wasserstein_normed", "wasserstein_normed", None),
    "jensenshannon": ("jensenshannon", "jensenshannon", None),
    "psi": ("psi", "psi_excess", None),
}
LABELS = {
    "ks": "KS",
    "chi2": "chi-square",
    "wasserstein": "Wasserstein/std",
    "jensenshannon": "Jensen-Shannon",
    "psi": "PSI (minus noise)",
}
OVERRIDE_KEYS = {"method", "threshold"}


@dataclass(frozen=True)
class ColumnRule:
    """A per-column override of the method and/or threshold."""

    method: str | None
    threshold: float | None


def window_problem(n_reference: int, n_current: int, opts: DriftOptions) -> str:
    """Why a window is too small to judge, or "" when both are large enough."""
    for label, rows in (("reference", n_reference), ("current", n_current)):
        if rows < opts.min_rows:
            return (
                f"The {label} window has {rows} rows; at least {opts.min_rows} are needed "
                "to judge drift."
            )
    return ""


def validate_options(opts: DriftOptions, methods: tuple[str, ...]) -> None:
    """Raise InvalidInput when a default is unusable."""
    if opts.numeric_method not in NUMERIC_METHODS:
        raise InvalidInput(
            f"numeric_method {opts.numeric_method!r} is not one of {', '.join(NUMERIC_METHODS)}."
        )
    if opts.categorical_method not in CATEGORICAL_METHODS:
        raise InvalidInput(
            f"categorical_method {opts.categorical_method!r} is not one of "
            f"{', '.join(CATEGORICAL_METHODS)}."
        )
    for method in methods:
        _check_threshold(opts.thresholds.get(method), f"the default threshold of {method!r}")
    if opts.ks_method not in ("asymp", "auto", "exact"):
        raise InvalidInput(f"ks_method {opts.ks_method!r} is not one of 'asymp', 'auto', 'exact'.")
    if not 0 < opts.alpha < 1:
        raise InvalidInput(f"alpha must be between 0 and 1, got {opts.alpha!r}.")
    if opts.min_rows < 2:
        raise InvalidInput(f"min_rows must be at least 2, got {opts.min_rows!r}.")


def _check_threshold(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{what[0].upper()}{what[1:]} must be a finite number, got {value!r}.")
    if value < 0:
        raise InvalidInput(f"{what[0].upper()}{what[1:]} must not be negative, got {value!r}.")
    return float(value)


def column_rules(
    reference: Reference,
    thresholds: Mapping[str, Mapping[str, Any]] | None,
    opts: DriftOptions,
    methods: tuple[str, ...],
) -> dict[str, ColumnRule]:
    """Validate per-column overrides against the reference's column kinds.

    Raises:
        InvalidInput: an unknown method, key or column, or a method unfit for the kind.
    """
    rules: dict[str, ColumnRule] = {}
    for column, spec in (thresholds or {}).items():
        if not isinstance(spec, Mapping):
            raise InvalidInput(
                f"Drift threshold for column {column!r} must be a mapping like "
                f"{{'method': 'psi', 'threshold': 0.2}}, got {spec!r}."
            )
        unknown = sorted(set(spec) - OVERRIDE_KEYS)
        if unknown:
            raise InvalidInput(
                f"Drift threshold for column {column!r} has unknown keys {unknown}; "
                "expected 'method' and 'threshold'."
            )
        ref = reference.columns.get(column)
        if ref is None:
            raise InvalidInput(f"Drift thresholds name column {column!r}, not in the reference.")
        method = spec.get("method")
        if method is not None and method not in methods:
            raise InvalidInput(
                f"Unknown drift method {method!r} for column {column!r}; expected one of "
                f"{', '.join(methods)}.",
                method=method,
                column=column,
            )
        allowed = NUMERIC_METHODS if ref.kind in NUMERIC_KINDS else CATEGORICAL_METHODS
        if method is not None and method not in allowed:
            raise InvalidInput(
                f"Drift method {method!r} does not fit {ref.kind} column {column!r}; use one "
                f"of {', '.join(allowed)}.",
                method=method,
                column=column,
            )
        value = spec.get("threshold")
        threshold = None if value is None else _check_threshold(value, f"threshold of {column!r}")
        rules[column] = ColumnRule(method, threshold)
    return rules


def unjudged(name: str, kind: str, method: str, status: str, message: str) -> dict[str, Any]:
    """ColumnDrift fields for a column that could not be judged."""
    return {
        "column": name,
        "kind": kind,
        "method": method,
        "statistic": None,
        "p_value": None,
        "effect_size": None,
        "threshold": None,
        "drifted": None,
        "status": status,
        "details": {},
        "message": message,
    }


@dataclass(frozen=True)
class CurrentSummary:
    """What the current window holds for one column, reduced to figures and counts.

    `figures` is empty when either side has fewer than `min_rows` values; `comparison` is
    ``numeric`` or ``categorical`` (a constant numeric reference is compared as categories).
    """

    figures: dict[str, Any]
    comparison: str
    n_values: int
    n_missing: int
    n_rows: int


def precheck(
    name: str,
    reference: Reference,
    current_kind: str | None,
    rule: ColumnRule | None,
    opts: DriftOptions,
    window_problem: str,
) -> dict[str, Any] | None:
    """ColumnDrift fields when the column cannot be judged, else None.

    `current_kind` is the column's kind in the current data, None when it is absent.
    """
    ref = reference.columns.get(name)
    if ref is None:
        message = f"Column {name!r} is not in the reference."
        return unjudged(name, current_kind or "", "", "missing_in_reference", message)
    default = opts.numeric_method if ref.kind in NUMERIC_KINDS else opts.categorical_method
    method = rule.method if rule is not None and rule.method else default
    if window_problem:
        return unjudged(name, ref.kind, method, "insufficient_data", window_problem)
    if current_kind is None:
        message = f"Column {name!r} is missing from the current data (a schema change)."
        return unjudged(name, ref.kind, method, "missing_in_current", message)
    if isinstance(ref, UnsupportedReference):
        return unjudged(name, ref.kind, method, "unsupported", f"Column {name!r}: {ref.reason}.")
    if (current_kind in NUMERIC_KINDS or ref.kind in NUMERIC_KINDS) and current_kind != ref.kind:
        message = f"Column {name!r} was {ref.kind} in the reference and is {current_kind} now."
        return unjudged(name, ref.kind, method, "kind_changed", message)
    return None


def judge_column(
    name: str,
    reference: Reference,
    current: pd.DataFrame,
    rule: ColumnRule | None,
    opts: DriftOptions,
    window_problem: str,
) -> dict[str, Any]:
    """Figures and verdict of one column, as the fields of a `ColumnDrift`."""
    current_kind = column_kind(current[name]) if name in current.columns else None
    problem = precheck(name, reference, current_kind, rule, opts, window_problem)
    if problem is not None:
        return problem
    ref = reference.columns[name]
    assert not isinstance(ref, UnsupportedReference)
    return conclude(name, ref, summarise(ref, current[name], opts), rule, opts)


def conclude(
    name: str,
    ref: NumericReference | CategoricalReference,
    summary: CurrentSummary,
    rule: ColumnRule | None,
    opts: DriftOptions,
) -> dict[str, Any]:
    """Add the missing-rate figures to a column's summary and judge it."""
    if rule is not None and rule.method:
        method = rule.method
    else:
        numeric = summary.comparison == "numeric"
        method = opts.numeric_method if numeric else opts.categorical_method
    threshold = rule.threshold if rule is not None and rule.threshold is not None else None
    threshold = opts.thresholds[method] if threshold is None else threshold
    figures = dict(summary.figures)
    figures.update(_missing_figures(ref, summary.n_missing, summary.n_rows, opts))
    figures["n_reference_values"], figures["n_current_values"] = ref.n_values, summary.n_values
    return _verdict(
        name, ref.kind, method, threshold, figures, summary.comparison, summary.n_values, opts
    )


def summarise(
    ref: NumericReference | CategoricalReference, series: pd.Series, opts: DriftOptions
) -> CurrentSummary:
    """All figures of an in-memory current column (exact)."""
    if isinstance(ref, NumericReference):
        raw = numeric_values(series, ref.kind)
        missing = np.isnan(raw)
        values = finite_sorted(raw)
        figures: dict[str, Any] = {"n_infinite": int(raw.size - missing.sum() - values.size)}
        n_missing, n_values, comparison = int(missing.sum()), int(values.size), "numeric"
        if min(ref.n_values, n_values) >= opts.min_rows:
            figures.update(compare.numeric_figures(ref, values, ks_method=opts.ks_method))
            if ref.constant:
                value = ref.constant_value
                equal = int(np.count_nonzero(values == value))
                figures.update(compare.constant_figures(value, ref.n_values, equal, n_values))
                comparison = "categorical"
        return CurrentSummary(figures, comparison, n_values, n_missing, len(series))
    counts = category_counts(series)
    n_values = sum(counts.values())
    figures = {}
    if min(ref.n_values, n_values) >= opts.min_rows:
        figures.update(compare.categorical_figures(ref, counts))
    return CurrentSummary(figures, "categorical", n_values, len(series) - n_values, len(series))


def _missing_figures(
    ref: NumericReference | CategoricalReference, n_missing: int, n_rows: int, opts: DriftOptions
) -> dict[str, Any]:
    ref_rate = ref.n_missing / ref.n_rows if ref.n_rows else 0.0
    cur_rate = n_missing / n_rows if n_rows else 0.0
    p_value = measures.two_proportion_p_value(ref.n_missing, ref.n_rows, n_missing, n_rows)
    change = cur_rate - ref_rate
    return {
        "missing_rate_reference": ref_rate,
        "missing_rate_current": cur_rate,
        "missing_rate_change": change,
        "missing_rate_p_value": p_value,
        "missing_rate_drifted": abs(change) >= opts.missing_rate_threshold and p_value < opts.alpha,
    }


def _verdict(
    name: str,
    kind: str,
    method: str,
    threshold: float,
    figures: dict[str, Any],
    comparison: str,
    n_values: int,
    opts: DriftOptions,
) -> dict[str, Any]:
    stat_key, effect_key, own_p_key = METHOD_FIGURES[method]
    guard_key = own_p_key or ("ks_p_value" if comparison == "numeric" else "chi2_p_value")
    statistic, effect, p_value = (figures.get(k) for k in (stat_key, effect_key, guard_key))
    missing_drift = bool(figures["missing_rate_drifted"])
    status = "ok"
    if "psi" not in figures:
        status, distribution = "insufficient_data", None
        reason = (
            f"fewer than {opts.min_rows} non-missing values on a side "
            f"({figures['n_reference_values']} reference, {n_values} current)"
        )
    elif effect is None or p_value is None:
        distribution, reason = None, f"{LABELS[method]} is undefined (constant reference)"
    else:
        distribution, reason = _distribution_verdict(
            method,
            threshold,
            effect,
            p_value,
            "KS" if comparison == "numeric" else "chi-square",
            opts.alpha,
        )
    drifted = True if missing_drift else distribution
    return {
        "column": name,
        "kind": kind,
        "method": method,
        "statistic": statistic,
        "p_value": p_value,
        "effect_size": effect,
        "threshold": threshold,
        "drifted": drifted,
        "status": status,
        "details": figures,
        "message": _message(name, reason, figures, drifted, opts),
    }


def _message(
    name: str, reason: str, figures: dict[str, Any], drifted: bool | None, opts: DriftOptions
) -> str:
    parts = [f"Column {name!r}: {reason}"]
    missing_drift = figures["missing_rate_drifted"]
    if missing_drift or abs(figures["missing_rate_change"]) >= opts.missing_rate_threshold:
        parts.append(
            f"missing rate {figures['missing_rate_reference']:.3g} -> "
            f"{figures['missing_rate_current']:.3g}"
            + (" (drift)" if missing_drift else " (not significant)")
        )
    verdict = {True: "drift", False: "no drift", None: "not judged"}[drifted]
    return "; ".join(parts) + f": {verdict}."


def _distribution_verdict(
    method: str, threshold: float, effect: float, p_value: float, guard: str, alpha: float
) -> tuple[bool, str]:
    label = LABELS[method]
    if METHOD_FIGURES[method][2] is not None:  # a test: flag small p-values
        drifted = p_value < threshold
        sign = "<" if drifted else ">="
        return drifted, f"{label} p-value {p_value:.3g} {sign} {threshold:g} (effect {effect:.3g})"
    big = effect >= threshold
    significant = p_value < alpha
    text = f"{label} {effect:.3g} {'>=' if big else '<'} {threshold:g}"
    if big and not significant:
        text += f" but the {guard} p-value {p_value:.3g} is not below {alpha:g}"
    elif not big and significant:
        text += f" (the {guard} p-value {p_value:.3g} says the change is real, but small)"
    return big and significant, text
