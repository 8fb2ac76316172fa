"""The policy's automatic responses to critical alerts, and the monitoring cadence.

A policy's ``alert_responses: {performance: rollback, fairness: kill_switch, drift: notify}``
names what runs by itself when a run raises a *critical* alert of that kind: ``notify``
(delivered to the webhook, retried and kept), ``kill_switch`` (the deployment answers its
fallback, or 503 without one) or ``rollback`` (the configuration before the live one serves
again). Kill switch and rollback go through the deploy services with the system guard
(`governance.system_guard`: it may deploy, and the gate still applies), so the deployment's
history and the audit trail name ``system:monitoring``; each response, done or refused, is
also recorded as a ``monitoring.response`` audit event naming the alert.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from modelward.deploy import service as deploy_service
from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import Deployment
from modelward.domain.monitoring import Alert, Severity
from modelward.domain.obligations import MonitoringDue, Response, monitoring_due
from modelward.domain.policy import Policy, PolicySet
from modelward.domain.ports import Guard, UnitOfWork
from modelward.errors import ModelwardError

Notify = Callable[[dict[str, Any]], tuple[str, str]]


def policy_of(uow: UnitOfWork, policies: PolicySet, model: str) -> Policy:
    """The policy of the model's risk level (inside an open unit of work)."""
    return policies.for_assessment(uow.governance.find_assessment(model))


def _act(
    uow: UnitOfWork, response: Response, dep: Deployment, alert: Alert, *,
    system: Guard, notify: Notify | None, fallback: Any,
) -> str:  # fmt: skip
    reason = f"automatic response to critical {alert.kind} alert {alert.id}: {alert.subject}"
    if response is Response.KILL_SWITCH:
        deploy_service.set_kill_switch(
            uow, name=dep.name, killed=True, guard=system, fallback=fallback, reason=reason
        )
        return "kill switch on" + ("" if fallback is None else f" (fallback {fallback!r})")
    if response is Response.ROLLBACK:
        after = deploy_service.rollback(uow, name=dep.name, guard=system, reason=reason)
        return f"rolled back to champion v{after.config.champion}"
    if notify is None:
        return "no webhook configured"
    status, detail = notify({"event": "modelward.monitoring.response", "response": "notify",
                             "deployment": dep.name, "model": dep.model,
                             "alerts": [alert.payload()]})  # fmt: skip
    return f"notified: {status} {detail}".strip()


def respond(
    uow: UnitOfWork,
    dep: Deployment,
    alerts: Iterable[Alert],
    *,
    policy: Policy,
    guard: Guard,
    notify: Notify | None,
    fallback: Any = None,
) -> list[dict[str, Any]]:
    """Run the policy's response to each kind of critical alert once, as `guard` (the system
    guard); audit every outcome."""
    done: list[dict[str, Any]] = []
    for alert, response in _due(alerts, policy):
        try:
            outcome = _act(uow, response, dep, alert, system=guard, notify=notify,
                           fallback=fallback)  # fmt: skip
            ok = True
        except ModelwardError as exc:
            outcome, ok = f"refused: {exc.message}", False
        actor, at = guard.actor, guard.now()
        with uow:
            uow.audit.append(AuditEvent(
                "monitoring.response", "deployment", dep.name, actor, at,
                after={"alert": alert.id, "kind": alert.kind.value, "subject": alert.subject,
                       "response": response.value, "done": ok, "outcome": outcome},
                reason=f"policy {policy.level} alert_responses",
            ))  # fmt: skip
            uow.commit()
        done.append({"alert": alert.id, "kind": alert.kind.value, "response": response.value,
                     "done": ok, "outcome": outcome})  # fmt: skip
    return done


def _due(alerts: Iterable[Alert], policy: Policy) -> list[tuple[Alert, Response]]:
    """The first critical alert of each kind the policy responds to, with its response."""
    found: dict[str, tuple[Alert, Response]] = {}
    for alert in alerts:
        name = policy.alert_responses.get(alert.kind.value)
        if alert.severity is Severity.CRITICAL and name is not None:
            found.setdefault(alert.kind.value, (alert, Response(name)))
    return list(found.values())


def not_run(alerts: Iterable[Alert], policy: Policy) -> list[dict[str, Any]]:
    """The responses due, reported as not run (a process without the system guard)."""
    return [{"alert": a.id, "kind": a.kind.value, "response": r.value, "done": False,
             "outcome": "not run: no system guard in this process"}
            for a, r in _due(alerts, policy)]  # fmt: skip


def monitoring_status(
    uow: UnitOfWork, *, policies: PolicySet, now: datetime, model: str | None = None
) -> list[MonitoringDue]:
    """Per production deployment (of `model`): the policy's cadence and whether it is kept."""
    found = []
    with uow:
        last = uow.obligations.last_check_ins()
        for dep in uow.deployments.list_deployments():
            if (model is not None and dep.model != model) or not dep.is_production:
                continue
            policy = policy_of(uow, policies, dep.model)
            cadence = policy.monitoring_cadence_days if policy.monitoring_required else None
            found.append(monitoring_due(dep.name, cadence_days=cadence,
                                        last_run_at=last.get(dep.name),
                                        deployed_at=dep.created_at, now=now))  # fmt: skip
    return found
