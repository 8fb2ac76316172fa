"""Wiring of the platform server: what a route receives (the `Ctx` of one request: units of
work, artifact store, clock, policies, and the authenticated actor).

Routes take ``ctx: CtxDep`` and call services with ``ctx.uow()``, ``actor=ctx.actor`` and
``now=ctx.now()``. Authentication is here: a bearer token (API) or a signed session cookie
(web UI); every route but sign-in needs one, so every write is attributed to a user.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from modelward.domain.policy import PolicySet
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.tokens import ApiToken, hash_token
from modelward.errors import PermissionDenied, Unauthenticated
from modelward.governance import tokens
from modelward.server import session
from modelward.store import predictions
from modelward.store.artifacts import ArtifactStore
from modelward.store.prediction_log import ParquetPredictionLog
from modelward.store.private import private_dir, write_private
from modelward.workspace import OverWorkspace, Workspace

TOKEN_CACHE_SECONDS = 5.0
CHECKPOINT_FILE = "audit-checkpoints.json"  # the workspace file of checkpoint addresses


@dataclass
class Platform(OverWorkspace):
    """Everything built once per server process: the workspace (from the composition root)
    and the secret that signs UI sessions."""

    workspace: Workspace
    secret: bytes
    _tokens: dict[str, tuple[ApiToken, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def policies(self) -> PolicySet:
        return self.workspace.policies

    @property
    def protected(self) -> tuple[str, ...]:
        return self.workspace.protected_aliases

    def cached_token(self, token: str) -> ApiToken | None:
        """The token from the cache (see `token_of`), or None on a miss; no I/O, so the
        event loop may call it.

        Raises:
            Unauthenticated: a cached token that expired since.
        """
        with self._lock:
            hit = self._tokens.get(hash_token(token))
        if hit is None or hit[1] <= time.monotonic():
            return None
        refusal = hit[0].refusal(self.clock())
        if refusal is None:
            return hit[0]
        raise Unauthenticated(refusal, reason="expired")

    def token_of(self, token: str) -> ApiToken:
        """The stored token, if it may be used now.

        Cache: a hit is trusted for TOKEN_CACHE_SECONDS (5 s), and its expiry is checked on
        every hit; revoking through this process's API calls `forget_tokens`, so it takes
        effect at once; a revocation elsewhere (the CLI, another replica) within 5 s. A cache
        miss also writes down the token's last use (at most once a minute per token).

        Raises:
            Unauthenticated: an unknown, expired or revoked token (the message says which).
        """
        cached = self.cached_token(token)
        if cached is not None:
            return cached
        found = tokens.authenticate(self.uow(read_only=True), token=token, now=self.clock())
        tokens.record_use(self.uow(), token=found, now=self.clock())
        with self._lock:
            if len(self._tokens) > 10_000:
                self._tokens.clear()
            self._tokens[hash_token(token)] = (found, time.monotonic() + TOKEN_CACHE_SECONDS)
        return found

    def user_of_token(self, token: str) -> str:
        """The token's user (see `token_of`).

        Raises:
            Unauthenticated: an unknown, expired or revoked token.
        """
        return self.token_of(token).user

    def forget_tokens(self) -> None:
        """Drop the token cache (after a revocation, so that it takes effect at once)."""
        with self._lock:
            self._tokens.clear()


@dataclass
class Ctx:
    """One request's view of the platform: the actor and the collaborators services need."""

    platform: Platform
    actor: str
    csrf: str = ""
    wait: bool = True  # False: units of work raise WouldWait instead of waiting for a lock

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return self.platform.uow(read_only=read_only, wait=self.wait)

    def guard(self) -> Guard:
        """The checks of this request's authenticated actor (every write takes it)."""
        return self.platform.workspace.guard(self.actor, authenticated=True)

    def now(self) -> datetime:
        return self.platform.clock()

    @property
    def artifacts(self) -> ArtifactStore:
        return self.platform.artifacts

    @property
    def policies(self) -> PolicySet:
        return self.platform.policies

    @property
    def protected(self) -> tuple[str, ...]:
        return self.platform.protected

    def common(self) -> dict[str, Any]:
        """The keyword arguments governance services share: policies, actor, now."""
        return {"policies": self.policies, "actor": self.actor, "now": self.now()}

    # -- the stores the client-contract routes need (routes never import store/) -----------

    def prediction_log(self) -> ParquetPredictionLog:
        """The prediction log the workspace's scoring services write."""
        return ParquetPredictionLog(self.platform.settings.resolved_predictions_root())

    def read_predictions(
        self, deployment: str, start: datetime | None, end: datetime | None
    ) -> Any:
        """The logged records of `deployment` (pandas DataFrame; default: the last 7 days)."""
        return predictions.read_predictions(
            self.platform.settings.resolved_predictions_root(), deployment, start, end
        )

    def batch_log(self, deployment: str, model: str, version: int) -> dict[str, Any]:
        """The keyword arguments `serving.batch.score_file` logs predictions with."""
        from modelward.serving import batch

        spec = batch.LogSpec(
            root=self.platform.settings.resolved_predictions_root(),
            deployment=deployment,
            model=model,
            version=version,
        )
        return {
            "log": spec,
            "write_log": partial(
                predictions.write_entries,
                transform=self.platform.workspace.pseudonymiser(deployment),
            ),
            "entry": predictions.PredictionEntry,
        }

    def save_checkpoint_anchors(self, anchors: list[str]) -> None:
        """Write the workspace file of checkpoint addresses (private: 0600)."""
        home = Path(self.platform.settings.home)
        private_dir(home)
        body = json.dumps({"checkpoints": anchors}, indent=1).encode()
        write_private(home / CHECKPOINT_FILE, body)


def platform_of(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELDS = ("csrf_token", "csrf")  # `csrf`: the name the UI's forms have always posted
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def submitted_csrf(request: Request) -> str:
    """The CSRF token a cookie-authenticated write carries: header X-CSRF-Token, else the form
    field `csrf_token` (or `csrf`); "" when none, or when the request needs none."""
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return ""
    header = request.headers.get(CSRF_HEADER, "")
    if header or session.COOKIE not in request.cookies:
        return header
    if request.headers.get("content-type", "").startswith(_FORMS):
        form = await request.form()  # FastAPI parsed it already for form routes: cached
        for name in CSRF_FIELDS:
            value = form.get(name)
            if isinstance(value, str) and value:
                return value
    return ""


async def authenticate(request: Request) -> Ctx:
    """The request's actor from `Authorization: Bearer TOKEN`, else from the UI session.

    A session must have a live server-side row (not signed out, not revoked, not expired:
    one primary-key lookup, no cache). A request authenticated by the session cookie that
    changes something (not GET/HEAD/OPTIONS) must carry the session's CSRF token, on the API
    as on the pages: the browser sends the cookie with a form another site posts, but only
    our pages know the token. A bearer token needs none (a browser never adds it by itself).

    Raises:
        Unauthenticated: neither a valid token nor a live session.
        PermissionDenied: a cookie-authenticated write without the session's CSRF token.
    """
    platform = platform_of(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("Send the token as 'Authorization: Bearer <token>'.")
        value = value.strip()
        # A cached token answers on the event loop; a miss reads (and writes its last use)
        # in a worker thread, like every store call.
        cached = platform.cached_token(value)
        if cached is not None:
            return Ctx(platform, cached.user)
        return Ctx(platform, await run_in_threadpool(platform.user_of_token, value))
    found = session.read(platform.secret, request.cookies.get(session.COOKIE))
    if found is None:
        raise Unauthenticated(
            "Sign in first: send 'Authorization: Bearer <token>' (see 'modelward users token')."
        )
    live = await run_in_threadpool(
        tokens.check_session, platform.uow(read_only=True), nonce=found.nonce, now=platform.clock()
    )
    csrf = session.csrf_token(platform.secret, found)
    # read here, not as a dependency of its own: a bearer-token request (every API client)
    # never needs it, and each dependency costs FastAPI a solve per request
    csrf_submitted = await submitted_csrf(request)
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        csrf.encode(), csrf_submitted.encode()
    ):
        raise PermissionDenied(
            f"{request.method} {request.url.path} came with the web session cookie but without"
            " its CSRF token; send it as header 'X-CSRF-Token' (or form field 'csrf_token'),"
            " reload the page, or call the API with 'Authorization: Bearer <token>'."
        )
    return Ctx(platform, live.user, csrf=csrf)


CtxDep = Annotated[Ctx, Depends(authenticate)]
PlatformDep = Annotated[Platform, Depends(platform_of)]

# Numbers in paths stay within the store's integer range (a 422, never a driver overflow).
VersionPath = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="Version number.")]
