"""The API docs page (Swagger UI) served whole by the app: its JavaScript and CSS come from
the `fastapi-offline` package (Swagger UI 5, which reads the OpenAPI 3.1 schema FastAPI
writes; the `swagger-ui-bundle` package ships Swagger UI 4, which cannot), mounted at
/static/swagger, so the page works offline and loads nothing from a CDN. Only the assets
are used, not the package's app class."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
ASSETS = "/static/swagger"


def swagger_dir() -> Path:
    """The folder of Swagger UI's built assets (shipped in the fastapi-offline package)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """Swagger UI over /openapi.json, with every asset served by this server."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="modelward API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )
