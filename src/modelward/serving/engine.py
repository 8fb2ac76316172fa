"""The scoring engine: the live deployment snapshot, routing, prediction, shadow scoring and
prediction logging. Framework-free; ``modelward.server.scoring`` puts HTTP around it.

A background thread polls the deployment every ``poll_seconds``: a new configuration, the kill
switch or new settings take effect at the next poll, without a restart. New versions are loaded
in that thread before the switch, and loaded models are cached by version.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.deployment import Deployment, UnseenCategories
from modelward.errors import InvalidInput
from modelward.registry.flavors import LoadedModel
from modelward.serving import explain, fastpath, routing
from modelward.serving.guardrail_hook import GuardrailHook
from modelward.serving.metrics import ServingMetrics
from modelward.serving.payload import Batch, InputSpec

log = logging.getLogger("modelward.serving")

Fetch = Callable[[], Deployment]
Load = Callable[[str, int], LoadedModel]
Sink = Callable[[Any], None]  # takes a store.predictions.PredictionEntry-like object
EntryFactory = Callable[..., Any]
SHADOW_BACKLOG = 1_000


@dataclass(frozen=True)
class ServedModel:
    """A loaded version, its compiled input spec and, when safe, its numeric fast path."""

    version: int
    loaded: LoadedModel
    spec: InputSpec
    classes: list[Any] | None
    fast: Any = None  # a copy taking float matrices (see serving.fastpath), or None
    argmax: bool = False  # predictions = classes[argmax(probabilities)]

    @classmethod
    def build(cls, version: int, loaded: LoadedModel, spec: InputSpec) -> ServedModel:
        fast = fastpath.numpy_model(loaded, spec.columns) if spec.numeric else None
        classes = loaded.classes_
        argmax = (
            fast is not None
            and loaded.has_predict_proba
            and fastpath.predicts_by_argmax(loaded.model)
        )
        return cls(version, loaded, spec, None if classes is None else list(classes), fast, argmax)

    def run(self, data: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions and, where the model has them, class probabilities.

        Raises:
            InvalidInput: the model refused the input (its message is passed on).
        """
        model = self.loaded
        try:
            if self.fast is not None:
                matrix = data if isinstance(data, np.ndarray) else data.to_numpy(np.float64)
                return self._run_fast(matrix)
            if isinstance(data, np.ndarray):
                data = pd.DataFrame(data, columns=self.spec.columns, copy=False)
            if model.flavor == "python_function":
                return np.asarray(model.model(data)), None
            predictions = np.asarray(model.model.predict(data))
            proba = np.asarray(model.model.predict_proba(data)) if model.has_predict_proba else None
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                f"Model v{self.version} could not score the input: {exc}", problems=[str(exc)]
            ) from exc
        return predictions, proba

    def _run_fast(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if self.argmax:
            proba = np.asarray(self.fast.predict_proba(matrix))
            return np.asarray(self.fast.classes_)[proba.argmax(axis=1)], proba
        predictions = np.asarray(self.fast.predict(matrix))
        has_proba = self.loaded.has_predict_proba
        return predictions, np.asarray(self.fast.predict_proba(matrix)) if has_proba else None


@dataclass(frozen=True)
class Snapshot:
    """What one request reads: swapped as a whole, never mutated."""

    deployment: Deployment
    models: dict[int, ServedModel]
    guards: dict[int, Any] = field(default_factory=dict)  # version -> compiled Guardrails


@dataclass(frozen=True)
class Answer:
    """The result of one prediction request.

    A fallback answer (the kill switch is on) has arm ``"fallback"``, no version, no
    probabilities and no classes: no model was called.
    """

    request_id: str
    version: int | None
    arm: str
    predictions: np.ndarray
    probabilities: np.ndarray | None
    classes: list[Any] | None
    rows: int
    guardrails: Any = None  # the Verdict when a row broke a guardrail (serving.guardrails)
    explanations: list[dict[str, Any]] | None = None  # per row, when the deployment explains


def _constant(value: Any, rows: int) -> np.ndarray:
    """`value` in every row of an object array (lists and dicts stay whole, one per row)."""
    out = np.empty(rows, dtype=object)
    out.fill(value)
    return out


def _columns(data: Any, names: list[str]) -> dict[str, Any]:
    if isinstance(data, np.ndarray):  # the fast path's matrix: column views, no copies
        return {name: data[:, j] for j, name in enumerate(names)}
    return {str(c): data[c].to_numpy() for c in data.columns}


class ScoringEngine:
    """Routes, scores and logs requests for one deployment."""

    def __init__(
        self,
        *,
        fetch: Fetch,
        load: Load,
        metrics: ServingMetrics,
        sink: Sink | None = None,
        entry: EntryFactory | None = None,
        poll_seconds: float = 1.0,
        reference: explain.Reference | None = None,
    ) -> None:
        self._fetch = fetch
        self._load = load
        self.metrics = metrics
        self._sink = sink
        self._entry = entry
        self.poll_seconds = poll_seconds
        self._cache: dict[tuple[int, str, bool, bool], ServedModel] = {}
        self.snapshot: Snapshot | None = None
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._shadow = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shadow")
        self._shadow_pending = 0
        self.explainers = explain.Explainers(reference)
        self.guardrails: GuardrailHook | None = None  # attached by the face when it has specs

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Load the live configuration (blocking: the service is ready after), then poll."""
        self.refresh()
        if self.poll_seconds > 0:
            self._poller = threading.Thread(target=self._poll, name="config-poll", daemon=True)
            self._poller.start()

    def stop(self) -> None:
        """Stop polling and finish queued shadow scorings."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=10)
        self._shadow.shutdown(wait=True)
        if self.guardrails is not None:
            self.guardrails.close()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
                if self.guardrails is not None and self.snapshot is not None:
                    self.guardrails.analyze(self.snapshot.deployment)  # canary analysis
            except Exception:  # keep serving the last good snapshot; the next poll retries
                log.exception("refreshing the deployment failed; serving the previous config")

    def refresh(self) -> None:
        """Fetch the deployment; load missing versions; swap the snapshot in one assignment."""
        deployment = self._fetch()
        current = self.snapshot
        if current is not None and current.deployment == deployment:
            return
        strict = deployment.unseen_categories is UnseenCategories.REJECT
        models = {}
        for number in deployment.config.versions():
            key = (number, deployment.model, strict, deployment.allow_missing)
            served = self._cache.get(key)
            if served is None:
                loaded = self._load(deployment.model, number)
                spec = InputSpec(
                    loaded.signature, strict=strict, allow_missing=deployment.allow_missing
                )
                served = ServedModel.build(number, loaded, spec)
                self._cache[key] = served
            models[number] = served
        if deployment.explain_top:
            self.explainers.prepare(deployment.model, models)
        guards = self.guardrails.compile(deployment, models) if self.guardrails else {}
        self.snapshot = Snapshot(deployment, models, guards)
        self.metrics.config_seq.labels(deployment.name).set(deployment.config.seq)

    # -- requests ------------------------------------------------------------------------------

    def current(self) -> Snapshot:
        snapshot = self.snapshot
        assert snapshot is not None, "start() the engine first"
        return snapshot

    def admit(self, snapshot: Snapshot) -> None:
        """Refuse every request up front while the kill switch allows no answer at all.

        Faces call it before reading a request body, so a disabled deployment answers at once.

        Raises:
            DeploymentDisabled: the deployment is killed and has no fallback answer.
        """
        routing.kill_switch(snapshot.deployment)

    def predict(self, snapshot: Snapshot, batch: Batch, *, request_id: str, key: Any) -> Answer:
        """Score `batch` with the version the routing rules pick; log it; shadow-score it.

        While the kill switch is on, no model is called: the answer is the deployment's
        fallback for every row (arm ``"fallback"``, not logged), or a refusal.

        Raises:
            InvalidInput: the input does not match the signature (every problem listed).
            DeploymentDisabled: the deployment is killed and has no fallback answer.
        """
        deployment = snapshot.deployment
        fallback = routing.kill_switch(deployment)
        if fallback is not None:
            rows, answer = len(batch), _constant(fallback.value, len(batch))
            return Answer(request_id, None, routing.FALLBACK, answer, None, None, rows)
        started = time.perf_counter()
        config = deployment.config
        if key is None and config.ab_key:
            key = batch.first(config.ab_key)
        picked = routing.route(config, request_id=request_id, key=None if key is None else str(key))
        served = snapshot.models[picked.version]
        frame = served.spec.prepare(batch)
        hook, verdict = self.guardrails, None
        try:
            predictions, proba = served.run(frame)
        except Exception:
            if hook is not None:  # a challenger's failures count for canary analysis
                hook.observe(picked.version, rows=0, seconds=0.0, failed=True)
            raise
        answer, answer_proba = predictions, proba  # the log keeps the model's own
        if snapshot.guards and picked.version in snapshot.guards and hook is not None:
            answer, answer_proba, verdict = hook.enforce(
                snapshot.guards[picked.version], deployment=deployment.name,
                version=picked.version, request_id=request_id, frame=frame,
                predictions=predictions, proba=proba,
            )  # fmt: skip
        explained = None
        if deployment.explain_top:
            explained = self.explainers.explain(deployment.model, served, frame)
        elapsed = time.perf_counter() - started
        if hook is not None:
            hook.observe(picked.version, rows=len(frame), seconds=elapsed)
        self.metrics.observe(deployment.name, picked.version, picked.arm, len(frame), elapsed)
        self._log(
            deployment,
            served,
            picked.arm,
            request_id,
            frame,
            predictions,
            proba,
            elapsed,
            explained,
        )
        if picked.shadow_version is not None:
            self._submit_shadow(snapshot, picked.shadow_version, batch, request_id)
        scored = Answer(
            request_id, picked.version, picked.arm, answer, answer_proba, served.classes,
            len(frame), verdict,
        )  # fmt: skip
        if explained is None:
            return scored
        return replace(scored, explanations=explained.rows(deployment.explain_top))

    def _log(
        self,
        deployment: Deployment,
        served: ServedModel,
        arm: str,
        request_id: str,
        frame: Any,
        predictions: np.ndarray,
        proba: np.ndarray | None,
        elapsed: float,
        explained: explain.Explained | None = None,
    ) -> None:
        if self._sink is None or self._entry is None:
            return
        # serialised by the log's writer thread, off the answer's path
        extra = {} if explained is None else {"explanations": explained.log_column}
        self._sink(
            self._entry(
                request_id=request_id,
                ts=datetime.now(UTC),
                deployment=deployment.name,
                model=deployment.model,
                version=served.version,
                arm=arm,
                latency_ms=elapsed * 1000.0,
                inputs=_columns(frame, served.spec.columns),
                predictions=predictions,
                probabilities=proba,
                **extra,
            )
        )

    def _submit_shadow(
        self, snapshot: Snapshot, version: int, batch: Batch, request_id: str
    ) -> None:
        if self._shadow_pending >= SHADOW_BACKLOG:
            self.metrics.shadow_dropped.labels(snapshot.deployment.name).inc()
            return
        self._shadow_pending += 1
        try:
            self._shadow.submit(self._score_shadow, snapshot, version, batch, request_id)
        except RuntimeError:  # shutting down
            self._shadow_pending -= 1

    def _score_shadow(
        self, snapshot: Snapshot, version: int, batch: Batch, request_id: str
    ) -> None:
        """Off the response path: the challenger's answer is logged (arm "shadow"), never sent."""
        try:
            started = time.perf_counter()
            served = snapshot.models[version]
            frame = served.spec.prepare(batch)
            predictions, proba = served.run(frame)
            elapsed = time.perf_counter() - started
            name = snapshot.deployment.name
            hook = self.guardrails
            if hook is not None:  # the shadow's violations and latency count for its analysis
                if version in snapshot.guards:
                    hook.enforce(snapshot.guards[version], deployment=name, version=version,
                                 request_id=request_id, frame=frame, predictions=predictions,
                                 proba=proba)  # fmt: skip
                hook.observe(version, rows=len(frame), seconds=elapsed)
            self.metrics.observe(name, version, routing.SHADOW, len(frame), elapsed)
            self._log(
                snapshot.deployment,
                served,
                routing.SHADOW,
                request_id,
                frame,
                predictions,
                proba,
                elapsed,
            )
        except InvalidInput:
            self.metrics.errors.labels(snapshot.deployment.name, "shadow_invalid_input").inc()
            self._shadow_failed(version)
        except Exception:
            log.exception("shadow scoring of request %s failed", request_id)
            self.metrics.errors.labels(snapshot.deployment.name, "shadow_error").inc()
            self._shadow_failed(version)
        finally:
            self._shadow_pending -= 1

    def _shadow_failed(self, version: int) -> None:
        if self.guardrails is not None:  # the shadow's failures count for canary analysis
            self.guardrails.observe(version, rows=0, seconds=0.0, failed=True)
