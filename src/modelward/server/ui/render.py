"""Template rendering for the UI pages: one Jinja2 environment (autoescaped), the signed-in
user and the session's CSRF token passed to every page."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from modelward.server.deps import Ctx
from modelward.server.ui import HERE, flash


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    made = Jinja2Templates(directory=str(HERE / "templates"))
    made.env.filters["when"] = _when
    made.env.filters["num"] = _num
    made.env.filters["tojson_safe"] = lambda v: json.dumps(v, default=str).replace("</", "<\\/")
    made.env.filters["day"] = lambda v: v.strftime("%Y-%m-%d") if v else "—"
    from modelward.server.ui.audit_view import describe  # imports this module: here, not on top

    made.env.globals["describe"] = describe
    return made


def render(request: Request, name: str, ctx: Ctx | None, **data: Any) -> HTMLResponse:
    """A page: `data` plus the user and CSRF token of the session (None before sign-in) and
    the one-time message a form post left for it (see `flash`)."""
    context = {
        "user": ctx.actor if ctx else None,
        "csrf": ctx.csrf if ctx else "",
        "flash": flash.take(request, ctx),
    } | data
    page = templates().TemplateResponse(request, name, context)
    flash.clear(request, page)
    return page
