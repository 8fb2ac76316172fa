"""Cross-checks on slices: one headline metric per categorical value, numeric bin and query.

A slice is flagged when its metric falls below the overall figure by more than the allowed
gap. The gap is in the metric's own units for scores (accuracy, ROC AUC, R2 ...) and relative
to the overall figure for errors (MAE, RMSE, log loss ...), which have no common scale.
Slices smaller than the minimum size are reported with their figure but never flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.expr import Expr, parse
from modelward.domain.metrics import LOWER_IS_BETTER
from modelward.domain.results import CheckResult
from modelward.errors import InvalidInput
from modelward.validation.base import Outputs, Part, as_float, bounded_check
from modelward.validation.expr_eval import check_columns, evaluate_mask
from modelward.validation.metrics import compute_metric


@dataclass(frozen=True)
class _Slice:
    kind: str  # "categorical", "numeric" or "query"
    feature: str | None
    label: str
    rows: np.ndarray  # boolean mask
    extra: dict[str, Any]


def default_slice_metric(outputs: Outputs) -> str:
    """Accuracy for classifiers, MAE for regressors.

    Not ROC AUC: within a quantile bin of an informative feature the scores span a narrower
    range, so AUC drops there for every good model (range restriction) and would flag it.
    """
    return "mae" if outputs.task == "regression" else "accuracy"


def shortfall(metric: str, overall: float | None, value: float | None) -> float | None:
    """How much worse `value` is than `overall` (positive means worse); None if undefined."""
    if overall is None or value is None:
        return None
    if metric in LOWER_IS_BETTER:
        difference = value - overall
        return difference / abs(overall) if overall else difference
    return overall - value


def check_slices(
    outputs: Outputs,
    *,
    features: pd.DataFrame,
    metric: str | None = None,
    gap: float = 0.05,
    min_size: int = 50,
    bins: int = 4,
    queries: Mapping[str, str | Expr] | None = None,
    query_data: pd.DataFrame | None = None,
    max_levels: int = 50,
) -> Part:
    """Compute `metric` on every slice of `features` and flag those more than `gap` worse.

    Categorical features (and numeric ones with at most `bins` distinct values) slice by
    value, other numeric features by `bins` quantile bins; missing values form their own
    slice. `queries` maps a slice name to a row condition (the grammar of
    `modelward.domain.expr`, as text or parsed) evaluated on `query_data` (by default
    `features`), e.g. ``{"young_renters": "age < 25 and housing == 'rent'"}``. The text is
    parsed by that grammar and evaluated with pandas operations, never run as code.

    Returns:
        A part with the checks ``slices.worst_gap`` and ``slices.gap[<slice>]`` (one per
        flagged slice) and the section ``slices`` (every slice with its size and figure).

    Raises:
        InvalidInput: rows do not align, or a query is outside the grammar, reads an unknown
            column or compares values of different kinds; the message names the slice.
    """
    if len(features) != outputs.size:
        raise InvalidInput(
            f"features have {len(features)} rows but the outputs have {outputs.size}."
        )
    frame = features if query_data is None else query_data
    if len(frame) != outputs.size:
        raise InvalidInput(
            f"query data have {len(frame)} rows but the outputs have {outputs.size}."
        )
    parsed = parse_slice_queries(queries or {}, columns=frame.columns)
    metric = metric or default_slice_metric(outputs)
    overall = compute_metric(metric, outputs)
    part = Part()
    rows = [
        _slice_row(piece, outputs, metric=metric, overall=overall, gap=gap, min_size=min_size)
        for piece in _all_slices(features, bins, max_levels, parsed, frame, part)
    ]
    part.sections["slices"] = {"metric": metric, "overall": overall, "gap": gap, "rows": rows}
    part.checks.extend(_slice_checks(rows, metric=metric, overall=overall, gap=gap))
    return part


def parse_slice_queries(
    queries: Mapping[str, str | Expr], *, columns: Iterable[object] | None = None
) -> dict[str, Expr]:
    """Parse user-defined slices (name -> condition) and check the columns they read.

    Call it before any work starts, so a bad slice is refused at once.

    Args:
        queries: Slice name -> condition text (or an already parsed condition).
        columns: The data's columns; when given, every column a condition reads must be one.

    Raises:
        InvalidInput: a condition is outside the grammar (the message gives the character
            offset) or reads a column not in `columns`; the message names the slice.
    """
    parsed: dict[str, Expr] = {}
    for name, expression in queries.items():
        label = _label(name)
        tree = expression if isinstance(expression, Expr) else parse(expression, label=label)
        if columns is not None:
            check_columns(tree, columns, label=label)
        parsed[name] = tree
    return parsed


def _slice_row(
    piece: _Slice,
    outputs: Outputs,
    *,
    metric: str,
    overall: float | None,
    gap: float,
    min_size: int,
) -> dict[str, Any]:
    size = int(np.count_nonzero(piece.rows))
    value = compute_metric(metric, outputs.subset(piece.rows)) if size else None
    lost = shortfall(metric, overall, value)
    small = size < min_size
    return {
        "kind": piece.kind,
        "feature": piece.feature,
        "slice": piece.label,
        "size": size,
        "value": as_float(value),
        "gap": as_float(lost),
        "small": small,
        "flagged": not small and lost is not None and lost > gap,
        **piece.extra,
    }


def _slice_checks(
    rows: list[dict[str, Any]], *, metric: str, overall: float | None, gap: float
) -> list[CheckResult]:
    judged = [row for row in rows if not row["small"] and row["gap"] is not None]
    if not judged:
        return [
            bounded_check(
                "slices.worst_gap",
                None,
                threshold=None,
                direction="",
                message="No slice was large enough, with a defined figure, to compare.",
            )
        ]
    worst = max(judged, key=lambda row: row["gap"])
    flagged = [row for row in judged if row["flagged"]]
    checks = [
        bounded_check(
            "slices.worst_gap",
            worst["gap"],
            threshold=gap,
            direction="max",
            message=(
                f"{len(flagged)} of {len(judged)} slices fall more than {gap:g} below the "
                f"overall {metric}; the worst is {worst['slice']} (n={worst['size']})."
            ),
            details={"metric": metric, "worst": worst["slice"], "flagged": len(flagged)},
        )
    ]
    for row in flagged:
        checks.append(
            bounded_check(
                f"slices.gap[{row['slice']}]",
                row["gap"],
                threshold=gap,
                direction="max",
                message=(
                    f"{metric} on {row['slice']} (n={row['size']}) is {row['value']:.4g}, "
                    f"{row['gap']:.4g} worse than the overall {overall:.4g}."
                ),
                details={"metric": metric, "size": row["size"], "value": row["value"]},
            )
        )
    return checks


def _all_slices(
    features: pd.DataFrame,
    bins: int,
    max_levels: int,
    queries: Mapping[str, Expr],
    query_data: pd.DataFrame,
    part: Part,
) -> Iterator[_Slice]:
    for column in features.columns:
        series = features[column]
        if _is_categorical(series, bins):
            yield from _value_slices(str(column), series, max_levels, part)
        else:
            yield from _bin_slices(str(column), series, bins)
    for name, expression in queries.items():
        mask = evaluate_mask(expression, query_data, label=_label(name))
        yield _Slice("query", None, name, mask, {"expression": str(expression)})


def _is_categorical(series: pd.Series, bins: int) -> bool:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return True
    return bool(series.nunique(dropna=True) <= bins)


def _value_slices(feature: str, series: pd.Series, max_levels: int, part: Part) -> Iterator[_Slice]:
    codes, levels = pd.factorize(series, use_na_sentinel=True)
    if len(levels) > max_levels:
        part.warnings.append(
            f"Feature {feature!r} has {len(levels)} distinct values (more than {max_levels}); "
            "it was not sliced."
        )
        return
    for code, level in enumerate(levels):
        yield _Slice("categorical", feature, f"{feature}={level}", codes == code, {})
    if np.any(codes == -1):
        yield _Slice("categorical", feature, f"{feature}=<missing>", codes == -1, {})


def _bin_slices(feature: str, series: pd.Series, bins: int) -> Iterator[_Slice]:
    binned = pd.qcut(series, q=bins, duplicates="drop")
    codes = binned.cat.codes.to_numpy()
    for code, interval in enumerate(binned.cat.categories):
        extra = {"range": [float(interval.left), float(interval.right)]}
        yield _Slice("numeric", feature, f"{feature}=q{code + 1}", codes == code, extra)
    if np.any(codes == -1):
        yield _Slice("numeric", feature, f"{feature}=<missing>", codes == -1, {})


def _label(name: str) -> str:
    return f"Slice {name!r} expression"
