"""Who holds which role, with the bootstrap rule, and the permission checks services make.

Bootstrap rule: while no user is registered, the workspace is single-user and the acting user
holds every role. Registering the first user (`modelward users add`) ends that: from then on
an action needs a role that allows it, and unregistered users hold no role. So that nobody is
locked out, whoever registers the first user is registered as admin in the same transaction.
"""

from __future__ import annotations

from modelward.domain.ports import UnitOfWork
from modelward.domain.roles import Action, Permissions
from modelward.errors import PermissionDenied


def is_bootstrap(uow: UnitOfWork) -> bool:
    """True while no user is registered (single-user workspace)."""
    return uow.governance.count_users() == 0


def roles_of(uow: UnitOfWork, user: str, permissions: Permissions) -> tuple[str, ...]:
    """The roles `user` holds: every role while no user is registered, else the stored ones."""
    held = uow.governance.held_roles(user)
    return permissions.roles if held is None else held


def allowed_actions(permissions: Permissions, roles: tuple[str, ...]) -> frozenset[str]:
    """The actions (their values) that one of `roles` allows: which forms a page offers (the
    services check again when a form is sent)."""
    return frozenset(a.value for a in Action if any(permissions.can(r, a) for r in roles))


def require(
    uow: UnitOfWork, user: str, permissions: Permissions, *actions: Action
) -> tuple[str, ...]:
    """Return `user`'s roles if one of them allows one of `actions`.

    Raises:
        PermissionDenied: no role of the user allows any of the actions; the message names
            the roles that would.
    """
    roles = roles_of(uow, user, permissions)
    if any(permissions.can(role, action) for role in roles for action in actions):
        return roles
    if len(actions) == 1:
        permissions.require(user, roles, actions[0])
    allowed = sorted({r for r in permissions.roles for a in actions if permissions.can(r, a)})
    wanted = " or ".join(action.value for action in actions)
    raise PermissionDenied(
        f"{user} ({', '.join(roles) or 'no role'}) may not {wanted}; ask an admin for one of"
        f" these roles: {', '.join(allowed)}.",
        user=user,
    )
