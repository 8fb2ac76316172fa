"""The platform server: `create_app(settings)` builds the REST API (/api/v1, OpenAPI at /docs)
and the web UI over one metadata store and artifact store.

Run it with `modelward server` (uvicorn, factory mode: settings come from MODELWARD_*).
Several replicas can share PostgreSQL and an object store; set MODELWARD_SECRET_KEY alike on
all of them so UI sessions survive a change of replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelward._version import __version__
from modelward.config import Settings
from modelward.errors import InvalidInput
from modelward.server import handlers
from modelward.server import mlflow as mlflow_face
from modelward.server.api import (
    admin,
    artifacts,
    deployments,
    evidence,
    explanations,
    governance,
    graph,
    monitoring,
    privacy,
    registry,
    tokens,
    tracking,
)
from modelward.server.api import obligations as obligations_api
from modelward.server.api import validation as validation_api
from modelward.server.deps import Platform
from modelward.server.errors import error_body
from modelward.server.handlers import SECURITY_HEADERS
from modelward.server.mlflow.dispatch import MlflowDoor
from modelward.server.mlflow.dispatch import Table as MlflowTable
from modelward.serving.payload import MAX_JSON_DEPTH, json_depth_exceeds
from modelward.tracking import service as tracking_service
from modelward.workspace import Workspace

API_PREFIX = "/api/v1"
log = logging.getLogger("modelward.server")


def _json_body(scope: Scope, first_chunk: bytes) -> bool:
    # FastAPI parses a body as JSON when its type says so, or when it has no type at all.
    headers: dict[bytes, bytes] = dict(scope.get("headers", []))
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if kind:
        return kind == b"application/json" or kind.endswith(b"+json")
    return first_chunk.lstrip()[:1] in (b"[", b"{")


class JsonDepthLimit:
    """422 for JSON bodies nested deeper than `max_depth`, before anything parses them (parsers
    and code that walks the result raise RecursionError near 1,000 levels: a 500).

    Runs inside BodyLimit, so at most `max_request_bytes` are buffered; bodies that are not
    JSON (blob and artifact uploads) pass through streamed.
    """

    def __init__(self, app: ASGIApp, *, max_depth: int) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        try:
            first = await receive()
            if first["type"] != "http.request" or not _json_body(scope, first.get("body", b"")):
                await self.app(scope, _replay([first], receive), send)
                return
            messages = [first]
            while messages[-1]["type"] == "http.request" and messages[-1].get("more_body"):
                messages.append(await receive())
        except HTTPException as exc:  # BodyLimit's 413, raised while we read
            await JSONResponse(error_body("request_too_large", str(exc.detail)), exc.status_code)(
                scope, receive, send
            )
            return
        body = b"".join(m.get("body", b"") for m in messages)
        if json_depth_exceeds(body, self.max_depth):
            message = (
                f"The JSON body is nested more than {self.max_depth} levels deep; send flatter"
                " data (lists of records, objects of a few levels)."
            )
            answer = error_body(InvalidInput.code, message, limit=self.max_depth)
            await JSONResponse(answer, status_code=422)(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class SecurityHeaders:
    """Add `SECURITY_HEADERS` to every response (pages, API, static files and errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _platform(settings: Settings) -> Platform:
    secret = (settings.secret_key or secrets.token_hex(32)).encode()
    return Platform(Workspace.open(settings, create=True), secret)


REAP_EVERY_SECONDS = 60.0


def reap_once(platform: Platform) -> list[str]:
    """Mark RUNNING runs whose heartbeats stopped as FAILED (see tracking.reap_stale_runs)."""
    timeout = timedelta(seconds=platform.settings.run_heartbeat_timeout)
    try:
        return tracking_service.reap_stale_runs(
            platform.uow(), now=platform.clock(), timeout=timeout
        )
    except Exception:  # the database may be briefly away; the next round retries
        log.warning("reaping stale runs failed", exc_info=True)
        return []


async def _reap_periodically(platform: Platform) -> None:
    # At start-up, then every minute: one indexed query when nothing is stale.
    while True:
        reaped = await anyio.to_thread.run_sync(reap_once, platform)
        if reaped:
            log.info("marked %d run(s) without heartbeat as FAILED: %s", len(reaped), reaped)
        await asyncio.sleep(REAP_EVERY_SECONDS)


def _api() -> APIRouter:
    api = APIRouter(prefix=API_PREFIX)
    routers = (tracking, artifacts, registry, validation_api, governance, admin, tokens)
    for module in (
        *routers,
        deployments,
        explanations,
        monitoring,
        evidence,
        graph,
        obligations_api,
        privacy,
    ):
        api.include_router(module.router)
    return api


def _bug_answers_with_security_headers(app: FastAPI) -> None:
    # The handler of unexpected exceptions answers from outside every middleware.
    bug = app.exception_handlers[Exception]

    async def _bug(request: Request, exc: Exception) -> Response:
        response = await bug(request, exc)  # type: ignore[misc]
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name.decode(), value.decode())
        return response  # type: ignore[no-any-return]

    app.exception_handlers[Exception] = _bug


class PrefixDispatch:
    """Send requests whose path starts with one of `prefixes` to the app `to`, the others on.

    MLflow's artifact and logged-model routes are a FastAPI app of their own behind this
    switch: FastAPI matches a path against every route in order, twice (once to choose an
    included router, once inside it), and with the UI and `/api/v1` in front, choosing the
    route cost more than a small request's work. Both apps share the platform (workspace,
    guard, audit) and sit inside the same body limits and security headers.
    """

    def __init__(self, app: ASGIApp, *, prefixes: tuple[str, ...], to: ASGIApp) -> None:
        self.app = app
        self.prefixes = tuple(p.rstrip("/") + "/" for p in prefixes)
        self.to = to

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            await self.to(scope, receive, send)
            return
        await self.app(scope, receive, send)


class PlatformApp(FastAPI):
    """The server's FastAPI app, with the MLflow door (`mlflow.dispatch.MlflowDoor`) in front
    of its middleware stack: the door answers the MLflow client's JSON calls itself, with the
    same authentication, limits, request id, access log and security headers, and passes every
    other request to the stack."""

    door: MlflowTable | None = None  # the MLflow endpoints the door answers itself

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.door is None:
            return stack
        platform: Platform = self.state.platform
        changes = platform.workspace.changes
        return MlflowDoor(
            stack,
            self.door,
            max_bytes=platform.settings.max_request_bytes,
            max_depth=MAX_JSON_DEPTH,
            changes=changes.value if changes else None,
        )


def _mlflow_app(platform: Platform) -> tuple[FastAPI, MlflowTable]:
    """The MLflow face: the table of its plain JSON endpoints (for the door), and a FastAPI
    app of its own for the rest. Failures are answered in MLflow's shape; a bug still gets our
    500 body with the request id, as on every other route."""
    face = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    face.state.platform = platform
    handlers.install_error_handlers(face)
    _bug_answers_with_security_headers(face)
    table = mlflow_face.add_routes(face.router)
    return face, table


def create_app(settings: Settings | None = None) -> FastAPI:
    """The REST API and the web UI over the stores `settings` name (from MODELWARD_* if None)."""
    settings = settings or Settings()
    platform = _platform(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reaper = asyncio.create_task(_reap_periodically(platform))
        yield
        reaper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reaper
        platform.workspace.close()

    app = PlatformApp(
        title="modelward",
        version=__version__,
        summary="Track, register, validate, govern, deploy and monitor machine-learning models.",
        lifespan=lifespan,
        docs_url=None,  # served by ui.api_docs with local assets (works offline)
        redoc_url=None,
    )
    app.state.platform = platform
    handlers.install_error_handlers(app)
    _bug_answers_with_security_headers(app)
    app.include_router(_api())
    from modelward.server.ui import api_docs, pages, static_dir

    app.include_router(pages.router)
    app.include_router(api_docs.router)
    app.mount(api_docs.ASSETS, StaticFiles(directory=api_docs.swagger_dir()), name="swagger")
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    # MLflow's REST API, same services and guard: the JSON calls at the door in front of
    # the middleware (see PlatformApp), the rest in an app of its own (see PrefixDispatch)
    face, app.door = _mlflow_app(platform)
    app.add_middleware(PrefixDispatch, prefixes=mlflow_face.ALL_PREFIXES, to=face)
    app.add_middleware(handlers.RequestId)
    app.add_middleware(JsonDepthLimit, max_depth=MAX_JSON_DEPTH)  # inside BodyLimit
    app.add_middleware(handlers.BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: also on answers of the other middleware
    return app
