"""API tokens and web sessions: issue, authenticate, list and revoke them, with the rules of who
may do what, and the audit events (`token.issued`, `token.revoked`, `user.revoked`).

Who may issue a token depends on whether the actor is *authenticated* (the server: the actor
is the owner of a bearer token or a session) or only *claimed* (local mode: MODELWARD_USER):

- authenticated: anyone registered may issue their own token; for someone else the actor
  needs `manage_roles`.
- claimed (local): only one's own token, and never for a user who may manage roles (an admin
  token would turn a claimed identity into an authenticated admin). Two exceptions: bootstrap
  (no user registered yet: the actor is registered as admin and gets their own token) and
  break glass (no user who may manage roles holds a working token any more: an admin may
  issue their own, with an explicit flag, and the audit event says so).

Listing and revoking: one's own tokens always; anyone's with `manage_roles`.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from modelward.domain.audit import AuditEvent
from modelward.domain.policy import PolicySet
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.roles import Action, Role
from modelward.domain.tokens import (
    DEFAULT_TOKEN_DAYS,
    LAST_USED_RESOLUTION,
    MAX_TOKEN_DAYS,
    TOKEN_PREFIX,
    ApiToken,
    RevokedUser,
    WebSession,
    hash_token,
)
from modelward.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from modelward.governance.access import is_bootstrap, require, roles_of
from modelward.governance.users import grant_roles

# Sessions are forgotten this long after they expired (a replayed cookie is refused either way).
SESSION_RETENTION = timedelta(days=1)


def _may_manage(uow: UnitOfWork, user: str, policies: PolicySet) -> bool:
    roles = roles_of(uow, user, policies.permissions)
    return any(policies.permissions.can(role, Action.MANAGE_ROLES) for role in roles)


def check_days(days: int) -> int:
    """A token lifetime in days: 1 to MAX_TOKEN_DAYS.

    Raises:
        InvalidInput: out of range.
    """
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"A token lives 1 to {MAX_TOKEN_DAYS} days, not {days}; pass --expires-days N.",
            field="expires_days",
        )
    return days


def _check_local_issue(
    uow: UnitOfWork, *, user: str, actor: str, policies: PolicySet, now: datetime, glass: bool
) -> None:
    privileged = _may_manage(uow, user, policies)
    if actor != user:
        own = "" if privileged else f", or let {user} run 'modelward users token {user}' locally"
        raise PermissionDenied(
            f"{actor} may not issue a token for {user} in local mode, where the acting user comes"
            " from MODELWARD_USER and is not authenticated; issue tokens for other users through"
            f" the server as an admin (MODELWARD_SERVER_URL and an admin's MODELWARD_TOKEN){own}.",
            user=actor,
        )
    if not privileged:
        if glass:
            raise InvalidInput(
                f"--break-glass is only for a user who may manage roles; {user} may not.",
                field="break_glass",
            )
        return
    if not glass:
        raise PermissionDenied(
            f"{user} may manage roles, and in local mode MODELWARD_USER is not authenticated:"
            f" an admin's token is issued through the server by an authenticated admin"
            f" ('modelward users token {user}' with MODELWARD_SERVER_URL and an admin's"
            " MODELWARD_TOKEN). If no admin can sign in any more, see --break-glass in"
            " 'modelward users token --help'.",
            user=actor,
        )
    working = [
        t
        for t in uow.tokens.list_tokens()
        if t.refusal(now) is None and _may_manage(uow, t.user, policies)
    ]
    if working:
        raise PermissionDenied(
            f"Break glass is refused: {working[0].user} (token {working[0].id}) can still sign"
            f" in as an admin; ask them to issue the token through the server.",
            user=actor,
        )


def issue_token(
    uow: UnitOfWork,
    *,
    user: str,
    guard: Guard,
    label: str = "",
    expires_days: int = DEFAULT_TOKEN_DAYS,
    break_glass: bool = False,
) -> tuple[str, ApiToken]:
    """Make a random token for `user`; returns (the token text, shown once; its record).

    Whether the actor proved who they are (`guard.authenticated`: True on the server, False in
    local mode where the actor is MODELWARD_USER) decides; the module docstring has the rules.

    Raises:
        InvalidInput: a bad label or lifetime, or break glass where it does not apply.
        NotFound: `user` is not registered (and this is not the bootstrap).
        PermissionDenied: the actor may not issue this token (see the module docstring).
    """
    policies, actor, now = guard.policies, guard.actor, guard.now()
    authenticated = guard.authenticated  # proven by the server, or declared locally
    check_label(label)
    check_days(expires_days)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    bootstrap = False
    with uow:
        if uow.governance.find_user(user) is None:
            if not (is_bootstrap(uow) and actor == user and not authenticated):
                raise NotFound(
                    f"User {user!r} is not registered; run 'modelward users add {user} --role"
                    " ...' first."
                )
            # Bootstrap: the first user gets their own token and becomes admin, as 'users add'.
            grant_roles(uow, user, [Role.ADMIN.value], actor=actor, now=now)
            bootstrap = True
        elif authenticated:
            if actor != user:
                guard.require(uow, Action.MANAGE_ROLES)
            if break_glass:
                raise InvalidInput(
                    "--break-glass is for local mode only; through the server an admin issues"
                    " tokens.",
                    field="break_glass",
                )
        else:
            _check_local_issue(
                uow, user=user, actor=actor, policies=policies, now=now, glass=break_glass
            )
        record = uow.tokens.save_token(
            ApiToken(
                hash_token(token),
                user,
                now,
                actor,
                label=label,
                expires_at=now + timedelta(days=expires_days),
            )
        )
        after: dict[str, object] = {
            "token_id": record.id,
            "label": label,
            "expires_at": record.expires_at.isoformat() if record.expires_at else None,
            "authenticated": authenticated,
        }
        if bootstrap:
            after["bootstrap"] = True
        if break_glass:
            after["break_glass"] = True
        uow.audit.append(AuditEvent("token.issued", "user", user, actor, now, after=after))
        uow.commit()
    return token, record


def authenticate(uow: UnitOfWork, *, token: str, now: datetime) -> ApiToken:
    """The stored token of `token`, if it may be used at `now`.

    Raises:
        Unauthenticated: the token is unknown, expired or revoked, or its user was removed;
            the message says which and how to get a new one.
    """
    if not token or len(token) > 512:
        raise Unauthenticated("Send a valid API token: 'Authorization: Bearer <token>'.")
    with uow:
        found = uow.tokens.find_token(hash_token(token))
        if found is None:
            raise Unauthenticated(
                "The API token is unknown; ask an admin for one ('modelward users token NAME')."
            )
        refusal = found.refusal(now)
        if refusal is not None:
            raise Unauthenticated(refusal, reason="revoked" if found.revoked_at else "expired")
        if uow.governance.find_user(found.user) is None:
            raise Unauthenticated(f"The token's user {found.user!r} is no longer registered.")
    return found


def record_use(uow: UnitOfWork, *, token: ApiToken, now: datetime) -> bool:
    """Write down that `token` was used at `now`, at most once per LAST_USED_RESOLUTION.

    Returns True when a write was made. A conditional update, so concurrent requests write
    once.
    """
    if token.id is None or not token.needs_touch(now):
        return False
    with uow:
        uow.tokens.touch_token(token.id, at=now, older_than=now - LAST_USED_RESOLUTION)
        uow.commit()
    return True


def list_tokens(
    uow: UnitOfWork, *, policies: PolicySet, actor: str, user: str | None = None
) -> list[ApiToken]:
    """Tokens of `user` (None: everyone's for an actor who may manage roles, else the actor's).

    Raises:
        PermissionDenied: the actor lists someone else's tokens without `manage_roles`.
    """
    with uow:
        if user is None and not _may_manage(uow, actor, policies):
            user = actor
        if user is not None and user != actor:
            require(uow, actor, policies.permissions, Action.MANAGE_ROLES)
        return uow.tokens.list_tokens(user)


def revoke_token(uow: UnitOfWork, *, token_id: int, guard: Guard) -> ApiToken:
    """Revoke one token (and the web sessions signed in with it); returns its record.

    Revoking a revoked token changes nothing and records nothing (safe to repeat).

    Raises:
        NotFound: no token has this id.
        PermissionDenied: someone else's token, without `manage_roles`.
    """
    actor, now = guard.actor, guard.now()
    with uow:
        found = uow.tokens.find_token_by_id(token_id)
        if found is None:
            raise NotFound(f"No API token has id {token_id}; see 'modelward tokens list'.")
        if found.user != actor:
            guard.require(uow, Action.MANAGE_ROLES)
        if found.revoked_at is not None:
            return found
        uow.tokens.revoke_tokens(at=now, by=actor, token_id=token_id)
        ended = uow.tokens.revoke_sessions(at=now, token_id=token_id)
        uow.audit.append(
            AuditEvent(
                "token.revoked",
                "user",
                found.user,
                actor,
                now,
                after={"token_id": token_id, "sessions": ended},
            )
        )
        uow.commit()
    return replace(found, revoked_at=now, revoked_by=actor)


def revoke_user(uow: UnitOfWork, *, user: str, guard: Guard) -> RevokedUser:
    """Revoke every token and web session of `user` (their roles stay).

    Raises:
        NotFound: `user` is not registered.
        PermissionDenied: someone else, without `manage_roles`.
    """
    actor, now = guard.actor, guard.now()
    with uow:
        if uow.governance.find_user(user) is None:
            raise NotFound(f"User {user!r} is not registered; see 'modelward users list'.")
        if user != actor:
            guard.require(uow, Action.MANAGE_ROLES)
        tokens = uow.tokens.revoke_tokens(at=now, by=actor, user=user)
        sessions = uow.tokens.revoke_sessions(at=now, user=user)
        uow.audit.append(
            AuditEvent(
                "user.revoked",
                "user",
                user,
                actor,
                now,
                after={"tokens": tokens, "sessions": sessions},
            )
        )
        uow.commit()
    return RevokedUser(user, tokens, sessions)


def start_session(
    uow: UnitOfWork, *, token: ApiToken, nonce: str, now: datetime, lifetime: timedelta
) -> WebSession:
    """Record a web session for the owner of `token` (it ends with the token at the latest)."""
    expires = now + lifetime
    if token.expires_at is not None:
        expires = min(expires, token.expires_at)
    found = WebSession(hash_token(nonce), token.user, now, expires, token_id=token.id)
    with uow:
        uow.tokens.delete_sessions_expired_before(now - SESSION_RETENTION)
        uow.tokens.save_session(found)
        uow.commit()
    return found


def check_session(uow: UnitOfWork, *, nonce: str, now: datetime) -> WebSession:
    """The live session of a cookie's nonce (one primary-key lookup).

    Raises:
        Unauthenticated: no such session, or it was signed out, revoked or expired.
    """
    with uow:
        found = uow.tokens.find_session(hash_token(nonce))
    if found is None or not found.alive(now):
        why = "has ended"
        if found is not None:
            why = "was signed out or revoked" if found.revoked_at else "has expired"
        raise Unauthenticated(f"Your web session {why}; sign in again at /login.")
    return found


def end_session(uow: UnitOfWork, *, nonce: str, now: datetime) -> None:
    """Sign out: revoke the session of a cookie's nonce (a replayed cookie is then refused)."""
    with uow:
        uow.tokens.revoke_sessions(at=now, session_id=hash_token(nonce))
        uow.commit()


def check_label(label: str) -> str:
    """A token label: free text up to 256 characters.

    Raises:
        InvalidInput: the label is too long.
    """
    if len(label) > 256:
        raise InvalidInput("A token label has at most 256 characters.", field="label")
    return label
