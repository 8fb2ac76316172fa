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
    """Per-row OOD score against a sample: the share of sample rows closer to the mean."""

    def __init__(self, sample: np.ndarray) -> None:
        self.mean = sample.mean(axis=0)
        cov = np.atleast_2d(np.cov(sample, rowvar=False))
        self.precision = np.linalg.pinv(cov)  # pinv: a constant column must not break it
        self.reference = np.sort(self.distances(sample))

    def distances(self, rows: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distances of `rows` to the sample mean."""
        diff = rows - self.mean
        return np.asarray(((diff @ self.precision) * diff).sum(axis=1))

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
        return _MahalanobisScore(matrix.to_numpy(np.float64))

    # -- checking ------------------------------------------------------------------------------

    def _numeric(self, frame: Any) -> np.ndarray:
        if isinstance(frame, np.ndarray):
            return frame if self.all_numeric else frame[:, self.numeric_index]
        return np.asarray(frame[self.numeric_names].to_numpy(np.float64, na_value=np.nan))

    def check(self, frame: Any, predictions: np.ndarray) -> Verdict | None:
        """The rows that break a guardrail, or None when every row is fine."""
        rows = len(predictions)
        flags: dict[str, np.ndarray] = {}
        ood = None
        if self.low is not None or self.ood is not None:
            matrix = self._numeric(frame)
            if self.low is not None and self.high is not None:
                outside = (matrix < self.low) | (matrix > self.high)
                if outside.any():
                    flags["input_range"] = np.asarray(outside.any(axis=1))
            if self.ood is not None and self.spec.max_ood is not None:
                ood = self.ood.score(matrix)
                if (far := ood > self.spec.max_ood).any():
                    flags["input_ood"] = far
        if self.categories and not isinstance(frame, np.ndarray):
            for name, allowed in self.categories.items():
                values = frame[name].astype(str).to_numpy()
                unseen = np.array([v not in allowed for v in values])
                if unseen.any():
                    flags[f"input_category:{name}"] = unseen
        self._check_outputs(predictions, flags)
        self._count(predictions, flags)
        if not flags:
            return None
        mask = np.zeros(rows, dtype=bool)
        for hit in flags.values():
            mask |= hit
        reasons = [[k for k, hit in flags.items() if hit[i]] for i in np.flatnonzero(mask)]
        counts = {kind: int(hit.sum()) for kind, hit in flags.items()}
        return Verdict(mask, counts, reasons, ood)

    def _check_outputs(self, predictions: np.ndarray, flags: dict[str, np.ndarray]) -> None:
        spec = self.spec
        if (spec.output_min is not None or spec.output_max is not None) and (
            predictions.dtype.kind in "fiu"
        ):
            values = predictions.astype(np.float64, copy=False)
            bad = np.zeros(len(values), dtype=bool)
            if spec.output_min is not None:
                bad |= values < spec.output_min
            if spec.output_max is not None:
                bad |= values > spec.output_max
            if bad.any():
                flags["output_bounds"] = bad
        if self.allowed is not None:
            outside = np.array([p not in self.allowed for p in predictions.tolist()])
            if outside.any():
                flags["output_class"] = outside

    def _count(self, predictions: np.ndarray, flags: dict[str, np.ndarray]) -> None:
        """Add the request to the current minute; flag rows of a class past its share."""
        spec = self.spec
        now = time.time()
        with self._lock:
            minute = self._minute
            if now - minute.start >= 60:
                self.closed, minute = minute, _Minute(now // 60 * 60)
                self._minute = minute
            minute.rows += len(predictions)
            if spec.max_class_share is not None:
                values, counts = predictions.tolist(), minute.classes
                for value in values:
                    counts[value] = counts.get(value, 0) + 1
                if minute.rows >= spec.min_rows_for_share:
                    limit = spec.max_class_share * minute.rows
                    over = {value for value in set(values) if counts[value] > limit}
                    if over:
                        flags["output_class_share"] = np.array([v in over for v in values])

    def tally(self, verdict: Verdict | None) -> _Minute | None:
        """Add the verdict to the current minute; return the minute that just closed when
        its violating share passed `alert_rate` (once per minute), else None."""
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
