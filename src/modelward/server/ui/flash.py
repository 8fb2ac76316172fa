"""One-time messages after a form post ("flash"): the outcome of the post, shown once on the
page it redirects to, next to the form that was sent.

The text travels in a cookie signed with the server's secret (HMAC-SHA256) and bound to the
session's CSRF token, never in the URL: a link cannot make a page display text of its
choosing, and one user's message cannot be replayed into another's session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from modelward.server.deps import Ctx

COOKIE = "modelward_flash"
MAX_TEXT = 1000


@dataclass(frozen=True)
class Flash:
    """A message: `kind` is "ok" or "error"; `where` names the form it belongs to."""

    text: str
    kind: str = "ok"
    where: str = ""

    @property
    def is_error(self) -> bool:
        return self.kind == "error"


def _sign(ctx: Ctx, payload: str) -> str:
    key = ctx.platform.secret + b"|flash|" + ctx.csrf.encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def redirect(ctx: Ctx, url: str, text: str, *, kind: str = "ok", where: str = "") -> Response:
    """A 303 to `url` (scrolled to `where`) that shows `text` once, next to form `where`."""
    data = {"t": text[:MAX_TEXT], "k": "error" if kind == "error" else "ok", "w": where}
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    response = RedirectResponse(f"{url}#{where}" if where else url, status_code=303)
    response.set_cookie(
        COOKIE, f"{payload}.{_sign(ctx, payload)}", max_age=60, httponly=True, samesite="lax"
    )
    return response


def take(request: Request, ctx: Ctx | None) -> Flash | None:
    """The message waiting in the request's cookie, if it is ours and this session's."""
    cookie = request.cookies.get(COOKIE)
    if ctx is None or not cookie or "." not in cookie or len(cookie) > 4096:
        return None
    payload, _, signature = cookie.rpartition(".")
    if not hmac.compare_digest(signature, _sign(ctx, payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        return Flash(str(data["t"]), str(data["k"]), str(data["w"]))
    except (ValueError, KeyError, TypeError):
        return None


def clear(request: Request, response: Response) -> None:
    """Delete the message cookie once a page has shown it."""
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE)
