"""The policy's monitoring cadence, as the gate, `governance status` and the inventory read
it: a production deployment whose last monitoring run (its check-in) is older than the
policy's `monitoring_cadence_days` (or that never ran that long after its creation) is
overdue, and the model's next promotion is refused until monitoring runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from modelward.domain.obligations import monitoring_due
from modelward.domain.policy import Policy
from modelward.domain.ports import UnitOfWork


def monitoring_overdue(uow: UnitOfWork, policy: Policy, model: str, *, now: datetime) -> list[str]:
    """The model's production deployments whose monitoring misses the policy's cadence."""
    if not policy.monitoring_required:
        return []
    last = uow.obligations.last_check_ins()
    return [
        dep.name
        for dep in uow.deployments.list_deployments()
        if dep.model == model
        and dep.is_production
        and monitoring_due(
            dep.name, cadence_days=policy.monitoring_cadence_days,
            last_run_at=last.get(dep.name), deployed_at=dep.created_at, now=now,
        ).overdue
    ]  # fmt: skip


def overdue_by_model(
    uow: UnitOfWork, policies: Mapping[str, Policy], *, now: datetime
) -> dict[str, list[str]]:
    """Model -> its overdue production deployments, in two queries for every model."""
    last = uow.obligations.last_check_ins()
    found: dict[str, list[str]] = {}
    for dep in uow.deployments.list_deployments():
        policy = policies.get(dep.model)
        if policy is None or not policy.monitoring_required or not dep.is_production:
            continue
        due = monitoring_due(
            dep.name, cadence_days=policy.monitoring_cadence_days,
            last_run_at=last.get(dep.name), deployed_at=dep.created_at, now=now,
        )  # fmt: skip
        if due.overdue:
            found.setdefault(dep.model, []).append(dep.name)
    return found
