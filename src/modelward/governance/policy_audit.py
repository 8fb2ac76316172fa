"""Which policies were in force, in the audit trail: a `policy.changed` event each time the
effective policy set (hashed by `policies.policy_hash`) differs from the last one recorded.

Gate decisions record the same hash (`promotion.gate_passed`'s `after["policy_hash"]`), so an
auditor can tell which policies allowed a promotion. Call `record_policy_in_force` when a
workspace opens and whenever the policy file changes.
"""

from __future__ import annotations

from datetime import datetime

from modelward.domain.audit import AuditEvent
from modelward.domain.policy import PolicySet
from modelward.domain.ports import UnitOfWork
from modelward.governance.policies import policy_hash

POLICY_CHANGED = "policy.changed"


def recorded_policy_hash(uow: UnitOfWork) -> str | None:
    """The hash of the policies the audit trail last recorded, inside an open unit of work."""
    last = uow.audit.latest_event(POLICY_CHANGED)
    found = (last.after or {}).get("hash") if last is not None else None
    return found if isinstance(found, str) else None


def record_policy_in_force(
    uow: UnitOfWork,
    policies: PolicySet,
    actor: str,
    now: datetime,
    source: str | None = None,
) -> AuditEvent | None:
    """Append a `policy.changed` event if `policies` differ from the last recorded ones.

    Args:
        uow: A unit of work (opened and committed here).
        policies: The effective policy set now in force.
        actor: Who opened the workspace or changed the file.
        now: The time of the change.
        source: The policy file's path; None for the shipped defaults.

    Returns:
        The event appended, or None when the recorded policies are the same.

    Raises:
        Conflict: another writer appended to the audit trail at the same moment; retry.
    """
    digest = policy_hash(policies)
    with uow:
        uow.audit.lock_head()  # two workspaces opening at once record one change, not two
        previous = recorded_policy_hash(uow)
        if previous == digest:
            return None
        event = uow.audit.append(
            AuditEvent(
                POLICY_CHANGED,
                "policy",
                "policies",
                actor,
                now,
                before={"hash": previous} if previous else None,
                after={"hash": digest, "source": str(source) if source else "defaults"},
            )
        )
        uow.commit()
    return event
