"""Wiring of the platform server: what a route receives (the `Ctx` of one request: units of
work, artifact store, clock, policies, and the authenticated actor).

Routes take ``ctx: CtxDep`` and call services with ``ctx.uow()``, ``actor=ctx.actor`` and
``now=ctx.now()``. Authentication is here: a bearer token (API) or a signed session cookie
(web UI); every route but sign-in needs one, so every write is attributed to a user.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi import Path as PathParam
from sqlalchemy import Engine

from modelward.config import Settings
from modelward.domain.policy import PolicySet
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.tokens import hash_token
from modelward.errors import Unauthenticated
from modelward.governance import tokens
from modelward.server import session
from modelward.store.artifacts import ArtifactStore
from modelward.workspace import Workspace

TOKEN_CACHE_SECONDS = 30.0


@dataclass
class Platform:
    """Everything built once per server process: the workspace (from the composition root)
    and the secret that signs UI sessions."""

    workspace: Workspace
    secret: bytes
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def settings(self) -> Settings:
        return self.workspace.settings

    @property
    def engine(self) -> Engine:
        return self.workspace.engine

    @property
    def artifacts(self) -> ArtifactStore:
        return self.workspace.artifacts

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.workspace.clock

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return self.workspace.uow(read_only=read_only)

    @property
    def policies(self) -> PolicySet:
        return self.workspace.policies

    @property
    def protected(self) -> tuple[str, ...]:
        return self.workspace.protected_aliases

    def user_of_token(self, token: str) -> str:
        """The token's user; a short cache spares a query per request (revocation waits for
        the cache to expire, TOKEN_CACHE_SECONDS).

        Raises:
            Unauthenticated: an unknown or revoked token.
        """
        key = hash_token(token)
        now = time.monotonic()
        with self._lock:
            hit = self._tokens.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        user = tokens.authenticate(self.uow(read_only=True), token=token)
        with self._lock:
            if len(self._tokens) > 10_000:
                self._tokens.clear()
            self._tokens[key] = (user, now + TOKEN_CACHE_SECONDS)
        return user


@dataclass
class Ctx:
    """One request's view of the platform: the actor and the collaborators services need."""

    platform: Platform
    actor: str
    csrf: str = ""

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return self.platform.uow(read_only=read_only)

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


def platform_of(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


def authenticate(request: Request) -> Ctx:
    """The request's actor from `Authorization: Bearer TOKEN`, else from the UI session.

    Raises:
        Unauthenticated: neither a valid token nor a valid session.
    """
    platform = platform_of(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("Send the token as 'Authorization: Bearer <token>'.")
        return Ctx(platform, platform.user_of_token(value.strip()))
    found = session.read(platform.secret, request.cookies.get(session.COOKIE))
    if found is None:
        raise Unauthenticated(
            "Sign in first: send 'Authorization: Bearer <token>' (see 'modelward users token')."
        )
    return Ctx(platform, found.user, csrf=session.csrf_token(platform.secret, found))


CtxDep = Annotated[Ctx, Depends(authenticate)]
PlatformDep = Annotated[Platform, Depends(platform_of)]

# Numbers in paths stay within the store's integer range (a 422, never a driver overflow).
VersionPath = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="Version number.")]
