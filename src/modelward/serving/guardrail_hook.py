"""The guardrails' hook in the scoring engine (see ``serving.guardrails`` for the checks): compile
per snapshot, enforce per request (count, log, fall back), watch a challenger for canary
analysis, and hand alerts and rollbacks to callbacks off the request path."""

from __future__ import annotations

import collections
import json
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from modelward.domain.guardrails import (
    ArmStats,
    CanaryBounds,
    GuardrailSpec,
    MetricReading,
    OnViolation,
    canary_breaches,
    metric_breaches,
)
from modelward.serving.guardrails import Guardrails, TrainingReference, Verdict, _Minute

log = logging.getLogger("modelward.guardrails")

LATENCY_SAMPLES = 5_000  # the challenger's most recent latencies, for its p99


@dataclass
class CanaryWatch:
    """A challenger's figures since it was put in front of traffic (one configuration)."""

    deployment: str
    seq: int
    version: int
    since: datetime | None = None  # when the configuration put it in front of traffic
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
# (deployment, challenger version, since, bounds) -> its latest monitored metrics
Monitored = Callable[[str, int, datetime | None, CanaryBounds], Mapping[str, MetricReading]]


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
        monitored: Monitored | None = None,
    ) -> None:
        self._reference = reference
        self.metrics = metrics
        self.on_alert, self.on_rollback = on_alert, on_rollback
        self.monitored = monitored
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
            since = getattr(config, "created_at", None)
            self.watch = CanaryWatch(deployment.name, config.seq, config.challenger, since)

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
        """In the poll thread: the canary bounds the challenger crossed — its error rate,
        latency p99 and violation rate in this process, and its latest monitored metrics
        (one read through `monitored` when the bounds name any); asks for its rollback (once)
        when there are any."""
        watch = self.watch
        raw = deployment.guardrails
        if watch is None or watch.rolled_back or not raw:
            return []
        bounds = GuardrailSpec.parse(raw).canary
        breaches = canary_breaches(bounds, watch.stats())
        if bounds.metrics and self.monitored is not None:
            try:
                readings = self.monitored(watch.deployment, watch.version, watch.since, bounds)
            except Exception:  # the store is down: judge what this process saw, retry next poll
                log.warning("reading the challenger's monitored metrics failed", exc_info=True)
                readings = {}
            breaches += metric_breaches(bounds, readings)
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
