"""Users and their roles: register users, grant roles, and say who the actor is.

The bootstrap rule (everyone holds every role until the first user is registered) is in
`access.py`; what each role may do is `domain.roles`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from modelward.domain.audit import AuditEvent
from modelward.domain.governance import User
from modelward.domain.names import check_name
from modelward.domain.policy import PolicySet
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.roles import Action, Role
from modelward.errors import InvalidInput
from modelward.governance.access import is_bootstrap, roles_of


def grant_roles(
    uow: UnitOfWork, name: str, roles: Sequence[str], *, actor: str, now: datetime
) -> User:
    """Register `name` if new and add `roles`, with the audit event, in an open unit of work."""
    before = uow.governance.find_user(name)
    user = uow.governance.add_user_roles(name, roles, at=now, by=actor)
    uow.audit.append(
        AuditEvent(
            "user.roles_granted",
            "user",
            name,
            actor,
            now,
            before={"roles": list(before.roles)} if before else None,
            after={"roles": list(user.roles)},
        )
    )
    return user


def add_user(
    uow: UnitOfWork,
    *,
    name: str,
    roles: Sequence[str],
    guard: Guard,
) -> User:
    """Register `name` (if new) and grant `roles`.

    The first user registered ends the single-user bootstrap; the actor is then registered
    as admin too, in the same transaction, so that someone can still manage roles.

    Raises:
        InvalidInput: a bad name, no role, or an unknown role.
        PermissionDenied: users exist and the actor may not manage roles.
    """
    policies, actor, now = guard.policies, guard.actor, guard.now()
    check_name(name, what="user")
    if not roles:
        raise InvalidInput(f"Give {name} at least one role with --role.")
    for role in roles:
        policies.permissions.check_role(role)
    with uow:
        if is_bootstrap(uow):
            if actor != name:
                grant_roles(uow, actor, [Role.ADMIN.value], actor=actor, now=now)
            else:
                roles = [*roles, Role.ADMIN.value]
        else:
            guard.require(uow, Action.MANAGE_ROLES)
        user = grant_roles(uow, name, roles, actor=actor, now=now)
        uow.commit()
    return user


def list_users(uow: UnitOfWork) -> list[User]:
    """Registered users with their roles, by name."""
    with uow:
        return uow.governance.list_users()


@dataclass(frozen=True)
class Identity:
    """Who the actor is and what they hold."""

    user: str
    roles: tuple[str, ...]
    bootstrap: bool  # True: no user registered, the actor holds every role


def whoami(uow: UnitOfWork, *, actor: str, policies: PolicySet) -> Identity:
    """The actor's roles, and whether the workspace is still single-user."""
    with uow:
        return Identity(actor, roles_of(uow, actor, policies.permissions), is_bootstrap(uow))
