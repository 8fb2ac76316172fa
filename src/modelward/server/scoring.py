"""The scoring service (``modelward serve``): FastAPI over ``modelward.serving``.

``create_scoring_app()`` with no arguments reads its configuration from the environment
(``MODELWARD_DEPLOYMENT`` over the workspace of ``MODELWARD_HOME``/``MODELWARD_DB_URL``, or
``MODELWARD_BUNDLE`` for a bundle folder), so every uvicorn worker builds the same app. Routes
are thin: parse, call the engine, render; the rules live in ``serving``.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from modelward._version import __version__
from modelward.errors import ModelwardError
from modelward.server.errors import error_body, status_for
from modelward.serving.engine import Answer, ScoringEngine
from modelward.serving.metrics import ServingMetrics
from modelward.serving.payload import (
    CSV,
    PARQUET,
    Batch,
    parse_invocations,
    parse_predict,
    parse_table_file,
)
from modelward.store.predictions import PredictionEntry, PredictionLogger

log = logging.getLogger("modelward.server.scoring")

INLINE_ROWS = 64  # bigger requests score in the thread pool so the event loop stays free
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_JSON = "application/json"
_DUMP = orjson.OPT_SERIALIZE_NUMPY


class _ErrorAnswer(Exception):
    """An HTTP-only refusal (413, 415) raised while reading the request."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content, option=_DUMP), status, headers, media_type=_JSON)


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _workspace_source(deployment: str, settings: Any) -> tuple[Any, ...]:
    """fetch/load/close/reference over the workspace (opened by the composition root; read-only),
    and the workspace; reference gives a version's training sample (for explanations)."""
    from modelward.deploy import guardrails
    from modelward.registry import service as registry_service
    from modelward.workspace import Workspace

    workspace = Workspace.open(settings, create=False)

    def reference(model: str, version: int) -> Any:
        from modelward.serving.notice import reference_sample

        return reference_sample(workspace.uow(read_only=True), workspace.artifacts, model, version)

    def fetch() -> Any:  # the deployment with its guardrail spec
        return guardrails.serving_view(workspace.uow(read_only=True), name=deployment)

    def load(model: str, version: int) -> Any:
        uri = f"models:/{model}/{version}"
        return registry_service.load_model(
            workspace.uow(read_only=True), workspace.artifacts, uri=uri, allow_pickle=True
        )

    return fetch, load, workspace.close, reference, workspace


def _default_settings() -> Any:
    from modelward.config import Settings

    return Settings()


def _build_engine(
    deployment: str | None, bundle: str | Path | None, settings: Any, poll_seconds: float | None
) -> tuple[ScoringEngine, str | Path, Callable[[], None], float, int]:
    if bundle is not None:
        from modelward.serving.bundle import BundleSource

        source = BundleSource(bundle)
        fetch, load, close = source.fetch, source.load, lambda: None
        reference = None  # a bundle carries no training sample: its input example stands in
        # MODELWARD_PREDICTIONS_URL: the shared object store monitoring reads (pods in a cluster)
        root: str | Path = os.environ.get("MODELWARD_PREDICTIONS_URL") or Path(
            os.environ.get("MODELWARD_PREDICTIONS_DIR") or Path(bundle) / "predictions"
        )
        flush = _env_float("MODELWARD_PREDICTIONS_FLUSH_SECONDS", 1.0)
        rows = int(_env_float("MODELWARD_PREDICTIONS_BATCH_ROWS", 10_000))
        poll = 0.0
    else:
        if settings is None:
            from modelward.config import Settings

            settings = Settings()
        assert deployment is not None
        fetch, load, close, reference, workspace = _workspace_source(deployment, settings)
        root = settings.resolved_predictions_root()
        flush, rows = settings.predictions_flush_seconds, settings.predictions_batch_rows
        poll = settings.poll_interval if poll_seconds is None else poll_seconds
    metrics = ServingMetrics()
    engine = ScoringEngine(
        fetch=fetch, load=load, metrics=metrics, poll_seconds=poll, reference=reference
    )
    if bundle is None:
        from modelward.server.scoring_guardrails import workspace_hook

        engine.guardrails = workspace_hook(workspace, settings, metrics)
    return engine, root, close, flush, rows


def create_scoring_app(
    deployment: str | None = None,
    *,
    settings: Any = None,
    bundle: str | Path | None = None,
    poll_seconds: float | None = None,
    log_predictions: bool = True,
) -> FastAPI:
    """The scoring app for `deployment` in the workspace of `settings`, or for a `bundle`.

    With no arguments: ``MODELWARD_BUNDLE`` or ``MODELWARD_DEPLOYMENT`` from the environment.
    """
    bundle = bundle or os.environ.get("MODELWARD_BUNDLE") or None
    deployment = deployment or os.environ.get("MODELWARD_DEPLOYMENT") or None
    if bundle is None and deployment is None:
        raise RuntimeError("Set MODELWARD_DEPLOYMENT (a deployment name) or MODELWARD_BUNDLE.")
    engine, root, close, flush, rows = _build_engine(deployment, bundle, settings, poll_seconds)
    logger: PredictionLogger | None = None
    transform = None  # a bundle has no workspace: no governance tags to pseudonymise by
    if bundle is None and deployment is not None:
        from modelward.server.scoring_privacy import workspace_pseudonymiser

        transform = workspace_pseudonymiser(deployment, settings or _default_settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal logger
        if log_predictions:
            logger = PredictionLogger(
                root, batch_rows=rows, flush_seconds=flush, transform=transform
            )
            engine._sink, engine._entry = logger.log, PredictionEntry
        await run_in_threadpool(engine.start)
        yield
        engine.stop()  # finishes queued shadow scorings, which log too
        if logger is not None:
            logger.close()  # graceful stop: everything queued is written
        close()

    app = FastAPI(title="modelward scoring", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.engine = engine
    app.state.prediction_root = root
    _routes(app, engine)
    return app


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id")
    return given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex


def _kind(request: Request) -> str:
    kind = request.headers.get("content-type", _JSON).split(";")[0].strip().lower()
    return _JSON if kind in ("text/json", "") or kind.endswith("+json") else kind


async def _read_body(request: Request, limit: int, accepted: tuple[str, ...] = (_JSON,)) -> bytes:
    kind = _kind(request)
    if kind not in accepted:
        raise _ErrorAnswer(
            415,
            "unsupported_media_type",
            f"Content type {kind!r} is not accepted; send JSON with Content-Type: {_JSON}"
            + (f", or CSV ({CSV}) or Parquet ({PARQUET})." if CSV in accepted else "."),
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _ErrorAnswer(413, "payload_too_large", _too_large(int(declared), limit))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _ErrorAnswer(413, "payload_too_large", _too_large(size, limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> str:
    return (
        f"The body has {size} bytes or more, over this deployment's limit of {limit}; split the"
        " request into smaller batches (or raise the limit with --max-body-bytes)."
    )


def _answer_body(answer: Answer, deployment: str, model: str) -> dict[str, Any]:
    predictions = answer.predictions
    body: dict[str, Any] = {
        "request_id": answer.request_id,
        "deployment": deployment,
        "model": model,
        "version": answer.version,
        "arm": answer.arm,
        "predictions": predictions.tolist() if predictions.dtype == object else predictions,
    }
    if answer.probabilities is not None:
        body["probabilities"] = answer.probabilities
        body["classes"] = answer.classes
    if answer.explanations is not None:
        body["explanations"] = answer.explanations
    if answer.guardrails is not None:  # rows that broke a guardrail (serving.guardrails)
        body["guardrails"] = {"rows": answer.guardrails.rows, "counts": answer.guardrails.counts}
    return body


def _mlflow_error(status: int, message: str, headers: dict[str, str]) -> Response:
    """MLflow's scoring-server error: 400 BAD_REQUEST for the caller's mistakes (MLflow's own
    codes for the rest), ``{"error_code", "message"}``."""
    if status == 415:
        return _json({"error_code": "BAD_REQUEST", "message": message}, 415, headers)
    mlflow_code = {413: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE"}.get(status)
    if mlflow_code is None:
        mlflow_code, status = ("BAD_REQUEST", 400) if status < 500 else ("INTERNAL_ERROR", 500)
    return _json({"error_code": mlflow_code, "message": message}, status, headers)


def _invocations_input(body: bytes, kind: str) -> Batch:
    return parse_invocations(body) if kind == _JSON else parse_table_file(body, kind)


async def _handle(
    engine: ScoringEngine,
    request: Request,
    parse: Callable[[bytes], Batch],
    full: bool,
    *,
    mlflow: bool = False,
) -> Response:
    """Read, route, score and answer one request; every failure is a JSON error body (MLflow's
    shape with `mlflow`: /invocations)."""
    request_id = _request_id(request)
    headers = {"X-Request-ID": request_id}
    snapshot = engine.current()
    deployment = snapshot.deployment
    accepted = (_JSON, CSV, PARQUET) if mlflow else (_JSON,)
    try:
        engine.admit(snapshot)  # the kill switch refuses before the body is read
        raw = await _read_body(request, deployment.max_body_bytes, accepted)
        batch = _invocations_input(raw, _kind(request)) if mlflow else parse(raw)
        key = request.headers.get("x-routing-key")
        if len(batch) <= INLINE_ROWS:
            answer = engine.predict(snapshot, batch, request_id=request_id, key=key)
        else:
            answer = await run_in_threadpool(
                engine.predict, snapshot, batch, request_id=request_id, key=key
            )
    except _ErrorAnswer as exc:
        engine.metrics.errors.labels(deployment.name, exc.code).inc()
        if mlflow:
            return _mlflow_error(exc.status, exc.message, headers)
        return _json(error_body(exc.code, exc.message, request_id=request_id), exc.status, headers)
    except ModelwardError as exc:
        engine.metrics.errors.labels(deployment.name, exc.code).inc()
        if mlflow:
            return _mlflow_error(status_for(exc), str(exc), headers)
        body = error_body(exc.code, str(exc), request_id=request_id, **exc.details)
        status = status_for(exc)
        if status == 503:  # unavailable for now (kill switch): clients may retry later
            headers = headers | {"Retry-After": "30"}
        return _json(body, status, headers)
    except Exception:
        log.exception("request %s failed", request_id)
        engine.metrics.errors.labels(deployment.name, "internal_error").inc()
        message = f"Internal error; report request id {request_id}."
        if mlflow:
            return _mlflow_error(500, message, headers)
        return _json(error_body("internal_error", message, request_id=request_id), 500, headers)
    answered = _answer_body(answer, deployment.name, deployment.model)
    return _json(answered if full else {"predictions": answered["predictions"]}, 200, headers)


def _routes(app: FastAPI, engine: ScoringEngine) -> None:
    @app.post("/predict")
    async def predict(request: Request) -> Response:
        """Score records, columns, dataframe_split or dataframe_records; 422 lists bad fields."""
        return await _handle(engine, request, parse_predict, True)

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        """MLflow's scoring protocol: JSON with exactly one of the MLflow input fields, or a
        CSV or Parquet body; errors in MLflow's shape (400 BAD_REQUEST)."""
        return await _handle(engine, request, parse_invocations, False, mlflow=True)

    @app.get("/version")
    async def version() -> Response:
        """The server's version as text (MLflow's ScoringServerClient.get_version)."""
        return Response(__version__, media_type="text/plain")

    @app.get("/ping")
    async def ping() -> Response:
        """MLflow's liveness check."""
        return Response("\n", 200 if engine.snapshot is not None else 503)

    @app.get("/health")
    async def health() -> Response:
        """Ready when the live configuration's models are loaded (probe target)."""
        snapshot = engine.snapshot
        if snapshot is None:
            return _json(error_body("not_ready", "Models are still loading."), 503)
        d = snapshot.deployment
        body: dict[str, Any] = {"status": "disabled" if d.killed else "ok", "deployment": d.name}
        body["model"] = d.model
        body |= {"config_seq": d.config.seq, "versions": sorted(snapshot.models)}
        body |= {"strategy": d.config.strategy.value, "killed": d.killed}
        return _json(body)

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text format."""
        return Response(engine.metrics.exposition(), media_type=engine.metrics.content_type)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _json(error_body(code, str(exc.detail)), exc.status_code)
