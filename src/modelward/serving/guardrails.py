"""Guardrails at serving: each answered row is checked against the deployment's declared
output constraints and against the plausibility of its inputs; a challenger is watched for
canary analysis.

- Output: numeric bounds on the prediction, allowed classes, and the largest share of one
  class among the rows of the current minute.
- Input: each numeric feature within the training profile's [min, max] (widened by
  `range_margin` of the range), each categorical feature among the training categories (when
  the profile lists them all), and a per-row out-of-distribution score: the share of the
  training sample's rows that are closer to the sample's mean, in Mahalanobis distance,
  than the row (0.5 is typical, 0.999 is further out than all but 0.1% of training rows).

Everything a request needs is compiled once per version and spec (`Guardrails`), so a check
is a handful of numpy operations. A violation is counted (Prometheus), logged with the
request id and the row, answered with the fallback when the spec says so, and a minute whose
share of violating rows passes `alert_rate` raises an alert through a callback off the
request path. `CanaryWatch` (in `serving.guardrail_hook`) keeps a challenger's error rate,
latency p99 and violation rate; `GuardrailHook.analyze` (the engine's poll thread) asks for
its rollback when they cross the spec's canary bounds.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.guardrails import GuardrailSpec, OnViolation

log = logging.getLogger("modelward.guardrails")

NUMERIC_KINDS = frozenset({"float", "integer"})
SMALL = 32  # rows a request counts class by class in Python; larger ones through np.unique


def _class_counts(predictions: np.ndarray) -> dict[Any, int]:
    """Rows per predicted class, keys as Python scalars (`tolist()`'s)."""
    if len(predictions) <= SMALL or predictions.dtype == object:
        found: dict[Any, int] = {}
        for value in predictions.tolist():
            found[value] = found.get(value, 0) + 1
        return found
    values, counts = np.unique(predictions, return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


@dataclass(frozen=True)
class TrainingReference:
    """What input plausibility is judged against: the training profile (column -> profile
    as `stats.profile` writes it) and, when recorded, the training sample."""

    profile: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sample: pd.DataFrame | None = None


@dataclass(frozen=True)
class Verdict:
    """The rows of one request that broke a guardrail, and why."""

    mask: np.ndarray  # bool per row
    counts: dict[str, int]  # violation kind -> rows
    reasons: list[list[str]]  # per violating row (in mask order), its kinds
    ood: np.ndarray | None  # per-row OOD score, when computed

    @property
    def rows(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.mask)]


class _MahalanobisScore:
    """Per-row OOD score against a sample: the share of sample rows closer to the mean.

    `limit` is the squared distance above which a row's score passes `max_ood`, worked out
    once from the sorted reference, so a request compares distances and never searches."""

    def __init__(self, sample: np.ndarray, max_ood: float | None = None) -> None:
        self.mean = sample.mean(axis=0)
        cov = np.atleast_2d(np.cov(sample, rowvar=False))
        self.precision = np.linalg.pinv(cov)  # pinv: a constant column must not break it
        self.reference = np.sort(self.distances(sample))
        self.limit = np.inf if max_ood is None else self._limit(max_ood)

    def _limit(self, max_ood: float) -> float:
        """The largest squared distance whose score is at most `max_ood`.

        score(d2) = count(reference < d2) / n, so score > max_ood exactly when at least k
        reference distances lie below d2, k the least count with k / n > max_ood; that is
        when d2 > reference[k - 1]. k is found with the same float division `score` does."""
        n = len(self.reference)
        k = min(int(max_ood * n), n)
        while k > 0 and (k - 1) / n > max_ood:
            k -= 1
        while k <= n and k / n <= max_ood:
            k += 1
        if k > n:  # max_ood = 1: no score passes it
            return np.inf
        return float(self.reference[k - 1]) if k > 0 else -np.inf

    def distances(self, rows: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distances of `rows` to the sample mean."""
        diff = rows - self.mean
        return np.asarray(((diff @ self.precision) * diff).sum(axis=1))

    def far(self, rows: np.ndarray) -> np.ndarray | None:
        """Per row, whether its score passes `max_ood` (a missing value is as far as can be);
        None when no row does (the common case: one comparison, no search)."""
        if self.limit == np.inf:  # max_ood = 1: nothing is judged far
            return None
        # one request row: two dot products on vectors and a float compare. The sum runs in
        # another order than `distances`, so a row within rounding of the limit may pass here
        # and not in a batch (a 1e-16 relative difference in a 0..1 score's cut-off)
        if len(rows) == 1:
            diff = rows[0] - self.mean
            if float(diff @ self.precision @ diff) <= self.limit:
                return None
        d2 = self.distances(rows)
        near = d2 <= self.limit  # NaN compares False: far
        return None if near.all() else ~near

    def score(self, rows: np.ndarray) -> np.ndarray:
        d2 = self.distances(rows)
        if np.isnan(d2).any():
            d2 = np.where(np.isnan(d2), np.inf, d2)  # a missing value is as far as can be
        return np.searchsorted(self.reference, d2, side="left") / len(self.reference)


class _Minute:
    """Counts of the current minute (rows, violating rows, by kind; classes for the share)."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.rows = 0
        self.violating = 0
        self.kinds: collections.Counter[str] = collections.Counter()
        self.classes: dict[Any, int] = {}


class Guardrails:
    """A spec compiled for one served version (its columns and training reference)."""

    def __init__(
        self,
        spec: GuardrailSpec,
        *,
        columns: list[str],
        kinds: list[str],
        reference: TrainingReference | None,
        fallback: Any,
    ) -> None:
        self.spec, self.columns, self.fallback = spec, columns, fallback
        numeric = [(j, c) for j, (c, k) in enumerate(zip(columns, kinds, strict=True))
                   if k in NUMERIC_KINDS]  # fmt: skip
        self.numeric_index = np.array([j for j, _ in numeric], dtype=np.intp)
        self.numeric_names = [c for _, c in numeric]
        self.all_numeric = len(numeric) == len(columns)
        ref = reference or TrainingReference()
        self.low, self.high = self._ranges(ref) if spec.check_ranges else (None, None)
        self.categories = self._categories(ref, columns, kinds) if spec.check_categories else {}
        self.ood = self._ood(ref)
        self.allowed = None if spec.allowed_classes is None else set(spec.allowed_classes)
        self._columns = tuple(columns)
        self._category_index = {c: columns.index(c) for c in self.categories}
        self._judge_inputs = self.low is not None or self.ood is not None or bool(self.categories)
        self._bounded = spec.output_min is not None or spec.output_max is not None
        self._output_low = -np.inf if spec.output_min is None else spec.output_min
        self._output_high = np.inf if spec.output_max is None else spec.output_max
        self._judge_outputs = self._bounded or self.allowed is not None
        self._minute = _Minute(time.time() // 60 * 60)
        self.closed: _Minute | None = None  # the minute that just ended, until tallied
        self._lock = threading.Lock()

    # -- compiling -----------------------------------------------------------------------------

    def _ranges(self, ref: TrainingReference) -> tuple[np.ndarray | None, np.ndarray | None]:
        if not self.numeric_names:
            return None, None
        low, high = [], []
        for name in self.numeric_names:
            prof = ref.profile.get(name) or {}
            lo, hi = prof.get("min"), prof.get("max")
            if (lo is None or hi is None) and ref.sample is not None and name in ref.sample:
                values = pd.to_numeric(ref.sample[name], errors="coerce")
                lo, hi = values.min(), values.max()
            if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
                lo, hi = -np.inf, np.inf  # nothing known: not judged
            margin = (float(hi) - float(lo)) * self.spec.range_margin
            low.append(float(lo) - margin)
            high.append(float(hi) + margin)
        if all(np.isinf(low)) and all(np.isinf(high)):
            return None, None  # nothing known of any column: nothing to compare
        return np.array(low), np.array(high)

    @staticmethod
    def _categories(
        ref: TrainingReference, columns: list[str], kinds: list[str]
    ) -> dict[str, frozenset[str]]:
        found = {}
        for name, kind in zip(columns, kinds, strict=True):
            prof = ref.profile.get(name) or {}
            if kind in NUMERIC_KINDS or "top" not in prof:
                continue
            if prof.get("other_count", 0) == 0:  # the profile lists every category seen
                found[name] = frozenset(str(k) for k in prof["top"])
        return found

    def _ood(self, ref: TrainingReference) -> _MahalanobisScore | None:
        sample = ref.sample
        if self.spec.max_ood is None or sample is None or not self.numeric_names:
            return None
        if not set(self.numeric_names) <= set(sample.columns):
            return None
        matrix = sample[self.numeric_names].apply(pd.to_numeric, errors="coerce").dropna()
        if len(matrix) <= len(self.numeric_names) + 1:
            return None
        return _MahalanobisScore(matrix.to_numpy(np.float64), self.spec.max_ood)

    # -- checking ------------------------------------------------------------------------------

    def _inputs(self, frame: Any) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """The numeric inputs as a float matrix, and each checked categorical column's values,
        without pandas per column: a DataFrame is read through one `to_numpy()`."""
        if isinstance(frame, np.ndarray):  # the numeric fast path's matrix: no categories
            return (frame if self.all_numeric else frame[:, self.numeric_index]), {}
        if tuple(frame.columns) != self._columns:  # not in signature order: by name
            numeric = np.asarray(frame[self.numeric_names].to_numpy(np.float64, na_value=np.nan))
            return numeric, {name: frame[name].to_numpy() for name in self.categories}
        values = frame.to_numpy()
        categorical = {name: values[:, j] for name, j in self._category_index.items()}
        if values.dtype != object:
            return values[:, self.numeric_index].astype(np.float64, copy=False), categorical
        try:  # None and pd.NA are not floats: those frames take the pandas way
            return values[:, self.numeric_index].astype(np.float64), categorical
        except (TypeError, ValueError):
            numeric = np.asarray(frame[self.numeric_names].to_numpy(np.float64, na_value=np.nan))
            return numeric, categorical

    def check(self, frame: Any, predictions: np.ndarray) -> Verdict | None:
        """The rows that break a guardrail, or None when every row is fine.

        The common case (nothing broken) costs a few numpy operations on the request's own
        matrix: the range bounds and the OOD distance limit are compiled, and no per-row
        mask, score or dictionary is built until something is broken."""
        flags: dict[str, np.ndarray] = {}
        matrix = None
        if self._judge_inputs:
            matrix, categorical = self._inputs(frame)
            if self.low is not None and matrix is not None:
                outside = matrix < self.low
                outside |= matrix > self.high
                if outside.any():
                    flags["input_range"] = np.asarray(outside.any(axis=1))
            if self.ood is not None and matrix is not None:
                far = self.ood.far(matrix)
                if far is not None:
                    flags["input_ood"] = far
            for name, values in categorical.items():
                allowed = self.categories[name]
                if not all(str(v) in allowed for v in values.tolist()):
                    flags[f"input_category:{name}"] = np.array(
                        [str(v) not in allowed for v in values.tolist()]
                    )
        if self._judge_outputs:
            self._check_outputs(predictions, flags)
        self._count(predictions, flags)
        if not flags:
            return None
        return self._verdict(matrix, len(predictions), flags)

    def _verdict(
        self, matrix: np.ndarray | None, rows: int, flags: dict[str, np.ndarray]
    ) -> Verdict:
        mask = np.zeros(rows, dtype=bool)
        for hit in flags.values():
            mask |= hit
        reasons = [[k for k, hit in flags.items() if hit[i]] for i in np.flatnonzero(mask)]
        counts = {kind: int(hit.sum()) for kind, hit in flags.items()}
        ood = None
        if self.ood is not None and matrix is not None:  # the scores, for the log
            ood = self.ood.score(matrix)
        return Verdict(mask, counts, reasons, ood)

    def _check_outputs(self, predictions: np.ndarray, flags: dict[str, np.ndarray]) -> None:
        if self._bounded and predictions.dtype.kind in "fiu":
            values = predictions.astype(np.float64, copy=False)
            bad = values < self._output_low
            bad |= values > self._output_high
            if bad.any():
                flags["output_bounds"] = bad
        if self.allowed is not None:
            seen = predictions.tolist() if len(predictions) <= SMALL else _class_counts(predictions)
            if not self.allowed.issuperset(seen):
                listed = predictions.tolist()
                flags["output_class"] = np.array([p not in self.allowed for p in listed])

    def _count(self, predictions: np.ndarray, flags: dict[str, np.ndarray]) -> None:
        """Add the request to the current minute; flag rows of a class past its share.

        O(1) per row: the request's classes are counted once (a batch by `np.unique`), each
        adds to its minute count, and only the request's own classes meet the limit."""
        share = self.spec.max_class_share
        now = time.time()
        classes = None if share is None else _class_counts(predictions)
        with self._lock:
            minute = self._minute
            if now - minute.start >= 60:
                self.closed, minute = minute, _Minute(now // 60 * 60)
                self._minute = minute
            minute.rows += len(predictions)
            if share is None or classes is None:
                return
            counts = minute.classes
            for value, count in classes.items():
                counts[value] = counts.get(value, 0) + count
            if minute.rows < self.spec.min_rows_for_share:
                return
            limit = share * minute.rows
            over = [value for value in classes if counts[value] > limit]
        if over:
            flags["output_class_share"] = np.array([v in over for v in predictions.tolist()])

    def tally(self, verdict: Verdict | None) -> _Minute | None:
        """Add the verdict to the current minute; return the minute that just closed when
        its violating share passed `alert_rate` (once per minute), else None."""
        if verdict is None and self.closed is None:  # the common case: nothing to add
            return None
        with self._lock:
            minute = self._minute
            if verdict is not None:
                minute.violating += int(verdict.mask.sum())
                minute.kinds.update(verdict.counts)
            closed = self.closed
            if closed is None:
                return None
            self.closed = None
        if closed.rows >= self.spec.min_rows_for_share and closed.rows:
            if closed.violating / closed.rows > self.spec.alert_rate:
                return closed
        return None

    def apply(
        self, verdict: Verdict, predictions: np.ndarray, proba: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The answer with the fallback in the violating rows when the spec says so."""
        if self.spec.on_violation is not OnViolation.FALLBACK:
            return predictions, proba
        answered = predictions.astype(object)
        for i in np.flatnonzero(verdict.mask):
            answered[i] = self.fallback
        if proba is not None:
            proba = proba.astype(np.float64)
            proba[verdict.mask] = np.nan  # no model probability stands behind a fallback
        return answered, proba
