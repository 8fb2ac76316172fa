"""MLflow's REST protocol: its error bodies and statuses, request fields, and the route class
that answers every failure of an MLflow route the way an MLflow server would.

An MLflow client reads ``{"error_code": ..., "message": ...}`` and raises `MlflowException`
with that code; `get_experiment_by_name` and friends turn ``RESOURCE_DOES_NOT_EXIST`` into
None. So every error of these routes, including authentication and request validation, is
translated here, and never reaches the app's modelward-shaped handlers.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from modelward import errors

# MLflow's error codes (mlflow/protos/databricks.proto) and the statuses its server sends.
_CODES: tuple[tuple[type[errors.ModelwardError], str, int], ...] = (
    (errors.Unauthenticated, "UNAUTHENTICATED", 401),
    (errors.PermissionDenied, "PERMISSION_DENIED", 403),
    (errors.AlreadyExists, "RESOURCE_ALREADY_EXISTS", 400),
    (errors.PolicyViolation, "INVALID_STATE", 400),
    (errors.InvalidTransition, "INVALID_STATE", 400),
    (errors.Conflict, "INVALID_PARAMETER_VALUE", 400),
    (errors.NotFound, "RESOURCE_DOES_NOT_EXIST", 404),
    (errors.InvalidInput, "INVALID_PARAMETER_VALUE", 400),
    (errors.BackendUnavailable, "TEMPORARILY_UNAVAILABLE", 503),
    (errors.ModelwardError, "INTERNAL_ERROR", 500),
)
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"


def mlflow_error(code: str, message: str, status: int) -> JSONResponse:
    """An MLflow error answer: ``{"error_code", "message"}`` with MLflow's HTTP status."""
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


def code_for(exc: errors.ModelwardError) -> tuple[str, int]:
    """MLflow's error code and HTTP status for a domain error."""
    return next((code, status) for cls, code, status in _CODES if isinstance(exc, cls))


def _message(exc: errors.ModelwardError) -> str:
    # A gate refusal lists what is missing in its details: MLflow shows only the message.
    unmet = exc.details.get("missing")
    text = str(exc)
    if isinstance(unmet, list | tuple) and unmet:
        items = "; ".join(str(item) for item in unmet)
        if items not in text:
            text = f"{text} Unmet: {items}"
    return text


def answer_error(exc: Exception) -> Response:
    """The MLflow answer for an exception raised by an MLflow route or its dependencies.

    Raises:
        Exception: anything that is not a domain, validation or HTTP error (a bug: the app's
            handler answers 500 and logs it).
    """
    if isinstance(exc, errors.ModelwardError):
        code, status = code_for(exc)
        return mlflow_error(code, _message(exc), status)
    if isinstance(exc, RequestValidationError):
        problems = exc.errors()
        first = problems[0] if problems else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
        message = f"Invalid value for {where or 'the request'}: {first.get('msg', 'invalid')}."
        return mlflow_error("INVALID_PARAMETER_VALUE", message, 400)
    if isinstance(exc, HTTPException):
        code = {413: "REQUEST_LIMIT_EXCEEDED", 404: ENDPOINT_NOT_FOUND}.get(
            exc.status_code, "BAD_REQUEST"
        )
        return mlflow_error(code, str(exc.detail), exc.status_code)
    raise exc


class MlflowRoute(APIRoute):
    """A route whose failures are answered in MLflow's error shape (see `answer_error`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                if request.headers.get("authorization", "")[:6].lower() == "basic ":
                    request = await basic_as_bearer(request)
                return await handler(request)
            except (errors.ModelwardError, RequestValidationError, HTTPException) as exc:
                return answer_error(exc)

        return handle


_BASIC_REFUSED = (
    "Unknown user or token: with MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, the"
    " password is the user's modelward API token ('modelward users token'), as at sign-in."
)


async def basic_as_bearer(request: Request) -> Request:
    """The request with HTTP Basic credentials (what the MLflow client sends for
    MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD) turned into the bearer token they
    carry. modelward users have no passwords: the password is the user's API token, and it
    must belong to that user, the check the web UI's sign-in makes (user name and token).

    Raises:
        Unauthenticated: malformed credentials, an unknown, expired or revoked token, or a
            token of another user.
    """
    _, _, value = request.headers["authorization"].partition(" ")
    try:
        user, colon, token = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise errors.Unauthenticated(_BASIC_REFUSED) from None
    if not colon or not token.strip():
        raise errors.Unauthenticated(_BASIC_REFUSED)
    token = token.strip()
    platform = request.app.state.platform
    found = platform.cached_token(token) or await run_in_threadpool(platform.token_of, token)
    if not hmac.compare_digest(found.user.encode(), user.strip().encode()):
        raise errors.Unauthenticated(_BASIC_REFUSED)
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"authorization"]
    headers.append((b"authorization", b"Bearer " + token.encode()))
    return Request({**request.scope, "headers": headers}, request.receive)


CACHED_READS: set[Callable[..., Any]] = set()


def cached_read(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark `endpoint` as a read whose answer depends only on the metadata store's content,
    the caller and the request: the MLflow door (`dispatch.MlflowDoor`) may answer it again
    while the store reports no change since (SQLite files only, see `store.sql.changes`).
    Nothing time-dependent may be in such an answer."""
    CACHED_READS.add(endpoint)
    return endpoint


QUICK: set[Callable[..., Any]] = set()


def quick(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark `endpoint` as small and local: at most one unit of work that writes, nothing
    but the metadata store touched (no artifact, no other server). The MLflow door may run it
    on the event loop instead of handing it to a worker thread, with units of work that never
    wait for a lock (``Ctx.wait``); one that would wait is run again in a worker."""
    QUICK.add(endpoint)
    return endpoint


def field(body: dict[str, Any], name: str, *, required: bool = True, default: Any = None) -> Any:
    """A field of an MLflow request (JSON body or query string), checked for presence.

    Raises:
        InvalidInput: a required field is missing (MLflow's INVALID_PARAMETER_VALUE).
    """
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise errors.InvalidInput(f"Missing value for required parameter '{name}'.")
        return default
    return value


def text(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    """A string field (see `field`).

    Raises:
        InvalidInput: missing, or not a string.
    """
    value = field(body, name, required=required, default="")
    if not isinstance(value, str):
        raise errors.InvalidInput(f"Parameter '{name}' must be a string, got {value!r}.")
    return value


def number(body: dict[str, Any], name: str, *, default: int | None = None) -> int:
    """An integer field, which MLflow's JSON may send as a string (int64).

    Raises:
        InvalidInput: missing without a default, or not an integer.
    """
    value = field(body, name, required=default is None, default=default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.InvalidInput(
            f"Parameter '{name}' must be an integer, got {value!r}."
        ) from None


def pairs(items: Any, *, what: str) -> dict[str, str]:
    """MLflow's ``[{"key": k, "value": v}]`` lists (params, tags) as a dict.

    Raises:
        InvalidInput: an item without a key.
    """
    found: dict[str, str] = {}
    for item in items or []:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise errors.InvalidInput(f"Each {what} needs a 'key' and a 'value', got {item!r}.")
        found[item["key"]] = "" if item.get("value") is None else str(item["value"])
    return found


BODY_METHODS = frozenset({"POST", "PATCH", "DELETE", "PUT"})  # MLflow sends a JSON body


def query_fields(query_string: bytes) -> dict[str, Any]:
    """MLflow's GET fields: the query string, a repeated key as the list of its values."""
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key not in fields:
            fields[key] = value
        elif isinstance(fields[key], list):
            fields[key].append(value)
        else:
            fields[key] = [fields[key], value]
    return fields


def body_fields(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body (an empty body: no fields).

    Raises:
        InvalidInput: a body that is not a JSON object.
    """
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise errors.InvalidInput("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise errors.InvalidInput("The request body must be a JSON object.")
    return body


async def request_fields(request: Request) -> dict[str, Any]:
    """The fields of an MLflow request: the JSON body (POST/PATCH/DELETE/PUT) over the query
    string (GET sends its fields there, lists as repeated keys).

    Raises:
        InvalidInput: a body that is not a JSON object.
    """
    fields = query_fields(request.scope.get("query_string", b""))
    if request.method in BODY_METHODS:
        fields.update(body_fields(await request.body()))
    return fields


def not_supported(method: str, path: str) -> JSONResponse:
    """MLflow's answer for an endpoint this server does not implement."""
    return mlflow_error(
        ENDPOINT_NOT_FOUND,
        f"modelward does not support MLflow endpoint {method} {path}; see the 'Coming from"
        " MLflow' documentation page for what is supported.",
        404,
    )
