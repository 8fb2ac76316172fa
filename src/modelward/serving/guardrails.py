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
request path. `CanaryWatch` keeps a challenger's error rate, latency p99 and violation rate;
`GuardrailHook.analyze` (the engine's poll thread) asks for its rollback when they cross the
spec's canary bounds.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.guardrails import ArmStats, GuardrailSpec, OnViolation, canary_breaches

log = logging.getLogger("modelward.guardrails")

NUMERIC_KINDS = frozenset({"float", "integer"})
LATENCY_SAMPLES = 5_000  # the challenger's most recent latencies, for its p99


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


@dataclass
class CanaryWatch:
    """A challenger's figures since it was put in front of traffic (one configuration)."""

    deployment: str
    seq: int
    version: int
    requests: int = 0
    errors: int = 0
    rows: int = 0
    violations: int = 0
    latencies: collections.deque[float] = field(
        default_factory=lambda: collections.deque(maxlen=LATENCY_SAMPLES)
    )
    rolled_back: bool = False

    def stats(self) -> ArmStats:
        p99 = float(np.percentile(np.asarray(self.latencies), 99)) if self.latencies else None
        return ArmStats(self.requests, self.errors, p99, self.rows, self.violations)


Alerting = Callable[[str, int, datetime, datetime, int, dict[str, int], float], None]
RollingBack = Callable[[str, int, list[str]], None]


class GuardrailHook:
    """What the scoring engine calls: compile per snapshot, enforce per request, watch the
    challenger, analyze in the poll thread. Callbacks (`on_alert`, `on_rollback`) write
    through the deploy service with a guard; they run off the request path."""

    def __init__(
        self,
        *,
        reference: Callable[[str, int], TrainingReference | None],
        metrics: Any,
        on_alert: Alerting | None = None,
        on_rollback: RollingBack | None = None,
    ) -> None:
        self._reference = reference
        self.metrics = metrics
        self.on_alert, self.on_rollback = on_alert, on_rollback
        self._cache: dict[tuple[int, str, str], Guardrails] = {}
        self.watch: CanaryWatch | None = None
        self._calls = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardrails")

    def compile(self, deployment: Any, models: Mapping[int, Any]) -> dict[int, Guardrails]:
        """The compiled guardrails of each served version (empty without a spec)."""
        raw = deployment.guardrails
        if not raw:
            return {}
        spec = GuardrailSpec.parse(raw)
        fallback = spec.fallback if spec.fallback is not None else deployment.fallback
        key_spec = json.dumps(raw, sort_keys=True, default=str) + json.dumps(fallback, default=str)
        out = {}
        for number, served in models.items():
            key = (number, deployment.model, key_spec)
            if key not in self._cache:
                self._cache[key] = Guardrails(
                    spec, columns=list(served.spec.columns), kinds=list(served.spec.kinds),
                    reference=self._reference(deployment.model, number), fallback=fallback,
                )  # fmt: skip
            out[number] = self._cache[key]
        self._arm_watch(deployment)
        return out

    def _arm_watch(self, deployment: Any) -> None:
        config = deployment.config
        if config.challenger is None:
            self.watch = None
        elif self.watch is None or self.watch.seq != config.seq:
            self.watch = CanaryWatch(deployment.name, config.seq, config.challenger)

    def enforce(
        self,
        guard: Guardrails,
        *,
        deployment: str,
        version: int,
        request_id: str,
        frame: Any,
        predictions: np.ndarray,
        proba: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray | None, Verdict | None]:
        """Check one answered request; count, log and (per the spec) replace what broke."""
        verdict = guard.check(frame, predictions)
        closed = guard.tally(verdict)
        if closed is not None:
            self._alert(deployment, version, closed)
        watch = self.watch
        if watch is not None and watch.version == version and verdict is not None:
            watch.violations += int(verdict.mask.sum())
        if verdict is None:
            return predictions, proba, None
        for kind, count in verdict.counts.items():
            self.metrics.guardrail_violations.labels(deployment, str(version), kind).inc(count)
        self._log(guard, deployment, version, request_id, frame, verdict)
        if guard.spec.on_violation is OnViolation.FALLBACK:
            self.metrics.guardrail_fallbacks.labels(deployment, str(version)).inc(
                int(verdict.mask.sum())
            )
        answered, proba = guard.apply(verdict, predictions, proba)
        return answered, proba, verdict

    def _log(
        self, guard: Guardrails, deployment: str, version: int, request_id: str, frame: Any,
        verdict: Verdict,
    ) -> None:  # fmt: skip
        rows = verdict.rows[:5]  # the first rows in full: enough to investigate, not a dump
        if isinstance(frame, np.ndarray):
            inputs = [dict(zip(guard.columns, frame[i].tolist(), strict=True)) for i in rows]
        else:
            inputs = frame.iloc[rows].to_dict("records")
        log.warning(
            "guardrail violation %s",
            json.dumps(
                {
                    "request_id": request_id,
                    "deployment": deployment,
                    "version": version,
                    "counts": verdict.counts,
                    "rows": verdict.rows[:100],
                    "reasons": verdict.reasons[:5],
                    "inputs": inputs,
                    "action": guard.spec.on_violation.value,
                },
                default=str,
            ),  # fmt: skip
        )

    def observe(self, version: int, *, rows: int, seconds: float, failed: bool = False) -> None:
        """Count one request of `version` for canary analysis (only the challenger's)."""
        watch = self.watch
        if watch is None or watch.version != version:
            return
        watch.requests += 1
        if failed:
            watch.errors += 1
        else:
            watch.rows += rows
            watch.latencies.append(seconds * 1000.0)

    def analyze(self, deployment: Any) -> list[str]:
        """In the poll thread: the canary bounds the challenger crossed; asks for its rollback
        (once) when there are any."""
        watch = self.watch
        raw = deployment.guardrails
        if watch is None or watch.rolled_back or not raw:
            return []
        breaches = canary_breaches(GuardrailSpec.parse(raw).canary, watch.stats())
        if breaches:
            watch.rolled_back = True
            log.error("canary analysis: %s v%s: %s", watch.deployment, watch.version, breaches)
            self.metrics.canary_rollbacks.labels(watch.deployment, str(watch.version)).inc()
            if self.on_rollback is not None:
                self.on_rollback(watch.deployment, watch.version, breaches)
        return breaches

    def _alert(self, deployment: str, version: int, minute: _Minute) -> None:
        start = datetime.fromtimestamp(minute.start, UTC)
        rate = minute.violating / minute.rows
        log.error("guardrail alert: %s v%s: %.1f%% of %d rows", deployment, version, rate * 100,
                  minute.rows)  # fmt: skip
        if self.on_alert is None:
            return
        args = (deployment, version, start, start + timedelta(minutes=1), minute.rows,
                dict(minute.kinds), rate)  # fmt: skip
        try:
            self._calls.submit(self._safely, self.on_alert, *args)
        except RuntimeError:  # shutting down
            pass

    @staticmethod
    def _safely(call: Callable[..., None], *args: Any) -> None:
        try:
            call(*args)
        except Exception:  # an alert that cannot be stored must not stop serving
            log.exception("storing a guardrail alert failed")

    def close(self) -> None:
        self._calls.shutdown(wait=True)
