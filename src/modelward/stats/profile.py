"""Dataset fingerprints, per-column profiles and reference samples.

A profile is a JSON-ready dict recorded when a dataset is logged; validation compares new
data against it (data quality) and monitoring uses it as the drift reference. Format::

    {"row_count": 1000, "columns": {
        "income": {"kind": "numeric", "dtype": "float64", "count": 990, "missing_rate": 0.01,
                   "min": ..., "max": ..., "mean": ..., "std": ...,
                   "quantiles": {"0.01": ..., "0.05": ..., ..., "0.99": ...},
                   "histogram": {"edges": [...21 values], "counts": [...20 values]}},
        "region": {"kind": "categorical", "dtype": "object", "count": 1000, "missing_rate": 0.0,
                   "n_unique": 4, "top": {"north": 400, ...}, "other_count": 0}}}
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from modelward.errors import InvalidInput

QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
HISTOGRAM_BINS = 20
TOP_CATEGORIES = 50
SAMPLE_ROWS = 10_000


def to_frame(data: object) -> pd.DataFrame:
    """Accept a pandas DataFrame, an Arrow table, or a Parquet/CSV path; return a DataFrame.

    Raises:
        InvalidInput: the type or file is not supported, or the file does not exist.
    """
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pa.Table):
        frame: pd.DataFrame = data.to_pandas()
        return frame
    if isinstance(data, str | Path):
        path = Path(data)
        if not path.exists():
            raise InvalidInput(f"Data file {str(path)!r} does not exist.")
        suffix = path.suffix.lower()
        try:
            if suffix in {".parquet", ".pq"}:
                return pd.read_parquet(path)
            if suffix in {".csv", ".txt"}:
                return pd.read_csv(path)
        except (ValueError, OSError, pa.ArrowException) as exc:
            raise InvalidInput(f"Cannot read {str(path)!r}: {type(exc).__name__}.") from exc
        raise InvalidInput(f"Data file {str(path)!r} must be .parquet or .csv, got {suffix!r}.")
    raise InvalidInput(
        f"Expected a pandas DataFrame, an Arrow table or a .parquet/.csv path, got"
        f" {type(data).__name__}."
    )


def to_arrow(data: object) -> pa.Table:
    """The canonical Arrow form: no index, no schema metadata, contiguous chunks."""
    if isinstance(data, pa.Table):
        table = data
    else:
        frame = to_frame(data)
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise InvalidInput(
                f"The data cannot be converted to Arrow (mixed types in a column?): {exc}"
            ) from exc
    return table.replace_schema_metadata(None).combine_chunks()


class _HashSink:
    """A write-only file object that hashes what is written to it."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.closed = False

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


def fingerprint(table: pa.Table) -> str:
    """sha256 over the Arrow IPC stream of the canonical table (fixed 64k-row batches)."""
    sink = _HashSink()
    with pa.ipc.new_stream(pa.PythonFile(sink, mode="w"), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=65_536):
            writer.write_batch(batch)
    return sink.digest.hexdigest()


def column_kind(series: pd.Series) -> str:
    """numeric, boolean, datetime, or categorical (strings, categories, objects)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "categorical"


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def _numeric_profile(values: np.ndarray) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {
            "min": None,
            "max": None,
            "mean": None,
            "std": None,
            "quantiles": {},
            "histogram": {"edges": [], "counts": []},
        }
    low, high = float(finite.min()), float(finite.max())
    qs = np.quantile(finite, QUANTILES)
    counts, edges = np.histogram(
        finite, bins=HISTOGRAM_BINS, range=(low, high if high > low else low + 1)
    )
    return {
        "min": low,
        "max": high,
        "mean": float(finite.mean()),
        "std": float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
        "quantiles": {str(q): float(v) for q, v in zip(QUANTILES, qs, strict=True)},
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
    }


def _categorical_profile(series: pd.Series) -> dict[str, Any]:
    counts = series.dropna().astype(str).value_counts()
    top = counts.iloc[:TOP_CATEGORIES]
    return {
        "n_unique": int(counts.size),
        "top": {str(k): int(v) for k, v in top.items()},
        "other_count": int(counts.iloc[TOP_CATEGORIES:].sum()),
    }


def profile_column(series: pd.Series) -> dict[str, Any]:
    """Profile one column; see the module docstring for the fields."""
    kind = column_kind(series)
    n = len(series)
    missing = int(series.isna().sum())
    out: dict[str, Any] = {
        "kind": kind,
        "dtype": str(series.dtype),
        "count": n - missing,
        "missing_rate": missing / n if n else 0.0,
    }
    if kind == "numeric":
        out.update(_numeric_profile(series.to_numpy(dtype="float64", na_value=np.nan)))
    elif kind == "boolean":
        out.update(_categorical_profile(series))
    elif kind == "categorical":
        out.update(_categorical_profile(series))
    else:
        non_null = series.dropna()
        out.update(
            {
                "min": str(non_null.min()) if len(non_null) else None,
                "max": str(non_null.max()) if len(non_null) else None,
            }
        )
    return out


def profile(frame: pd.DataFrame) -> dict[str, Any]:
    """Profile every column of `frame`."""
    return {
        "row_count": int(len(frame)),
        "columns": {str(col): profile_column(frame[col]) for col in frame.columns},
    }


def arrow_schema(table: pa.Table) -> dict[str, str]:
    """Column name -> Arrow type string."""
    return {field.name: str(field.type) for field in table.schema}


def sample(frame: pd.DataFrame, *, rows: int = SAMPLE_ROWS, seed: int = 0) -> pd.DataFrame:
    """A seeded random sample of at most `rows` rows (all rows when smaller), index reset."""
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    return frame.sample(n=rows, random_state=seed).reset_index(drop=True)
