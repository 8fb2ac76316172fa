"""Evaluate a parsed row condition (`modelward.domain.expr`) on a DataFrame: one bool per row.

Vectorised with numpy and pandas operations only; no text is ever handed to `eval`,
`DataFrame.eval` or `DataFrame.query`. Missing values never equal anything: a comparison
with a missing value is False, except ``!=`` which is True (as in pandas), and
``x in [..., None]`` matches missing values.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.expr import (
    And,
    Column,
    Compare,
    Constant,
    Expr,
    IsNull,
    Membership,
    Not,
    Or,
    Scalar,
    referenced_columns,
)
from modelward.errors import InvalidInput

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal", "boolean"}
_KIND_NAMES = {
    "number": "numbers",
    "text": "text",
    "datetime": "dates",
    "mixed": "mixed values",
    "other": "values",
}


@dataclass(frozen=True)
class _Side:
    """One side of a comparison: a column's values (with its missing mask) or a constant."""

    kind: str  # number, text, datetime, mixed, empty, other
    values: Any  # full-length array for a column, the scalar for a constant
    missing: np.ndarray | None  # None for a constant
    label: str  # how messages name it


def check_columns(expr: Expr, columns: Iterable[object], *, label: str = "Expression") -> None:
    """Raise InvalidInput naming the first column `expr` reads that is not in `columns`.

    Raises:
        InvalidInput: a referenced column is missing; the message lists the available ones.
    """
    available = [str(c) for c in columns]
    unknown = sorted(referenced_columns(expr) - set(available))
    if unknown:
        shown = ", ".join(map(repr, available[:30])) + (", ..." if len(available) > 30 else "")
        raise InvalidInput(
            f"{label} {str(expr)!r} refers to column {unknown[0]!r}, which the data does not "
            f"have; its columns are {shown or 'none'}.",
            column=unknown[0],
        )


def evaluate_mask(expr: Expr, frame: pd.DataFrame, *, label: str = "Expression") -> np.ndarray:
    """The rows of `frame` where `expr` holds, as a boolean array of ``len(frame)``.

    Raises:
        InvalidInput: the expression reads an unknown column, compares values of different
            kinds (text with a number ...), orders values that have no order, or uses a
            column that is not True/False as a condition; the message names the column.
    """
    check_columns(expr, frame.columns, label=label)
    return _Evaluator(frame, expr, label).mask(expr)


class _Evaluator:
    def __init__(self, frame: pd.DataFrame, expr: Expr, label: str) -> None:
        self.frame = frame
        self.rows = len(frame)
        self.label = f"{label} {str(expr)!r}"
        self.by_name = {str(c): c for c in frame.columns}
        self.sides: dict[str, _Side] = {}

    def fail(self, reason: str, **details: object) -> InvalidInput:
        return InvalidInput(f"{self.label} cannot be evaluated: {reason}.", **details)

    def mask(self, expr: Expr) -> np.ndarray:
        if isinstance(expr, Column):
            return self.truth(expr)
        if isinstance(expr, Compare):
            return self.compare(expr)
        if isinstance(expr, Membership):
            return self.membership(expr)
        if isinstance(expr, IsNull):
            side = self.column(expr.column)
            assert side.missing is not None
            return ~side.missing if expr.negated else side.missing.copy()
        if isinstance(expr, Not):
            return ~self.mask(expr.operand)
        masks = [self.mask(operand) for operand in expr.operands]
        combine = np.logical_and if isinstance(expr, And) else np.logical_or
        assert isinstance(expr, And | Or)
        return np.asarray(combine.reduce(masks), dtype=bool)

    # -- columns --------------------------------------------------------------------------
    def series(self, name: str) -> pd.Series:
        found = self.frame[self.by_name[name]]
        if isinstance(found, pd.DataFrame):
            raise self.fail(f"the data has more than one column named {name!r}", column=name)
        return found

    def column(self, column: Column) -> _Side:
        name = column.name
        if name not in self.sides:
            series = self.series(name)
            if isinstance(series.dtype, pd.CategoricalDtype):
                series = series.astype(object)
            missing = series.isna().to_numpy(dtype=bool)
            kind = _kind(series)
            self.sides[name] = _Side(kind, _values(series, kind), missing, f"column {name!r}")
        return self.sides[name]

    def truth(self, column: Column) -> np.ndarray:
        series = self.series(column.name)
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if pd.api.types.is_bool_dtype(series.dtype) or (
            pd.api.types.is_object_dtype(series.dtype)
            and pd.api.types.infer_dtype(series, skipna=True) == "boolean"
        ):
            return series.to_numpy(dtype=bool, na_value=False)
        raise self.fail(
            f"column {column.name!r} is not True/False; compare it instead, e.g. "
            f"{column} > 0 or {column} == 'yes'",
            column=column.name,
        )

    # -- comparisons ----------------------------------------------------------------------
    def compare(self, node: Compare) -> np.ndarray:
        left, right = self.side(node.left), self.side(node.right)
        left, right = self.compatible(left, right, node.op)
        missing = np.zeros(self.rows, dtype=bool)
        for side in (left, right):
            if side.missing is not None:
                missing |= side.missing
        result = np.full(self.rows, node.op == "!=")
        present = ~missing
        if not present.any():
            return result
        try:
            found = _OPS[node.op](_at(left, present), _at(right, present))
        except (TypeError, ValueError) as exc:  # tz-aware against naive dates, array cells
            raise self.fail(
                f"{left.label} and {right.label} cannot be compared with {node.op}"
            ) from exc
        result[present] = np.asarray(found, dtype=bool)
        return result

    def side(self, operand: Column | Constant) -> _Side:
        if isinstance(operand, Column):
            return self.column(operand)
        return _Side(_constant_kind(operand.value), operand.value, None, str(operand))

    def compatible(self, left: _Side, right: _Side, op: str) -> tuple[_Side, _Side]:
        if "empty" in (left.kind, right.kind):  # every value missing: nothing to compare
            return left, right
        if left.kind == "datetime" and right.kind == "text" and right.missing is None:
            return left, self.as_date(right)
        if right.kind == "datetime" and left.kind == "text" and left.missing is None:
            return self.as_date(left), right
        if "mixed" in (left.kind, right.kind) and op in ("==", "!="):
            return left, right
        if left.kind == right.kind and left.kind not in ("mixed", "other"):
            return left, right
        if "mixed" in (left.kind, right.kind):
            raise self.fail(f"{op} needs values of one kind, and a column holds mixed values")
        raise self.fail(
            f"it compares {left.label} ({_KIND_NAMES.get(left.kind, left.kind)}) with "
            f"{right.label} ({_KIND_NAMES.get(right.kind, right.kind)}); compare numbers with "
            "numbers and text with 'quoted text'"
        )

    def as_date(self, side: _Side) -> _Side:
        try:
            stamp = pd.Timestamp(side.values) if isinstance(side.values, str) else pd.NaT
        except ValueError as exc:
            raise self.fail(f"{side.label} is not a date or time") from exc
        if stamp is pd.NaT:
            raise self.fail(f"{side.label} is not a date or time; quote a date like '2024-01-31'")
        return _Side("datetime", stamp, None, side.label)

    # -- membership -----------------------------------------------------------------------
    def membership(self, node: Membership) -> np.ndarray:
        side = self.column(node.column)
        assert side.missing is not None
        items = [c.value for c in node.values if c.value is not None]
        if side.kind == "datetime":
            items = [self.as_date(_Side("text", v, None, repr(v))).values for v in items]
        elif side.kind not in ("mixed", "empty"):
            for item in items:
                if _constant_kind(item) != side.kind:
                    raise self.fail(
                        f"{side.label} holds {_KIND_NAMES.get(side.kind, side.kind)} but the "
                        f"list holds {Constant(item)}; compare numbers with numbers and text "
                        "with 'quoted text'",
                        column=node.column.name,
                    )
        result = np.zeros(self.rows, dtype=bool)
        if items and not side.missing.all():
            try:  # the column as stored: pandas' hashing isin, fast for every dtype
                found = self.series(node.column.name).isin(items)
            except (TypeError, ValueError) as exc:  # unhashable cells such as lists
                raise self.fail(f"{side.label} holds values that cannot be matched") from exc
            result = found.to_numpy(dtype=bool, na_value=False) & ~side.missing
        if any(c.value is None for c in node.values):
            result |= side.missing
        return ~result if node.negated else result


def _kind(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
    ):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if not pd.api.types.is_object_dtype(dtype) and pd.api.types.is_string_dtype(dtype):
        return "text"
    if not pd.api.types.is_object_dtype(dtype):
        return "other"
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred == "empty":
        return "empty"
    if inferred == "string":
        return "text"
    return "number" if inferred in _NUMBER_KINDS else "mixed"


def _values(series: pd.Series, kind: str) -> Any:
    """Full-length values to compare; what sits at missing positions is never read."""
    if kind == "number":
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
            return series.to_numpy()  # exact: no float rounding of large integers
        return series.to_numpy(dtype=float, na_value=np.nan)
    if kind == "datetime":
        return series.array
    return series.to_numpy(dtype=object)


def _constant_kind(value: Scalar) -> str:
    if value is None:
        return "empty"
    return "text" if isinstance(value, str) else "number"


def _at(side: _Side, present: np.ndarray) -> Any:
    return side.values if side.missing is None else side.values[present]
