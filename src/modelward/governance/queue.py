"""The governance queue: what waits for one user (sign-offs their roles can give on versions
under review that they did not build). Read from the inventory's bulk facts: a fixed number
of queries whatever the number of models."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from modelward.domain.governance import Stage, derive_stage, pending_sign_offs
from modelward.domain.policy import PolicySet
from modelward.domain.ports import UnitOfWork
from modelward.governance.access import roles_of
from modelward.governance.service import gate_checklist


@dataclass(frozen=True)
class QueueItem:
    """A version waiting for the user's sign-off in one of `roles`."""

    model: str
    version: int
    roles: tuple[str, ...]
    requested_at: datetime
    created_by: str
    risk_level: str
    comment: str = ""  # what the requester told reviewers
    gate_missing: tuple[str, ...] = ()  # the gate items still unmet (empty: ready)

    @property
    def gate_ready(self) -> bool:
        """Every gate item is met but the sign-offs (an outstanding rejection included: its
        author's approval, which this queue asks for, withdraws it)."""
        return all(m.startswith("sign_off.") or m == "rejections" for m in self.gate_missing)

    def age_days(self, now: datetime) -> int:
        """Whole days since the review was requested."""
        return max(0, (now - self.requested_at).days)


def review_queue(
    uow: UnitOfWork,
    *,
    actor: str,
    policies: PolicySet,
    protected: Collection[str],
    now: datetime | None = None,
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
        # A rejected request has left the queue until the version is put up for review again.
        wanted = tuple(r for r in pending_sign_offs(policy, latest) if r in held)
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
    items = sorted(items, key=lambda item: item.requested_at)
    return _with_details(uow, items, policies=policies, now=now) if now else items


def _with_details(
    uow: UnitOfWork, items: list[QueueItem], *, policies: PolicySet, now: datetime
) -> list[QueueItem]:
    """The items with the request's comment and the gate's unmet items (what a reviewer
    reads before opening the model)."""
    done = []
    with uow:
        for item in items:
            requests = uow.governance.list_review_requests(item.model, item.version)
            version = uow.registry.get_version(item.model, item.version)
            gate = gate_checklist(uow, version, policies=policies, now=now)
            comment = requests[-1].comment if requests else ""
            done.append(replace(item, comment=comment, gate_missing=tuple(gate.missing)))
    return done
