"""MLflow's REST face of the platform server: `/api/2.0/mlflow/*` (and `/ajax-api/2.0/mlflow/*`)
plus the `mlflow-artifacts` proxy, so that the MLflow client logs to and reads from modelward.

Every route goes through the same services, guard and audit trail as `/api/v1`; the routes only
translate MLflow's shapes. Endpoints we do not implement answer MLflow's ENDPOINT_NOT_FOUND.
None of these routes is in the OpenAPI document (tests/compat checks a viewer is refused).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic_core import to_json

from modelward.server.mlflow import artifacts, dispatch, multipart, registry, tracking
from modelward.server.mlflow.protocol import MlflowRoute, not_supported

PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts"
ALL_PREFIXES = (*PREFIXES, ARTIFACTS_PREFIX)  # every path of this face starts with one
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _unsupported(prefix: str) -> APIRouter:
    fallback = APIRouter(route_class=MlflowRoute, include_in_schema=False)

    @fallback.api_route(prefix + "/{rest:path}", methods=ALL_METHODS)
    def endpoint_not_found(request: Request, rest: str) -> JSONResponse:
        return not_supported(request.method, request.url.path)

    return fallback


def _sources() -> list[tuple[str, APIRouter]]:
    """(prefix, router) in matching order: the client's own paths first, the fallbacks last."""
    found: list[tuple[str, APIRouter]] = []
    for prefix in PREFIXES:
        found += [(prefix, tracking.router), (prefix, registry.router), (prefix, artifacts.models)]
    found += [(ARTIFACTS_PREFIX, artifacts.proxy), (ARTIFACTS_PREFIX, multipart.router)]
    return found + [("", _unsupported(prefix)) for prefix in ALL_PREFIXES]


def _answered_in_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A sync endpoint that returns its JSON response itself: FastAPI runs a sync endpoint in
    a worker thread, then hops to a worker thread a second time to serialise what it
    returned; built in the first thread, the answer needs one hop."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    def answered(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        if isinstance(result, Response):
            return result
        # as FastAPI's own fast path for a `dict[str, Any]` answer: pydantic-core's JSON, with
        # NaN and infinities as null
        return Response(to_json(result, inf_nan_mode="null"), media_type="application/json")

    return answered


def add_routes(target: APIRouter) -> dispatch.Table:
    """Every MLflow route: the plain ``(fields, ctx)`` endpoints into the table returned (for
    `dispatch.MlflowDoor`), the others added to `target` itself rather than as included
    routers (FastAPI walks an included router's routes twice per request, once to choose it
    and once inside it; a flat list is matched once, in order)."""
    table: dispatch.Table = {}
    for prefix, source in _sources():
        for route in source.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(f"unexpected route {route!r} in the MLflow face")
            if dispatch.is_plain(route.endpoint) and not route.dependencies:
                for method in route.methods or ():
                    table.setdefault((method, prefix + route.path), route.endpoint)
                continue
            target.add_api_route(
                prefix + route.path,
                _answered_in_thread(route.endpoint),
                methods=sorted(route.methods or ()),
                name=route.name,
                dependencies=list(route.dependencies),
                include_in_schema=False,
                route_class_override=type(route),
            )
    return table
