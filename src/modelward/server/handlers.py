"""Error handlers and request guards of the platform server.

Domain errors go through the one table in `server/errors.py`; FastAPI's validation errors are
re-wrapped as 422 `invalid_input` naming the field; HTTP errors from routing keep their status
with our body; anything else is a bug: 500 with a generic message, logged with the request id.
Web pages get HTML error pages instead (and a redirect to sign-in on 401).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelward import errors
from modelward.server.errors import error_body, status_for

log = logging.getLogger("modelward.server")
SECURITY_HEADERS = (
    # No page of ours may be framed (clickjacking), content types are not sniffed, and links
    # to other sites do not carry our URLs (which hold model names) in the Referer.
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
_HTTP_CODES = {
    400: "invalid_input",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
}


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path.startswith("/static/") or path == "/docs")


def _answer(request: Request, status: int, body: dict[str, Any]) -> Response:
    if not _wants_html(request):
        return JSONResponse(body, status_code=status)
    if status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    message = body["error"]["message"]
    from html import escape

    page = (
        f"<!doctype html><title>{status}</title><link rel=stylesheet href=/static/app.css>"
        f"<main class=error><h1>{status}</h1><p>{escape(message)}</p>"
        "<p><a href=/>Back to the inventory</a></p></main>"
    )
    return HTMLResponse(page, status_code=status)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; every error answer is `{"error": {"code", "message", ...}}`."""

    @app.exception_handler(errors.ModelwardError)
    async def _domain(request: Request, exc: errors.ModelwardError) -> Response:
        details = {k: v for k, v in exc.details.items() if k not in ("code", "message")}
        return _answer(request, status_for(exc), error_body(exc.code, str(exc), **details))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"field": _field(tuple(e.get("loc", ()))), "problem": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"field": "?", "problem": "invalid"}
        message = f"Invalid {first['field']!r}: {first['problem']}."
        body = error_body("invalid_input", message, field=first["field"], problems=problems)
        return _answer(request, 422, body)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return _answer(request, exc.status_code, error_body(code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        request_id = getattr(request.state, "request_id", "-")
        log.error("internal error, request id %s", request_id, exc_info=exc)
        message = f"Internal error; the server log has the details under request id {request_id}."
        body = error_body("internal_error", message, request_id=request_id)
        response = _answer(request, 500, body)
        response.headers["X-Request-ID"] = request_id  # the middleware's answer never came
        return response


access_log = logging.getLogger("modelward.access")


class RequestId:
    """Give every request an id (X-Request-ID in and out) for the log, and write the request's
    access-log line (logger ``modelward.access``, INFO) once its answer has gone out.

    A plain ASGI middleware (not `@app.middleware("http")`, whose per-request task and
    streaming wrapper cost more than many of our handlers): the id goes into the request's
    state (`request.state.request_id`) and onto the answer's start message. uvicorn's own
    access log writes its line before the answer's first byte, on every request's critical
    path (a sixth of an alias lookup's time); this one writes it after the last byte, and says
    more: the time taken and the request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = take_request_id(scope)
        header = (b"x-request-id", request_id.encode("latin-1"))
        status = 500  # unless an answer starts: a bug, answered by the app's handler outside

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0] != b"x-request-id"]
                message["headers"] = [*headers, header]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            log_access(scope, status, time.perf_counter() - started, request_id)


def take_request_id(scope: Scope) -> str:
    """The request's id: the client's X-Request-ID (its first 64 bytes), else a new one; kept
    in the request's state (`request.state.request_id`)."""
    sent = b""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            sent = value[:64]
            break
    # a new id needs to be unique, not secret: 128 bits of the process's PRNG (reseeded in
    # each forked worker) cost a microsecond where uuid4 asks the kernel for randomness
    request_id = sent.decode("latin-1") if sent else f"{random.getrandbits(128):032x}"
    scope.setdefault("state", {})["request_id"] = request_id
    return request_id


def log_access(scope: Scope, status: int, seconds: float, request_id: str) -> None:
    """The access-log line of one answered request (logger ``modelward.access``, INFO);
    nothing when that logger is off (``--no-access-log``)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    client = scope.get("client")
    # the path without its query string: signed part URLs carry their signature there
    args = (
        f"{client[0]}:{client[1]}" if client else "-",
        scope.get("method", "-"),
        scope.get("path", ""),
        scope.get("http_version", "1.1"),
        status,
        seconds * 1000,
        request_id,
    )
    # the record made directly: Logger.info would walk the stack for the caller's file and
    # line, which an access line does not show (a fifth of the line's cost)
    record = access_log.makeRecord(
        access_log.name, logging.INFO, __file__, 0, '%s - "%s %s HTTP/%s" %d %.1fms %s', args, None
    )
    access_log.handle(record)


class BodyLimit:
    """413 for bodies larger than `max_bytes`: by Content-Length up front, else while reading."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # raised inside the app, so its HTTPException handler answers 413
                raise HTTPException(413, self._message())
            return message

        await self.app(scope, counting, send)

    def _message(self) -> str:
        return f"The request body is larger than the server accepts ({self.max_bytes} bytes)."

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = error_body("request_too_large", self._message(), limit=self.max_bytes)
        await JSONResponse(body, status_code=413)(scope, receive, send)
