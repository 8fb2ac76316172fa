"""Input signatures: infer columns, types and categories from an example; check data against them.

A signature is JSON-ready::

    {"columns": [{"name": "income", "type": "float"}, {"name": "region", "type": "string",
                  "categories": ["north", "south"]}], "strict_categories": false}

Types: integer, float, boolean, string, datetime. Integer and float columns accept each other's
values when the conversion loses nothing. Strings that are not numbers are refused in numeric
columns; numeric strings ("42") and booleans are converted, except with ``strict_types`` (the
scoring service), where they are refused naming the column, the row and the expected type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelward.errors import InvalidInput


def _type_of(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "string"
    non_null = series.dropna()
    if len(non_null) and all(isinstance(v, bool) for v in non_null):
        return "boolean"
    if len(non_null) and all(
        isinstance(v, int | float | np.integer | np.floating) for v in non_null
    ):
        return "float"
    return "string"


def infer_signature(example: Any) -> dict[str, Any]:
    """Infer a signature from an input example (DataFrame, or array with positional columns).

    Raises:
        InvalidInput: the example is empty or not tabular.
    """
    frame = as_frame(example)
    if frame.shape[1] == 0:
        raise InvalidInput("The input example has no columns; pass a few rows of the model input.")
    columns = []
    for name in frame.columns:
        series = frame[name]
        entry: dict[str, Any] = {"name": str(name), "type": _type_of(series)}
        if isinstance(series.dtype, pd.CategoricalDtype):
            entry["categories"] = [str(c) for c in series.cat.categories]
        columns.append(entry)
    return {"columns": columns, "strict_categories": False}


def as_frame(data: Any) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a dict of columns, a list of records or a 2-D array."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame().T
    try:
        if isinstance(data, dict | list):
            return pd.DataFrame(data)
        array = np.asarray(data)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"Cannot read the input as a table: {exc}") from exc
    if array.ndim != 2:
        raise InvalidInput(f"Expected 2-D tabular input, got an array of shape {array.shape}.")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def _json_type(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _first_non_number(series: pd.Series) -> tuple[int, Any] | None:
    """The position and value of the first non-null value that is not a number (booleans are
    not numbers here), or None."""
    dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        return None
    if pd.api.types.is_bool_dtype(dtype):
        return (0, bool(series.iloc[0])) if len(series) else None
    for position, value in enumerate(series.tolist()):  # object or string columns
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating
        ):
            return position, value.item() if isinstance(value, np.generic) else value
    return None


def _coerce(
    series: pd.Series, kind: str, name: str, problems: list[str], *, strict_types: bool = False
) -> pd.Series:
    actual = _type_of(series)
    if kind in {"integer", "float"} and strict_types:
        found = _first_non_number(series)
        if found is not None:
            row, value = found
            problems.append(
                f"column {name!r} row {row} must be {kind}, got {_json_type(value)} {value!r}"
            )
            return series
    if kind in {"integer", "float"}:
        if actual in {"integer", "float"}:
            if kind == "integer" and actual == "float":
                values = series.to_numpy(dtype="float64", na_value=np.nan)
                finite = values[~np.isnan(values)]
                if not np.all(finite == np.round(finite)):
                    problems.append(f"column {name!r} must hold whole numbers")
                    return series
            return series
        if actual == "boolean" and kind == "float":
            return series.astype("float64")
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            sample = series[bad].iloc[0]
            problems.append(
                f"column {name!r} must be {kind}, got {int(bad.sum())} non-numeric value(s)"
                f" such as {sample!r}"
            )
            return series
        return converted
    if kind == "boolean" and actual != "boolean":
        problems.append(f"column {name!r} must be boolean, got {actual}")
    if kind == "datetime" and actual != "datetime":
        try:
            return pd.to_datetime(series)
        except (ValueError, TypeError):
            problems.append(f"column {name!r} must be a datetime")
    return series


def enforce(
    signature: dict[str, Any],
    data: Any,
    *,
    strict_categories: bool | None = None,
    strict_types: bool = False,
) -> pd.DataFrame:
    """Return `data` as a frame with the signature's columns in order, or raise InvalidInput
    listing every missing or mistyped column (and unseen categories when strict).

    With `strict_types`, strings ("42") and booleans in integer and float columns are refused
    (naming the column, the first bad row and the expected type) instead of converted.

    Raises:
        InvalidInput: the data does not match the signature.
    """
    frame = as_frame(data)
    if len(frame) == 0:
        raise InvalidInput("The input has no rows; send at least one record.")
    expected = signature.get("columns", [])
    missing = [c["name"] for c in expected if c["name"] not in frame.columns]
    problems = [f"missing column(s) {', '.join(repr(m) for m in missing)}"] if missing else []
    strict = (
        signature.get("strict_categories", False)
        if strict_categories is None
        else strict_categories
    )
    out = {}
    for col in expected:
        name = col["name"]
        if name in missing:
            continue
        series = _coerce(frame[name], col["type"], name, problems, strict_types=strict_types)
        if strict and col.get("categories"):
            unseen = set(series.dropna().astype(str)) - set(col["categories"])
            if unseen:
                problems.append(f"column {name!r} has unseen categories {sorted(unseen)[:5]}")
        out[name] = series
    if problems:
        raise InvalidInput(
            "Input does not match the model signature: " + "; ".join(problems) + ".",
            problems=problems,
        )
    return pd.DataFrame(out, index=frame.index)
