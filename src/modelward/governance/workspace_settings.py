"""Settings of the workspace itself, kept in the metadata store (never in the environment, so
no user's machine can change them): `require_server`.

While `require_server` is on, every local write is refused (the Guard checks it): identities
declared with MODELWARD_USER prove nothing, so changes must go through the platform server,
which authenticates every request. Turning it off therefore takes an authenticated admin.
"""

from __future__ import annotations

from modelward.domain.audit import AuditEvent
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.errors import PermissionDenied


def require_server(uow: UnitOfWork) -> bool:
    """True when the workspace accepts writes only through its platform server."""
    with uow:
        return uow.governance.require_server()


def set_require_server(uow: UnitOfWork, *, guard: Guard, on: bool) -> bool:
    """Turn `require_server` on or off; returns the previous value. Audited.

    Raises:
        PermissionDenied: the actor may not manage roles, or tries to turn it off with an
            identity the server did not authenticate (a local, declared user).
    """
    with uow:
        guard.require(uow, Action.MANAGE_ROLES, subject="workspace")
        if not on and not guard.authenticated:
            guard.refuse(
                uow,
                PermissionDenied(
                    "require_server can only be turned off through the platform server by an"
                    " admin: a local identity is declared, not proven.",
                    user=guard.actor,
                ),
                action="require_server off",
                subject="workspace",
            )
        previous = uow.governance.require_server()
        now = guard.now()
        uow.governance.set_require_server(on, at=now, by=guard.actor)
        uow.audit.append(
            AuditEvent(
                "workspace.require_server",
                "workspace",
                "workspace",
                guard.actor,
                now,
                before={"require_server": previous},
                after={"require_server": on},
            )
        )
        uow.commit()
    return previous
