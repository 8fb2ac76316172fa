"""The governance queue: what waits for one user (sign-offs their roles can give on versions
under review that they did not build). Read from the inventory's bulk facts: a fixed number
of queries whatever the number of models."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from modelward.domain.governance import Stage, derive_stage, sign_offs_met
from modelward.domain.policy import PolicySet
from modelward.domain.ports import UnitOfWork
from modelward.governance.access import roles_of


@dataclass(frozen=True)
class QueueItem:
    """A version waiting for the user's sign-off in one of `roles`."""

    model: str
    version: int
    roles: tuple[str, ...]
    requested_at: datetime
    created_by: str
    risk_level: str


def review_queue(
    uow: UnitOfWork, *, actor: str, policies: PolicySet, protected: Collection[str]
) -> list[QueueItem]:
    """Versions under review that still need a sign-off in a role `actor` holds, oldest first.

    Versions the actor registered are left out: nobody approves their own version.
    """
    with uow:
        held = set(roles_of(uow, actor, policies.permissions))
        facts = uow.governance.inventory_facts(protected=list(protected))
    items = []
    for model in facts:
        latest = model.latest
        if latest is None or latest.review_requested_at is None or latest.created_by == actor:
            continue
        policy = policies.for_assessment(model.assessment)
        if derive_stage(policy, latest, protected=protected) in (
            Stage.IN_PRODUCTION,
            Stage.RETIRED,
        ):
            continue
        wanted = tuple(r for r in sign_offs_met(policy, latest)[1] if r in held)
        if wanted:
            level = model.assessment.level.value if model.assessment else "unassessed"
            items.append(
                QueueItem(
                    model.name,
                    latest.version,
                    wanted,
                    latest.review_requested_at,
                    latest.created_by,
                    level,
                )
            )
    return sorted(items, key=lambda item: item.requested_at)
