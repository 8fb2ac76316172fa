"""MLflow's REST face of the platform server: `/api/2.0/mlflow/*` (and `/ajax-api/2.0/mlflow/*`)
plus the `mlflow-artifacts` proxy, so that the MLflow client logs to and reads from modelward.

Every route goes through the same services, guard and audit trail as `/api/v1`; the routes only
translate MLflow's shapes. Endpoints we do not implement answer MLflow's ENDPOINT_NOT_FOUND.
None of these routes is in the OpenAPI document (tests/compat checks a viewer is refused).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from modelward.server.mlflow import artifacts, registry, tracking
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


def build_router() -> APIRouter:
    """Every MLflow route, then the ENDPOINT_NOT_FOUND fallbacks (matched last)."""
    router = APIRouter(include_in_schema=False)
    for prefix in PREFIXES:
        router.include_router(tracking.router, prefix=prefix)
        router.include_router(artifacts.models, prefix=prefix)
        router.include_router(registry.router, prefix=prefix)
    router.include_router(artifacts.proxy, prefix=ARTIFACTS_PREFIX)
    for prefix in (*PREFIXES, ARTIFACTS_PREFIX):
        router.include_router(_unsupported(prefix))
    return router


router = build_router()
