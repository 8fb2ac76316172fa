"""Drift of a current window larger than memory: batches folded into mergeable accumulators.

The current window arrives as batches (DataFrames, Arrow tables or record batches, e.g. a
DuckDB ``fetch_record_batch`` reader) or as a Dask DataFrame, whose partitions are reduced in
parallel by the Dask scheduler (a local or a remote cluster). Each column keeps counts at the
reference's distinct values, sums between them, bin counts, missing counts and moments; the
reference must fit in memory (a sample, typically 10k rows, or a profile).

What is exact and what is not, compared with `drift.detect_drift` on the same rows:

- exact: KS statistic (scipy's, bit for bit) and its asymptotic p-value, PSI, Jensen-Shannon,
  chi-square, new-category share, missing rates, means and standard deviations (to rounding);
- Wasserstein: exact in every interval between two consecutive reference values where the
  two CDFs do not cross, and outside the reference range; where they cross, current values
  are taken as evenly spread inside the interval. ``details["wasserstein_error_bound"]``
  bounds the difference;
- KS p-values are always asymptotic (``ks_method`` is ignored); the domain classifier is
  not run (it needs rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from modelward.stats import compare, measures
from modelward.stats.options import DriftOptions
from modelward.stats.profile import column_kind, to_frame
from modelward.stats.reference import (
    CategoricalReference,
    NumericReference,
    Reference,
    category_counts,
    numeric_values,
)
from modelward.stats.verdicts import ColumnRule, CurrentSummary, conclude, precheck


@dataclass
class NumericAccumulator:
    """Counts of current values around the reference's distinct values (or profile edges)."""

    points: np.ndarray
    cuts: np.ndarray
    center: float
    below_lt: np.ndarray = field(init=False)  # current values < point
    below_le: np.ndarray = field(init=False)  # current values <= point
    inner_sums: np.ndarray = field(init=False)  # sum of values strictly between points
    bins: np.ndarray = field(init=False)
    tails: np.ndarray = field(init=False)  # count below, sum below, count above, sum above
    moments: np.ndarray = field(init=False)  # n, sum(v - c), sum((v - c)^2)
    n_missing: int = 0
    n_rows: int = 0

    def __post_init__(self) -> None:
        size = self.points.size
        self.below_lt = np.zeros(size, np.int64)
        self.below_le = np.zeros(size, np.int64)
        self.inner_sums = np.zeros(max(size - 1, 0))
        self.bins = np.zeros(self.cuts.size + 1, np.int64)
        self.tails = np.zeros(4)
        self.moments = np.zeros(3)

    def add(self, raw: np.ndarray) -> None:
        """Fold one batch of float64 values (NaN = missing) in."""
        self.n_rows += raw.size
        self.n_missing += int(np.isnan(raw).sum())
        values = np.sort(raw[np.isfinite(raw)])
        if values.size == 0 or self.points.size == 0:  # nothing to place, or no reference
            shifted = values - self.center
            self.moments += [values.size, shifted.sum(), np.dot(shifted, shifted)]
            return
        self.below_lt += np.searchsorted(values, self.points, side="left")
        self.below_le += np.searchsorted(values, self.points, side="right")
        self.bins += measures.bin_counts(values, self.cuts)
        slot = np.searchsorted(self.points, values, side="right")
        inner = (slot > 0) & (slot < self.points.size)
        inner &= values != self.points[np.maximum(slot - 1, 0)]
        self.inner_sums += np.bincount(
            slot[inner] - 1, weights=values[inner], minlength=self.inner_sums.size
        )
        low, high = values[slot == 0], values[values > self.points[-1]]
        self.tails += [low.size, low.sum(), high.size, high.sum()]
        shifted = values - self.center
        self.moments += [values.size, shifted.sum(), np.dot(shifted, shifted)]

    def merge(self, other: NumericAccumulator) -> NumericAccumulator:
        """Add another accumulator over the same reference into this one."""
        for name in ("below_lt", "below_le", "inner_sums", "bins", "tails", "moments"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.n_missing += other.n_missing
        self.n_rows += other.n_rows
        return self


@dataclass
class CategoricalAccumulator:
    """Category counts of the current window."""

    counts: dict[str, int] = field(default_factory=dict)
    n_rows: int = 0

    def add(self, series: pd.Series) -> None:
        """Fold one batch in."""
        self.n_rows += len(series)
        for label, count in category_counts(series).items():
            self.counts[label] = self.counts.get(label, 0) + count

    def merge(self, other: CategoricalAccumulator) -> CategoricalAccumulator:
        """Add another accumulator into this one."""
        for label, count in other.counts.items():
            self.counts[label] = self.counts.get(label, 0) + count
        self.n_rows += other.n_rows
        return self


Accumulator = NumericAccumulator | CategoricalAccumulator


def new_accumulator(ref: NumericReference | CategoricalReference) -> Accumulator:
    """An empty accumulator for one reference column."""
    if isinstance(ref, CategoricalReference):
        return CategoricalAccumulator()
    if ref.values is not None:
        center = float(ref.values.mean()) if ref.values.size else 0.0
        return NumericAccumulator(np.unique(ref.values), ref.cuts, center)
    if ref.cuts.size == 0:
        return NumericAccumulator(ref.cuts, ref.cuts, 0.0)
    # Moments are accumulated around a central value, so large offsets lose no precision.
    return NumericAccumulator(ref.cuts, ref.cuts, float(ref.cuts[[0, -1]].mean()))


def accumulate(
    reference: Reference, frame: pd.DataFrame, names: list[str]
) -> dict[str, Accumulator]:
    """Accumulators of one batch, for the named columns present in it."""
    result: dict[str, Accumulator] = {}
    for name in names:
        ref = reference.columns[name]
        if name not in frame.columns or not isinstance(
            ref, NumericReference | CategoricalReference
        ):
            continue
        acc = new_accumulator(ref)
        if isinstance(acc, NumericAccumulator):
            acc.add(numeric_values(frame[name], ref.kind))
        else:
            acc.add(frame[name])
        result[name] = acc
    return result


def merge_all(parts: Iterable[Mapping[str, Accumulator]]) -> dict[str, Accumulator]:
    """Merge per-batch accumulators column by column."""
    merged: dict[str, Accumulator] = {}
    for part in parts:
        for name, acc in part.items():
            merged[name] = merged[name].merge(acc) if name in merged else acc  # type: ignore[arg-type]
    return merged


def as_frame(batch: object) -> pd.DataFrame:
    """A batch as a DataFrame (DataFrame, Arrow table or record batch, path)."""
    if isinstance(batch, pa.RecordBatch):
        frame: pd.DataFrame = pa.Table.from_batches([batch]).to_pandas()
        return frame
    return to_frame(batch)


def summary_of(
    ref: NumericReference | CategoricalReference, acc: Accumulator, *, min_rows: int
) -> CurrentSummary:
    """The figures of a column from its merged accumulator."""
    if isinstance(acc, CategoricalAccumulator):
        assert isinstance(ref, CategoricalReference)
        n_values = sum(acc.counts.values())
        figures: dict[str, Any] = {}
        if min(ref.n_values, n_values) >= min_rows:
            figures = compare.categorical_figures(ref, acc.counts)
        return CurrentSummary(figures, "categorical", n_values, acc.n_rows - n_values, acc.n_rows)
    assert isinstance(ref, NumericReference)
    n_values = int(acc.moments[0])
    n_infinite = acc.n_rows - acc.n_missing - n_values
    figures = {"n_infinite": n_infinite}
    comparison = "numeric"
    if min(ref.n_values, n_values) >= min_rows:
        figures.update(_numeric_figures(ref, acc))
        if ref.constant:
            equal = int(acc.below_le[0] - acc.below_lt[0])
            figures.update(
                compare.constant_figures(ref.constant_value, ref.n_values, equal, n_values)
            )
            comparison = "categorical"
    return CurrentSummary(figures, comparison, n_values, acc.n_missing, acc.n_rows)


def _numeric_figures(ref: NumericReference, acc: NumericAccumulator) -> dict[str, Any]:
    n_cur = int(acc.moments[0])
    if ref.values is not None:
        ks, distance, bound = _ks_wasserstein(ref, acc, n_cur)
    else:
        ks, distance, bound = _binned_ks_wasserstein(ref, acc, n_cur)
    psi = measures.psi(ref.counts, acc.bins)
    noise = measures.psi_noise(int(np.count_nonzero(ref.counts)), ref.n_values, n_cur)
    mean_shift, square = acc.moments[1] / n_cur, acc.moments[2]
    variance = (square - n_cur * mean_shift**2) / (n_cur - 1) if n_cur > 1 else 0.0
    figures: dict[str, Any] = {
        "ks_statistic": ks,
        "ks_p_value": measures.ks_asymptotic_p_value(ks, ref.n_values, n_cur),
        "wasserstein": distance,
        "wasserstein_normed": measures.normed_wasserstein(distance, ref.population_std),
        "wasserstein_error_bound": bound,
        "psi": psi,
        "psi_noise": noise,
        "psi_excess": max(0.0, psi - noise),
        "jensenshannon": measures.js_distance(ref.counts, acc.bins),
        "bins": {
            "cuts": ref.cuts.tolist(),
            "reference": ref.counts.tolist(),
            "current": acc.bins.tolist(),
        },
        "current_mean": acc.center + mean_shift,
        "current_std": float(np.sqrt(max(variance, 0.0))),
        "reference_std": ref.std,
    }
    if ref.values is not None:
        figures["reference_mean"] = float(ref.values.mean())
    return figures


def _ks_wasserstein(
    ref: NumericReference, acc: NumericAccumulator, n_cur: int
) -> tuple[float, float, float]:
    """Exact KS and (nearly exact) Wasserstein against a sample reference."""
    assert ref.values is not None
    points = acc.points
    ref_cdf = np.searchsorted(ref.values, points, side="right") / ref.values.size
    at_point = ref_cdf - acc.below_le / n_cur  # F_ref - F_cur at each point
    before = np.concatenate([[0.0], ref_cdf[:-1]]) - acc.below_lt / n_cur  # just below
    ks = float(max(np.abs(at_point).max(), np.abs(before).max()))
    low_count, low_sum, high_count, high_sum = acc.tails
    total = (low_count * points[0] - low_sum) + (high_sum - high_count * points[-1])
    widths = np.diff(points)
    lo, hi = acc.below_le[:-1] / n_cur, acc.below_lt[1:] / n_cur
    inner_count = acc.below_lt[1:] - acc.below_le[:-1]
    integral_cur = (acc.below_le[:-1] * widths + inner_count * points[1:] - acc.inner_sums) / n_cur
    level = ref_cdf[:-1]
    above = level >= hi
    below = level <= lo
    exact = np.where(above, level * widths - integral_cur, integral_cur - level * widths)
    crossing = ~(above | below)
    share = np.where(crossing, (level - lo) / np.where(crossing, hi - lo, 1.0), 0.0)
    spread = widths * ((level - lo) * share + (hi - level) * (1 - share)) / 2
    inside = np.where(crossing, spread, exact).sum()
    bound = float(np.sum((widths * (hi - lo))[crossing]))
    return ks, float(total / n_cur + inside), bound


def _binned_ks_wasserstein(
    ref: NumericReference, acc: NumericAccumulator, n_cur: int
) -> tuple[float, float, float]:
    """The profile approximation of `compare`, from counts instead of sorted values."""
    cuts = ref.cuts
    ref_cdf = np.cumsum(ref.counts)[:-1] / ref.counts.sum()
    gaps = np.abs(ref_cdf - acc.below_lt / n_cur)
    interior = float(np.dot(gaps[:-1], np.diff(cuts)))
    low_count, low_sum, high_count, high_sum = acc.tails
    tails = (low_count * cuts[0] - low_sum) + (high_sum - high_count * cuts[-1])
    return float(gaps.max()), interior + float(tails) / n_cur, 0.0


def summarise_batches(
    reference: Reference, batches: Iterable[object], names: list[str]
) -> tuple[dict[str, Accumulator], dict[str, str], int]:
    """Fold batches in one by one: accumulators, column kinds (of the first batch), rows."""
    merged: dict[str, Accumulator] = {}
    kinds: dict[str, str] = {}
    rows = 0
    for batch in batches:
        frame = as_frame(batch)
        rows += len(frame)
        for name in frame.columns:
            kinds.setdefault(str(name), column_kind(frame[name]))
        merged = merge_all([merged, accumulate(reference, frame, names)])
    return merged, kinds, rows


def summarise_dask(
    reference: Reference, frame: Any, names: list[str]
) -> tuple[dict[str, Accumulator], dict[str, str], int]:
    """Reduce a Dask DataFrame's partitions in parallel on the current Dask scheduler."""
    from dask.base import compute
    from dask.delayed import delayed

    kinds = {str(name): column_kind(frame._meta[name]) for name in frame.columns}
    shared = delayed(reference, pure=True)
    parts = [delayed(_accumulate_partition)(shared, part, names) for part in frame.to_delayed()]
    while len(parts) > 1:  # a tree reduction: no single task holds every partition's result
        parts = [
            delayed(_merge_pair)(*parts[i : i + 2]) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    if not parts:
        return {}, kinds, 0
    merged, rows = compute(parts[0])[0]  # type: ignore[no-untyped-call]
    return merged, kinds, rows


def _accumulate_partition(
    reference: Reference, frame: pd.DataFrame, names: list[str]
) -> tuple[dict[str, Accumulator], int]:
    return accumulate(reference, frame, names), len(frame)


def _merge_pair(
    left: tuple[dict[str, Accumulator], int], right: tuple[dict[str, Accumulator], int]
) -> tuple[dict[str, Accumulator], int]:
    return merge_all([left[0], right[0]]), left[1] + right[1]


def judge_accumulated(
    reference: Reference,
    accumulators: Mapping[str, Accumulator],
    kinds: Mapping[str, str],
    names: list[str],
    rules: Mapping[str, ColumnRule],
    opts: DriftOptions,
    window_problem: str,
) -> list[dict[str, Any]]:
    """`ColumnDrift` fields of every named column, from merged accumulators."""
    results = []
    for name in names:
        rule = rules.get(name)
        problem = precheck(name, reference, kinds.get(name), rule, opts, window_problem)
        if problem is not None:
            results.append(problem)
            continue
        ref = reference.columns[name]
        assert isinstance(ref, NumericReference | CategoricalReference)
        acc = accumulators.get(name) or new_accumulator(ref)
        summary = summary_of(ref, acc, min_rows=opts.min_rows)
        results.append(conclude(name, ref, summary, rule, opts))
    return results


def is_dask(data: object) -> bool:
    """True for Dask collections (checked by module, so dask is imported only when used)."""
    return type(data).__module__.startswith("dask.")


def as_dask(data: object) -> Any:
    """A Dask DataFrame over `data` (paths are read lazily, frames split in 1M-row parts)."""
    import dask.dataframe as dd

    if is_dask(data):
        return data
    if isinstance(data, str | Path):
        path = str(data)
        return (
            dd.read_csv(path) if path.lower().endswith((".csv", ".txt")) else dd.read_parquet(path)
        )
    frame = to_frame(data)
    return dd.from_pandas(frame, npartitions=max(1, len(frame) // 1_000_000))  # type: ignore[no-untyped-call]
