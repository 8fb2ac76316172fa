"""Request bodies to model input: the accepted JSON shapes, and a fast path for all-numeric
signatures that skips per-request DataFrame checks (errors fall back to the full signature check,
so a 422 still lists every bad field).

Accepted on ``/predict``: a list of records, one record, column-oriented ``{"col": [...]}``,
``{"dataframe_split": ...}`` and ``{"dataframe_records": [...]}``. ``/invocations`` takes exactly
one of ``dataframe_split``, ``dataframe_records``, ``instances``, ``inputs`` (MLflow's protocol).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import orjson
import pandas as pd

from modelward.errors import InvalidInput
from modelward.registry.signature import as_frame, enforce

MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
NUMERIC = frozenset({"float", "integer"})
MAX_JSON_DEPTH = 100  # tables need 3 or 4; model metadata a dozen; parsers recurse near 1,000

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))
_OPEN_CLOSE = bytes.maketrans(b"{}", b"[]")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `body` nests arrays and objects more than `limit` levels deep.

    A cheap scan before parsing (recursive parsers and code walking the result fail near
    1,000 levels with RecursionError): escapes and strings are dropped, the brackets kept, and
    each pass deletes the innermost ``[]`` pairs, so the number of passes is the depth. Every
    pass is one C-level ``bytes.replace``; usual bodies take 3 or 4 (8 MB in about 50 ms).
    Malformed text is left to the parser, except that more than `limit` unclosed brackets
    count as too deep.
    """
    if body.count(b"[") + body.count(b"{") <= limit:  # the common case: cannot be that deep
        return False
    if b"\\" in body:  # escapes first, so that an escaped quote does not end its string
        body = _ESCAPE.sub(b"", body)
    # Quotes and brackets only. Quotes alternate open, close; dropping two adjacent ones keeps
    # that, so empty strings go in one C-level pass and only strings holding brackets remain.
    structure = body.translate(_OPEN_CLOSE, _NOT_STRUCTURE).replace(b'""', b"")
    brackets = b"".join(structure.split(b'"')[::2]) if b'"' in structure else structure
    passes = 0
    while b"[]" in brackets:
        brackets = brackets.replace(b"[]", b"")
        passes += 1
        if passes > limit:
            return True
    return passes + brackets.count(b"[") > limit


def check_json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise InvalidInput if `body` nests more than `limit` levels deep (see json_depth_exceeds).

    Raises:
        InvalidInput: the body is nested too deeply.
    """
    if json_depth_exceeds(body, limit):
        raise InvalidInput(
            f"The JSON body is nested more than {limit} levels deep; send a flat list of records"
            ' such as [{"income": 52000, "age": 41}].',
            limit=limit,
        )


@dataclass(frozen=True)
class Batch:
    """A parsed request: exactly one of records, columns or split rows."""

    records: list[dict[str, Any]] | None = None
    columns: dict[str, list[Any]] | None = None
    split_columns: list[str] | None = None
    split_rows: list[list[Any]] | None = None

    def __len__(self) -> int:
        if self.records is not None:
            return len(self.records)
        if self.split_rows is not None:
            return len(self.split_rows)
        assert self.columns is not None
        return max((len(v) for v in self.columns.values()), default=0)

    def first(self, name: str) -> Any:
        """The value of field `name` in the first row, or None (the A/B key)."""
        if self.records:
            return self.records[0].get(name)
        if self.columns is not None:
            values = self.columns.get(name)
            return values[0] if values else None
        if self.split_columns and self.split_rows and name in self.split_columns:
            return self.split_rows[0][self.split_columns.index(name)]
        return None

    def frame(self) -> pd.DataFrame:
        """As a DataFrame (slow path; raises InvalidInput for ragged or non-tabular input)."""
        if self.split_rows is not None:
            try:
                return pd.DataFrame(self.split_rows, columns=self.split_columns)
            except (ValueError, TypeError) as exc:
                raise InvalidInput(
                    f"dataframe_split rows do not match its {len(self.split_columns or [])}"
                    f" columns: {exc}"
                ) from exc
        return as_frame(self.records if self.records is not None else self.columns)


def _reject_constant(token: str) -> Any:
    raise InvalidInput(
        f"The body contains {token}, which JSON does not allow; send null for a missing value."
    )


def loads(body: bytes) -> Any:
    """Parse JSON; NaN/Infinity literals, malformed text and nesting deeper than MAX_JSON_DEPTH
    give InvalidInput saying what to fix."""
    check_json_depth(body)
    try:
        return orjson.loads(body)
    except RecursionError:  # the depth check makes this unreachable; the last guard
        raise InvalidInput(f"The JSON body is nested too deeply (over {MAX_JSON_DEPTH}).") from None
    except orjson.JSONDecodeError as exc:
        try:  # only to find out whether it was a NaN/Infinity literal
            json.loads(body, parse_constant=_reject_constant)
        except InvalidInput:
            raise
        except (ValueError, UnicodeDecodeError):
            pass
        raise InvalidInput(
            f"The body is not valid JSON ({exc.msg} at position {exc.pos}); send a JSON list of"
            ' records such as [{"income": 52000, "age": 41}].'
        ) from None


def _split(value: Any) -> Batch:
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        raise InvalidInput('"dataframe_split" must be {"columns": [...], "data": [[...], ...]}.')
    columns = value.get("columns")
    rows = value["data"]
    if columns is None:
        raise InvalidInput('"dataframe_split" needs "columns" naming the fields of each row.')
    if not all(isinstance(r, list) for r in rows):
        raise InvalidInput('Every row of "dataframe_split.data" must be a list of values.')
    return Batch(split_columns=[str(c) for c in columns], split_rows=rows)


def _records(value: Any, where: str) -> Batch:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise InvalidInput(f"{where} must be a list of records (JSON objects).")
    return Batch(records=value)


def _tabular(value: Any, where: str) -> Batch:
    """A list of records, one record, or a dict of columns."""
    if isinstance(value, list):
        return _records(value, where)
    if isinstance(value, dict):
        if value and all(isinstance(v, list) for v in value.values()):
            return Batch(columns=value)
        if not any(isinstance(v, list | dict) for v in value.values()):
            return Batch(records=[value])
    raise InvalidInput(
        f"{where} must be a list of records, one record, or an object of columns"
        ' ({"income": [52000, 61000], ...}).'
    )


def parse_predict(body: bytes) -> Batch:
    """The model input of a ``/predict`` request."""
    payload = loads(body)
    if isinstance(payload, dict):
        if "dataframe_split" in payload:
            return _split(payload["dataframe_split"])
        if "dataframe_records" in payload:
            return _records(payload["dataframe_records"], '"dataframe_records"')
        for key in ("records", "instances", "inputs"):
            if key in payload and len(payload) == 1:
                return _tabular(payload[key], f'"{key}"')
    return _tabular(payload, "The body")


def parse_invocations(body: bytes) -> Batch:
    """The model input of an MLflow ``/invocations`` request."""
    payload = loads(body)
    given = [k for k in MLFLOW_KEYS if isinstance(payload, dict) and k in payload]
    if len(given) != 1:
        raise InvalidInput(
            "The body must be a JSON object with exactly one of the fields "
            + ", ".join(MLFLOW_KEYS)
            + (f"; got {', '.join(given)}." if given else ".")
        )
    key = given[0]
    if key == "dataframe_split":
        return _split(payload[key])
    if key == "dataframe_records":
        return _records(payload[key], '"dataframe_records"')
    return _tabular(payload[key], f'"{key}"')


_NUMBER_TYPES = frozenset({int, float})


def _numbers_only(values: Any) -> bool:
    # type() is exact: bool, a subclass of int, is not let through
    return set(map(type, values)) <= _NUMBER_TYPES


class InputSpec:
    """A model's signature compiled once per version: column order and the numeric fast path."""

    def __init__(self, signature: dict[str, Any], *, strict: bool, allow_missing: bool) -> None:
        self.signature = signature
        self.columns: list[str] = [c["name"] for c in signature.get("columns", [])]
        self.kinds: list[str] = [c["type"] for c in signature.get("columns", [])]
        self.strict = strict
        self.allow_missing = allow_missing
        self.numeric = bool(self.columns) and all(k in NUMERIC for k in self.kinds)
        self._integer = np.array([k == "integer" for k in self.kinds])
        self._getter = itemgetter(*self.columns) if self.columns else None

    def prepare(self, batch: Batch) -> np.ndarray | pd.DataFrame:
        """The validated model input: a float matrix in signature order (numeric signatures,
        well-formed input) or a DataFrame. InvalidInput lists every problem."""
        if len(batch) == 0:
            raise InvalidInput("The input has no rows; send at least one record.")
        if not self.columns:
            return batch.frame()
        if self.numeric:
            matrix = self._fast_matrix(batch)
            if matrix is not None:
                self._check_values(matrix)
                return matrix
        try:
            # strict types: a JSON string or boolean in a numeric column is the caller's mistake
            frame = enforce(
                self.signature, batch.frame(), strict_categories=self.strict, strict_types=True
            )
        except (TypeError, ValueError) as exc:  # nested lists and other non-scalar values
            raise InvalidInput(
                f"Cannot read the input as a table of scalar values ({exc}); send one number"
                " or string per field."
            ) from exc
        self._check_frame(frame)
        return frame

    def _fast_matrix(self, batch: Batch) -> np.ndarray | None:
        """A float matrix in signature order, or None to take the slow path (which explains).

        Only JSON numbers qualify: float("42") and float(True) would convert strings and
        booleans the slow path refuses, so any other type of value takes the slow path.
        """
        try:
            if batch.records is not None:
                # one pass of float() over the values: about twice as fast as np.array(tuples)
                width = len(self.columns)
                values = map(self._getter, batch.records)  # type: ignore[arg-type]
                flat = list(chain.from_iterable(values) if width > 1 else values)
                if not _numbers_only(flat):
                    return None
                matrix = np.fromiter(flat, np.float64, count=len(batch.records) * width)
                return matrix.reshape(-1, width)
            if batch.columns is not None:
                rows = [batch.columns[c] for c in self.columns]
                if len({len(r) for r in rows}) != 1 or not _numbers_only(chain(*rows)):
                    return None
                matrix = np.array(rows, dtype=np.float64).T
                return matrix if matrix.ndim == 2 else None
            else:
                assert batch.split_columns is not None and batch.split_rows is not None
                if batch.split_columns == self.columns:
                    rows = batch.split_rows
                else:
                    index = [batch.split_columns.index(c) for c in self.columns]
                    pick = itemgetter(*index)
                    rows = [pick(r) for r in batch.split_rows]
                scalars = len(self.columns) == 1 and batch.split_columns != self.columns
                if not _numbers_only(rows if scalars else chain.from_iterable(rows)):
                    return None
            matrix = np.array(rows, dtype=np.float64)
        except (KeyError, ValueError, TypeError, IndexError):
            return None
        if len(self.columns) == 1:
            matrix = matrix.reshape(-1, 1)
        return matrix if matrix.ndim == 2 and matrix.shape[1] == len(self.columns) else None

    def _check_values(self, matrix: np.ndarray) -> None:
        problems = []
        finite = np.isfinite(matrix)
        if not finite.all():
            nan = np.isnan(matrix)
            inf = ~finite & ~nan
            for j, name in enumerate(self.columns):
                if inf[:, j].any():
                    problems.append(f"column {name!r} holds infinity; send finite numbers")
                elif nan[:, j].any() and not self.allow_missing:
                    problems.append(f"column {name!r} has missing values (null), not allowed")
        if self._integer.any():
            ints = matrix[:, self._integer]
            whole = np.isnan(ints) | (ints == np.round(ints))
            for name in np.array(self.columns)[self._integer][~whole.all(axis=0)]:
                problems.append(f"column {str(name)!r} must hold whole numbers")
        if problems:
            raise InvalidInput(
                "Input does not match the model signature: " + "; ".join(problems) + ".",
                problems=problems,
            )

    def _check_frame(self, frame: pd.DataFrame) -> None:
        numeric = [c for c, k in zip(self.columns, self.kinds, strict=True) if k in NUMERIC]
        if not numeric:
            return
        values = frame[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
        problems = []
        for j, name in enumerate(numeric):
            column = values[:, j]
            if np.isinf(column).any():
                problems.append(f"column {name!r} holds infinity; send finite numbers")
            elif np.isnan(column).any() and not self.allow_missing:
                problems.append(f"column {name!r} has missing values (null), not allowed")
        if problems:
            raise InvalidInput(
                "Input does not match the model signature: " + "; ".join(problems) + ".",
                problems=problems,
            )


def json_safe(value: Any) -> Any:
    """Floats that JSON cannot hold (NaN, inf) as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"


def parse_table_file(body: bytes, kind: str) -> Batch:
    """The rows of an MLflow ``/invocations`` body sent as CSV (``text/csv``) or Parquet
    (``application/vnd.apache.parquet``), as `mlflow models serve` reads them.

    Parquet is a columnar data format (no objects, no code), read with pyarrow.

    Raises:
        InvalidInput: the body is not readable CSV or Parquet, or has no columns.
    """
    import io

    try:
        if kind == CSV:
            frame = pd.read_csv(io.BytesIO(body))
        else:
            frame = pd.read_parquet(io.BytesIO(body))
    except Exception as exc:  # both readers raise several unrelated types for bad input
        what = "CSV with a header row" if kind == CSV else "a Parquet file"
        raise InvalidInput(f"The body is not readable as {what}; send {what}.") from exc
    if frame.shape[1] == 0:
        raise InvalidInput("The body has no columns; send a header row naming the fields.")
    rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return Batch(split_columns=[str(c) for c in frame.columns], split_rows=rows)
