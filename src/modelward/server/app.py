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

from modelward._version import __version__
from modelward.config import Settings
from modelward.server import handlers
from modelward.server.api import (
    admin,
    artifacts,
    deployments,
    governance,
    monitoring,
    registry,
    tracking,
)
from modelward.server.api import validation as validation_api
from modelward.server.deps import Platform
from modelward.store.artifacts import ArtifactStore
from modelward.store.sql import engine as sql_engine

API_PREFIX = "/api/v1"


def _platform(settings: Settings) -> Platform:
    if settings.resolved_db_url().startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    engine = sql_engine.make_engine(settings.resolved_db_url())
    sql_engine.ensure_schema(engine)
    secret = (settings.secret_key or secrets.token_hex(32)).encode()
    return Platform(settings, engine, ArtifactStore(settings.resolved_artifact_url()), secret)


def _api() -> APIRouter:
    api = APIRouter(prefix=API_PREFIX)
    routers = (tracking, artifacts, registry, validation_api, governance, admin, deployments)
    for module in (*routers, monitoring):
        api.include_router(module.router)
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    """The REST API and the web UI over the stores `settings` name (from MODELWARD_* if None)."""
    settings = settings or Settings()
    platform = _platform(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        platform.engine.dispose()

    app = FastAPI(
        title="modelward",
        version=__version__,
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
