"""Web UI sessions: a signed cookie (HMAC-SHA256) naming the user, a nonce and an expiry, and
the per-session CSRF token derived from the nonce; plus the pre-session CSRF token of the
sign-in form (a signed double-submit cookie).

The cookie alone is not enough: the server also keeps a row per session, keyed by the sha256
of the nonce (`governance.tokens.check_session`), so that signing out or revoking a user ends
the session on every replica sharing MODELWARD_SECRET_KEY and the database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE = "modelward_session"
LOGIN_COOKIE = "modelward_login"  # the sign-in form's pre-session CSRF nonce
LOGIN_LIFETIME_SECONDS = 3600
LIFETIME_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Session:
    """A signed-in user, the session nonce and when the session expires (epoch seconds)."""

    user: str
    nonce: str
    expires: float


def _sign(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def new_nonce() -> str:
    """A fresh random session nonce (the server stores only its sha256)."""
    return secrets.token_urlsafe(32)


def issue(
    secret: bytes,
    user: str,
    *,
    now: float | None = None,
    nonce: str | None = None,
    expires: float | None = None,
) -> str:
    """The cookie value of a session for `user` (a new nonce unless one is given)."""
    if expires is None:
        expires = (now if now is not None else time.time()) + LIFETIME_SECONDS
    data = {"u": user, "n": nonce or new_nonce(), "e": expires}
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    return f"{payload}.{_sign(secret, payload.encode())}"


def read(secret: bytes, cookie: str | None, *, now: float | None = None) -> Session | None:
    """The session in a cookie, or None when it is missing, forged or expired."""
    if not cookie or "." not in cookie or len(cookie) > 4096:
        return None
    payload, _, signature = cookie.rpartition(".")
    if not hmac.compare_digest(signature, _sign(secret, payload.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        found = Session(str(data["u"]), str(data["n"]), float(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    return found if found.expires > (now if now is not None else time.time()) else None


def csrf_token(secret: bytes, found: Session) -> str:
    """The CSRF token of a session: forms carry it in a hidden field; posts must match it."""
    return _sign(secret, f"csrf:{found.nonce}".encode())


def csrf_ok(secret: bytes, cookie: str | None, submitted: str | None) -> bool:
    """True when `submitted` is the CSRF token of the session in `cookie`."""
    found = read(secret, cookie)
    if found is None or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, found), submitted)


def login_csrf(secret: bytes, nonce: str) -> str:
    """The sign-in form's CSRF token for the pre-session nonce in LOGIN_COOKIE."""
    return _sign(secret, f"login-csrf:{nonce}".encode())


def login_csrf_ok(secret: bytes, nonce: str | None, submitted: str | None) -> bool:
    """True when `submitted` is the sign-in CSRF token of the nonce in LOGIN_COOKIE.

    A cross-site form can post a user and token, but it can neither read the victim's
    LOGIN_COOKIE nor compute its signature without the secret.
    """
    if not nonce or not submitted or len(nonce) > 128:
        return False
    return hmac.compare_digest(login_csrf(secret, nonce), submitted)
