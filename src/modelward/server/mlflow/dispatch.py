"""The MLflow face's front door: one dictionary lookup sends the client's JSON calls to their
endpoint; every other request (the UI, `/api/v1`, MLflow's artifact paths and logged models,
unknown endpoints) goes on through the app's middleware and routes as before.

Almost every MLflow endpoint is ``def endpoint(fields, ctx) -> dict``: the request's fields
(query string and JSON body) and the authenticated `Ctx` (`deps.authenticate`, the function
every other route depends on, after `protocol.basic_as_bearer` for MLflow's Basic
credentials). For those, the general path cost more than the endpoint's own work: eight
middleware layers each wrapping the answer, FastAPI matching the path against each route in
turn, solving the dependency graph and opening an exit stack. Resolving an alias through the
MLflow client spent more time there than reading the alias. This door takes the same steps
directly, in one place:

- the request id (X-Request-ID in and out) and the access-log line after the answer
  (`handlers.take_request_id`, `handlers.log_access`);
- the body limit (``max_request_bytes``) and the JSON depth limit, before parsing;
- authentication, then the endpoint in a worker thread (the guard and audit live in the
  services it calls, as for every face). The small calls a training loop makes all the time,
  marked `protocol.quick` (log a metric, a param, a tag or a small batch; create, read or end a
  run), run on the event loop instead when the store is a SQLite file, with units of work that
  never wait for SQLite's lock: the two thread switches cost more than the work. If another
  writer holds the lock, the unit of work gives way before writing anything (`WouldWait`) and
  the call is run again in a worker thread, where it waits as any other;
- failures in MLflow's shape (`protocol.answer_error`); a bug is logged with the request id
  and answered as MLflow's INTERNAL_ERROR naming that id, never with its details;
- the security headers on every answer (`handlers.SECURITY_HEADERS`);
- for the reads marked `protocol.cached_read` (an alias lookup, a version), the answer kept
  for the same caller and request while the metadata store reports no commit since it was
  computed (`store.sql.changes`: SQLite's own change counter, so a change by any process, the
  CLI included, is seen on the next request). Such a repeat skips the worker thread and the
  database; PostgreSQL has no such counter, and its reads are never kept.

`tests/compat/test_mlflow_door.py` checks each of these on the door's own routes. An endpoint
with any other signature (a path parameter, the raw request) stays a FastAPI route.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelward import errors
from modelward.domain.ports import WouldWait
from modelward.server.deps import Ctx, authenticate
from modelward.server.handlers import SECURITY_HEADERS, log_access, take_request_id
from modelward.server.mlflow.protocol import (
    BODY_METHODS,
    CACHED_READS,
    QUICK,
    answer_error,
    basic_as_bearer,
    body_fields,
    mlflow_error,
    query_fields,
)
from modelward.serving.payload import json_depth_exceeds

Endpoint = Callable[[dict[str, Any], Ctx], Any]
Table = dict[tuple[str, str], Endpoint]
KEPT_ANSWERS = 4096  # cached reads kept per process; all are dropped when full
KEPT_KEY_CHARS = 1024  # a request whose key is longer is answered, never kept (memory bound)
QUICK_BYTES = 16 * 1024  # a quick endpoint runs on the event loop with at most this much body
# The door's threads, shared by every door of the process: handing a call to anyio's pool (a
# capacity limiter and a cancellation checkpoint on the way) cost more than a plain executor.
# At most 40 endpoints run at once, as in Starlette's pool.
_WORKERS = ThreadPoolExecutor(40, thread_name_prefix="mlflow-door")
log = logging.getLogger("modelward.server")


def is_plain(endpoint: Callable[..., Any]) -> bool:
    """Whether `endpoint` is a sync ``(fields, ctx)`` endpoint the door can call itself."""
    if inspect.iscoroutinefunction(endpoint):
        return False
    return list(inspect.signature(endpoint).parameters) == ["fields", "ctx"]


class TooLarge(Exception):
    """The request body is over the server's limit (answered 413 REQUEST_LIMIT_EXCEEDED)."""


class MlflowDoor:
    """ASGI app in front of the server's middleware: ``(method, path)`` in `table` is
    answered here (see the module docstring); everything else goes to `app`."""

    def __init__(
        self,
        app: ASGIApp,
        table: Table,
        *,
        max_bytes: int,
        max_depth: int,
        changes: Callable[[], int | None] | None = None,
    ) -> None:
        self.app = app
        self.table = table
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.changes = changes
        self._kept: dict[str, tuple[int, bytes]] = {}

    async def _in_worker(self, endpoint: Endpoint, fields: dict[str, Any], ctx: Ctx) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_WORKERS, _answered, endpoint, fields, ctx)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http":
            endpoint = self.table.get((scope["method"], scope["path"]))
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = take_request_id(scope)
        try:
            status, body = await self._answer(endpoint, scope, receive)
        except Exception:  # a bug: logged in full, answered without its details
            log.exception("internal error, request id %s", request_id)
            message = (
                f"Internal error; the server log has the details under request id {request_id}."
            )
            status, body = 500, _error_bytes("INTERNAL_ERROR", message)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode("latin-1")),
            *SECURITY_HEADERS,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        log_access(scope, status, time.perf_counter() - started, request_id)  # after the answer

    async def _answer(
        self, endpoint: Endpoint, scope: Scope, receive: Receive
    ) -> tuple[int, bytes]:
        try:
            raw = await self._body(scope, receive) if scope["method"] in BODY_METHODS else b""
            # authentication may read the body too (a web session's CSRF token in a form)
            request = Request(scope, _replay(raw, receive))
            if request.headers.get("authorization", "")[:6].lower() == "basic ":
                request = await basic_as_bearer(request)
            ctx = await authenticate(request)
            fields = query_fields(scope.get("query_string", b""))
            if raw:
                if json_depth_exceeds(raw, self.max_depth):
                    raise errors.InvalidInput(
                        f"The JSON body is nested more than {self.max_depth} levels deep;"
                        " send flatter data."
                    )
                fields.update(body_fields(raw))
            if self.changes is not None and endpoint in QUICK and len(raw) <= QUICK_BYTES:
                try:  # on the event loop: two thread switches cost more than the work
                    return 200, _answered(endpoint, fields, replace(ctx, wait=False))
                except WouldWait:  # another writer holds SQLite's lock: wait in a worker
                    pass
            if self.changes is None or endpoint not in CACHED_READS:
                return 200, await self._in_worker(endpoint, fields, ctx)
            return 200, await self._kept_or_answered(endpoint, fields, ctx, scope)
        except TooLarge:
            message = (
                f"The request body is larger than the server accepts ({self.max_bytes} bytes)."
            )
            return 413, _error_bytes("REQUEST_LIMIT_EXCEEDED", message)
        except (errors.ModelwardError, HTTPException) as exc:
            answer = answer_error(exc)
            return answer.status_code, bytes(answer.body)

    async def _kept_or_answered(
        self, endpoint: Endpoint, fields: dict[str, Any], ctx: Ctx, scope: Scope
    ) -> bytes:
        """A cached read: the kept answer if the store has not changed since it was computed.

        The counter is read before the endpoint runs: a commit after that moment changes it,
        so an answer is only ever kept under a number no older than the data it shows.
        """
        assert self.changes is not None
        stamp = self.changes()  # never waits for a lock: None when the store is busy
        # the fields may hold lists (repeated keys): the key is their text
        key = repr((ctx.actor, scope["method"], scope["path"], fields))
        kept = self._kept.get(key)
        if stamp is not None and kept is not None and kept[0] == stamp:
            return kept[1]
        body = await self._in_worker(endpoint, fields, ctx)
        if stamp is not None and len(key) <= KEPT_KEY_CHARS:
            if len(self._kept) >= KEPT_ANSWERS:
                self._kept.clear()
            self._kept[key] = (stamp, body)
        return body

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        """The whole body, refused (TooLarge) as soon as it is known to be over the limit."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                raise TooLarge
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                raise HTTPException(400, "The client disconnected before sending its body.")
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                raise TooLarge
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for a body already read: the body once, then what the client sends next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _answered(endpoint: Endpoint, fields: dict[str, Any], ctx: Ctx) -> bytes:
    # in the worker thread: the endpoint, then its JSON (MLflow's NaN and infinities are null)
    from pydantic_core import to_json

    return to_json(endpoint(fields, ctx), inf_nan_mode="null")


def _error_bytes(code: str, message: str) -> bytes:
    return bytes(mlflow_error(code, message, 500).body)
