"""Row fingerprints: one stable 64-bit hash per row, to find training rows among validation rows.

A training data set's fingerprints are stored, as a compact `.npy` array of uint64 (never a
pickle), when it is logged; validation hashes its own rows over the same columns and counts
the matches. Values are normalised first so that the same row hashes the same whichever way
it was read: every number as float64 (1 == 1.0 == True, -0.0 == 0.0, one NaN), times as UTC
nanoseconds, everything else as text. Columns are hashed in name order.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from modelward.errors import InvalidInput

_MISSING_TEXT = "\x00<missing>"


def _normalised(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan) + 0.0  # folds -0.0 into 0.0
        values[np.isnan(values)] = np.nan  # one NaN bit pattern
        return pd.Series(values, copy=False)
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = pd.to_datetime(series, utc=True)
        ints = stamps.to_numpy(dtype="datetime64[ns]").view("int64").astype("float64")
        ints[stamps.isna().to_numpy()] = np.nan
        return pd.Series(ints, copy=False)
    text = series.astype("string").fillna(_MISSING_TEXT)
    return pd.Series(text.to_numpy(dtype=object), copy=False)


def row_hashes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One uint64 per row of `frame`, over `columns` (taken in name order), index ignored.

    Raises:
        InvalidInput: a column is missing from the frame.
    """
    names = sorted(columns)
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise InvalidInput(f"Cannot fingerprint rows: columns {missing!r} are missing.")
    if not names:
        raise InvalidInput("Cannot fingerprint rows over no columns.")
    normal = pd.DataFrame({name: _normalised(frame[name]) for name in names})
    hashed = pd.util.hash_pandas_object(normal, index=False).to_numpy(dtype="uint64")
    return np.asarray(hashed, dtype=np.uint64)


def to_npy(hashes: np.ndarray) -> bytes:
    """The hashes as `.npy` bytes (uint64, sorted and deduplicated: order does not matter)."""
    buffer = io.BytesIO()
    np.save(buffer, np.unique(np.asarray(hashes, dtype=np.uint64)), allow_pickle=False)
    return buffer.getvalue()


def from_npy(data: bytes) -> np.ndarray:
    """Read `to_npy` bytes back; never unpickles.

    Raises:
        InvalidInput: the bytes are not a uint64 `.npy` array.
    """
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise InvalidInput("The stored row fingerprints are not a .npy array.") from exc
    if not isinstance(array, np.ndarray) or array.dtype != np.uint64 or array.ndim != 1:
        raise InvalidInput("The stored row fingerprints are not a 1-d uint64 array.")
    return array


@dataclass(frozen=True)
class Overlap:
    """How many rows of one data set also appear in another, and their share."""

    rows: int
    share: float


def overlap(rows: np.ndarray, reference: np.ndarray) -> Overlap:
    """Rows (duplicates counted each time) whose fingerprint is among `reference`'s."""
    if len(rows) == 0:
        return Overlap(0, 0.0)
    found = int(np.isin(rows, reference, assume_unique=False).sum())
    return Overlap(found, found / len(rows))
