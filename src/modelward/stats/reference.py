"""The reference side of a drift comparison, prepared once and reusable across windows.

A reference is either a sample of rows (the training sample recorded with a model, or a
past window) or a profile recorded by `modelward.stats.profile`. Preparing it sorts each
numeric column and counts each categorical one, so a monitoring run that compares many
windows with the same reference pays for that once. Comparing belongs in `drift`.

With a **sample** everything downstream is exact. With a **profile** the reference
distribution is only known through its 20-bin histogram and its top categories, so:

- KS is evaluated at the histogram edges only (a lower bound of the two-sample statistic),
  and its p-value uses the profile's row count as the reference size;
- Wasserstein is a Riemann sum over the histogram bins, exact outside the reference range;
- PSI and Jensen-Shannon use the histogram bins (plus one open bin on each side) instead of
  quantile bins;
- categories outside the profile's top list fall into one "other" bucket when the profile
  counted any (``other_count > 0``); unseen categories are only identified when it did not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from modelward.errors import InvalidInput
from modelward.stats import measures
from modelward.stats.profile import QUANTILES, column_kind, to_frame

# PSI/JS bins of a sample reference are cut at the profile's quantiles, so that a sample
# and the profile of the same data give nearly the same figures.
BIN_QUANTILES = QUANTILES
OTHER = "__other__"
T = TypeVar("T")


@dataclass(frozen=True)
class NumericReference:
    """A numeric (or datetime, as nanoseconds) reference column.

    Attributes:
        kind: ``"numeric"`` or ``"datetime"``.
        n_rows: Rows, missing included.
        n_missing: Missing (NaN/None/NaT) rows.
        std: Sample standard deviation (ddof=1) of the finite values.
        values: Sorted finite values (sample reference), or None (profile reference).
        cuts: Interior bin edges for PSI/JS (and for the profile's KS and Wasserstein).
        counts: Reference counts in the ``len(cuts) + 1`` bins.
    """

    kind: str
    n_rows: int
    n_missing: int
    std: float
    values: np.ndarray | None
    cuts: np.ndarray
    counts: np.ndarray

    @property
    def n_values(self) -> int:
        """Non-missing values."""
        return self.n_rows - self.n_missing

    @property
    def population_std(self) -> float:
        """The standard deviation with ddof=0 (``numpy.std(values)``), from `std` (ddof=1):
        what normed Wasserstein divides by, as Evidently does."""
        n = self.values.size if self.values is not None else self.n_values
        return self.std * math.sqrt((n - 1) / n) if n > 1 else 0.0

    @property
    def constant(self) -> bool:
        """True when every non-missing value is the same."""
        if self.values is not None:
            return bool(self.values.size and self.values[0] == self.values[-1])
        return self.std == 0.0

    @property
    def constant_value(self) -> float:
        """The smallest value (the only one when `constant`)."""
        return float(self.values[0]) if self.values is not None else float(self.cuts[0])


@dataclass(frozen=True)
class CategoricalReference:
    """A categorical or boolean reference column: category (as str) -> count.

    `other_count` > 0 means the counts are a profile's top list and further rows fell into
    categories that were not kept.
    """

    kind: str
    n_rows: int
    n_missing: int
    counts: dict[str, int]
    other_count: int = 0

    @property
    def n_values(self) -> int:
        """Non-missing values."""
        return self.n_rows - self.n_missing


@dataclass(frozen=True)
class UnsupportedReference:
    """A column whose reference holds no comparable distribution (e.g. a profiled datetime)."""

    kind: str
    n_rows: int
    n_missing: int
    reason: str


ColumnReference = NumericReference | CategoricalReference | UnsupportedReference


@dataclass(frozen=True)
class Reference:
    """A prepared reference: per-column summaries, its row count and where it came from.

    `frame` keeps the sample's rows (not copied) for the domain classifier.
    """

    source: str  # "sample" or "profile"
    n_rows: int
    columns: dict[str, ColumnReference]
    frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)


def numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    """float64 values of a numeric or datetime series; missing values become NaN."""
    if kind == "datetime":
        stamps = series
        if getattr(stamps.dtype, "tz", None) is not None:
            stamps = stamps.dt.tz_convert(None)
        stamps = stamps.dt.as_unit("ns")
        values: np.ndarray = np.asarray(stamps.array.asi8, dtype=np.float64).copy()
        values[stamps.isna().to_numpy()] = np.nan
        return values
    result: np.ndarray = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return result


def finite_sorted(values: np.ndarray) -> np.ndarray:
    """A sorted copy of the finite values (NaN and infinities dropped)."""
    finite = np.isfinite(values)
    kept = values.copy() if finite.all() else values[finite]
    kept.sort()
    return kept


def category_counts(series: pd.Series) -> dict[str, int]:
    """Non-missing rows per category, categories as strings (as the profile stores them)."""
    counts = series.value_counts(dropna=True, sort=False)
    counts = counts[counts > 0]
    labels = [str(label) for label in counts.index]
    result: dict[str, int] = {}
    for label, count in zip(labels, counts.to_numpy(), strict=True):
        # Mixed types can collide once stringified (1 and "1"): add them up.
        result[label] = result.get(label, 0) + int(count)
    return result


def _sample_column(series: pd.Series) -> ColumnReference:
    kind = column_kind(series)
    n_rows = len(series)
    if kind in ("numeric", "datetime"):
        raw = numeric_values(series, kind)
        n_missing = int(np.isnan(raw).sum())
        values = finite_sorted(raw)
        std = float(values.std(ddof=1)) if values.size > 1 else 0.0
        cuts = measures.quantile_cuts(values, BIN_QUANTILES)
        counts = measures.bin_counts(values, cuts)
        return NumericReference(kind, n_rows, n_missing, std, values, cuts, counts)
    categories = category_counts(series)
    return CategoricalReference(kind, n_rows, n_rows - sum(categories.values()), categories)


def _profile_column(name: str, spec: Mapping[str, Any], n_rows: int) -> ColumnReference:
    kind = str(spec.get("kind", ""))
    n_values = int(spec.get("count", 0))
    n_missing = n_rows - n_values
    if kind == "numeric":
        histogram = spec.get("histogram") or {}
        edges = np.asarray(histogram.get("edges", []), dtype=np.float64)
        bins = np.asarray(histogram.get("counts", []), dtype=np.int64)
        if edges.size < 2 or n_values == 0:
            edges, bins = np.empty(0), np.empty(0, dtype=np.int64)
        else:
            # np.histogram's last bin is closed: move the top cut just past the maximum.
            edges = np.append(edges[:-1], np.nextafter(edges[-1], np.inf))
        counts = np.concatenate([[0], bins, [0]]).astype(np.int64) if edges.size else bins
        std = float(spec.get("std") or 0.0)
        return NumericReference(kind, n_rows, n_missing, std, None, edges, counts)
    if kind in ("categorical", "boolean"):
        top = {str(k): int(v) for k, v in (spec.get("top") or {}).items()}
        return CategoricalReference(
            kind, n_rows, n_missing, top, other_count=int(spec.get("other_count") or 0)
        )
    if kind == "datetime":
        reason = "the profile keeps only the range of datetime columns, not their distribution"
        return UnsupportedReference(kind, n_rows, n_missing, reason)
    raise InvalidInput(f"Profile column {name!r} has unknown kind {kind!r}.")


def parallel_map(func: Callable[[str], T], names: list[str], *, n_jobs: int) -> list[T]:
    """`map` over columns on `n_jobs` threads (numpy sorts and pandas counts drop the GIL)."""
    if n_jobs <= 1 or len(names) <= 1:
        return [func(name) for name in names]
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        return list(pool.map(func, names))


def is_profile(data: object) -> bool:
    """True for a profile dict as `modelward.stats.profile.profile` returns it."""
    return isinstance(data, Mapping) and "columns" in data and "row_count" in data


def prepare_reference(
    data: object, *, columns: list[str] | None = None, n_jobs: int = 2
) -> Reference:
    """Summarise a reference sample (DataFrame, Arrow table, Parquet/CSV path) or profile.

    Args:
        data: The reference rows, a profile dict, or an already prepared `Reference`.
        columns: Only these columns (default: all).
        n_jobs: Threads used to sort numeric columns (numpy releases the GIL while sorting).

    Raises:
        InvalidInput: the data cannot be read, or a requested column is unknown.
    """
    if isinstance(data, Reference):
        return data
    if is_profile(data):
        profile: Mapping[str, Any] = data  # type: ignore[assignment]
        specs: Mapping[str, Any] = profile["columns"]
        names = list(specs) if columns is None else [c for c in columns if c in specs]
        n_rows = int(profile["row_count"])
        return Reference(
            "profile", n_rows, {name: _profile_column(name, specs[name], n_rows) for name in names}
        )
    frame = to_frame(data)
    names = [str(c) for c in frame.columns] if columns is None else columns
    names = [name for name in names if name in frame.columns]
    prepared = parallel_map(lambda name: _sample_column(frame[name]), names, n_jobs=n_jobs)
    return Reference("sample", len(frame), dict(zip(names, prepared, strict=True)), frame)
