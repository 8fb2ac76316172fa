"""The guard of the platform's own automatic responses (issue 14): when a policy attaches a
response to a critical alert kind (kill switch, rollback), the platform acts as
`SYSTEM_ACTOR`, whose authority is the policy itself, not a role.

It may only deploy-side and monitor-side actions (`ALLOWED`); everything else is refused and
audited like any refusal. The risk tier's gate still applies: a rollback to a version that no
longer passes it is refused. Only the composition root (`Workspace.system_guard`) builds one.
"""

from __future__ import annotations

from modelward.domain.ports import UnitOfWork
from modelward.domain.roles import Action
from modelward.errors import PermissionDenied
from modelward.governance.guard import PolicyGuard

ALLOWED = frozenset({Action.DEPLOY, Action.MONITOR})


class SystemGuard(PolicyGuard):
    """A `PolicyGuard` acting as the platform (`SYSTEM_ACTOR`), allowed `ALLOWED` actions by
    the policy."""

    def require(self, uow: UnitOfWork, *actions: Action, subject: str = "") -> tuple[str, ...]:
        if any(action in ALLOWED for action in actions):
            return ("system",)
        wanted = " or ".join(action.value for action in actions)
        self.refuse(
            uow,
            PermissionDenied(
                f"The platform's automatic responses may not {wanted}; a person must.",
                user=self.actor,
            ),
            action=wanted,
            subject=subject,
        )
        raise AssertionError("unreachable: refuse raises")  # pragma: no cover
