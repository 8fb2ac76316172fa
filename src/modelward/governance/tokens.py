"""API tokens: issue one for a registered user (shown once, stored hashed) and authenticate.

Issuing a token for someone else needs the `manage_roles` action; anyone registered may issue
one for themselves. The server calls `authenticate` on every request.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from modelward.domain.audit import AuditEvent
from modelward.domain.policy import PolicySet
from modelward.domain.ports import UnitOfWork
from modelward.domain.roles import Action
from modelward.domain.tokens import TOKEN_PREFIX, ApiToken, hash_token
from modelward.errors import InvalidInput, NotFound, Unauthenticated
from modelward.governance.access import require


def issue_token(
    uow: UnitOfWork,
    *,
    user: str,
    policies: PolicySet,
    actor: str,
    now: datetime,
    label: str = "",
) -> tuple[str, ApiToken]:
    """Make a random token for `user`; returns (the token text, shown once; its record).

    Raises:
        NotFound: `user` is not registered.
        PermissionDenied: the actor issues a token for someone else without `manage_roles`.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        if uow.governance.find_user(user) is None:
            raise NotFound(
                f"User {user!r} is not registered; run 'modelward users add {user} --role ...'"
                " first."
            )
        if actor != user:
            require(uow, actor, policies.permissions, Action.MANAGE_ROLES)
        record = uow.tokens.save_token(
            ApiToken(hash_token(token), user, now, actor, label=label[:256])
        )
        uow.audit.append(
            AuditEvent(
                "token.issued",
                "user",
                user,
                actor,
                now,
                after={"token_id": record.id, "label": label},
            )
        )
        uow.commit()
    return token, record


def authenticate(uow: UnitOfWork, *, token: str) -> str:
    """The user a token belongs to.

    Raises:
        Unauthenticated: the token is unknown, revoked, or its user was removed.
    """
    if not token or len(token) > 512:
        raise Unauthenticated("Send a valid API token: 'Authorization: Bearer <token>'.")
    with uow:
        found = uow.tokens.find_token(hash_token(token))
        if found is None or found.revoked_at is not None:
            raise Unauthenticated(
                "The API token is unknown or revoked; ask an admin for one with"
                " 'modelward users token NAME'."
            )
        if uow.governance.find_user(found.user) is None:
            raise Unauthenticated(f"The token's user {found.user!r} is no longer registered.")
    return found.user


def check_label(label: str) -> str:
    """A token label: free text up to 256 characters.

    Raises:
        InvalidInput: the label is too long.
    """
    if len(label) > 256:
        raise InvalidInput("A token label has at most 256 characters.", field="label")
    return label
