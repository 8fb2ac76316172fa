"""The platform server: `create_app(settings)` builds the REST API (/api/v1, OpenAPI at /docs)
and the web UI over one metadata store and artifact store.

Run it with `modelward server` (uvicorn, factory mode: settings come from MODELWARD_*).
Several replicas can share PostgreSQL and an object store; set MODELWARD_SECRET_KEY alike on
all of them so UI sessions survive a change of replica.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from modelward.config import Settings
from modelward.server import handlers
from modelward.server.api import (
    admin,
    artifacts,
    deployments,
    governance,
    monitoring,
    registry,
    tokens,
    tracking,
)
from modelward.server.api import validation as validation_api
from modelward.server.deps import Platform
from modelward.workspace import Workspace

API_PREFIX = "/api/v1"


def _platform(settings: Settings) -> Platform:
    secret = (settings.secret_key or secrets.token_hex(32)).encode()
    return Platform(Workspace.open(settings, create=True), secret)


def _api() -> APIRouter:
    api = APIRouter(prefix=API_PREFIX)
    routers = (tracking, artifacts, registry, validation_api, governance, admin, tokens)
    for module in (*routers, deployments, monitoring):
        api.include_router(module.router)
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    """The REST API and the web UI over the stores `settings` name (from MODELWARD_* if None)."""
    settings = settings or Settings()
    platform = _platform(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        platform.workspace.close()

    app = FastAPI(
        title="modelward",
        version="1",
        summary="Track, register, validate, govern, deploy and monitor machine-learning models.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    handlers.install_error_handlers(app)
    handlers.install_request_id(app)
    app.include_router(_api())
    from modelward.server.ui import pages, static_dir

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    app.add_middleware(handlers.BodyLimit, max_bytes=settings.max_request_bytes)
    return app
