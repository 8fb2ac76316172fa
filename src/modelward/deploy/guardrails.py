"""Guardrail use-cases: set, read and clear a deployment's guardrails; what the scoring service
reads (the deployment with its spec, a challenger's monitored metrics); the automatic rollback
of a challenger that crossed the canary bounds; and the alert a minute of too many violations
raises.

Every write needs the deploy permission (the alert: the monitor permission) and is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from modelward.deploy import service as deploy
from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import Deployment, Strategy
from modelward.domain.guardrails import (
    CanaryBounds,
    GuardrailSpec,
    MetricReading,
    OnViolation,
    challenger_readings,
)
from modelward.domain.monitoring import Alert, AlertKind, Severity
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.errors import Conflict, InvalidInput


def set_guardrails(
    uow: UnitOfWork, *, name: str, spec: Mapping[str, Any], guard: Guard, reason: str = ""
) -> GuardrailSpec:
    """Store deployment `name`'s guardrails (they replace any earlier ones).

    Raises:
        InvalidInput: a bad spec (the field is named); fallback on violation with no answer.
        NotFound: no such deployment.
        PermissionDenied: the actor may not deploy.
    """
    parsed = GuardrailSpec.parse(spec)
    with uow:
        guard.require(uow, Action.DEPLOY, subject=f"deployment {name}")
        current = uow.deployments.get_deployment(name)
        if parsed.on_violation is OnViolation.FALLBACK and parsed.fallback is None:
            if current.fallback is None:
                raise InvalidInput(
                    f"on_violation 'fallback' needs an answer: give 'fallback' in the guardrails"
                    f' of {name!r} (e.g. {{"fallback": 0}}).'
                )
        before = uow.graph.find_guardrails(name)
        uow.graph.set_guardrails(name, parsed.as_dict(), by=guard.actor, at=guard.now())
        uow.audit.append(
            AuditEvent(
                "deployment.guardrails_set",
                "deployment",
                name,
                guard.actor,
                guard.now(),
                before=before,
                after=parsed.as_dict(),
                reason=reason,
            )  # fmt: skip
        )
        uow.commit()
    return parsed


def clear_guardrails(uow: UnitOfWork, *, name: str, guard: Guard, reason: str = "") -> None:
    """Remove the deployment's guardrails.

    Raises:
        NotFound: no such deployment.
        Conflict: it has none.
        PermissionDenied: the actor may not deploy.
    """
    with uow:
        guard.require(uow, Action.DEPLOY, subject=f"deployment {name}")
        before = uow.graph.find_guardrails(name)
        if before is None:
            raise Conflict(f"Deployment {name!r} has no guardrails to clear.")
        uow.graph.set_guardrails(name, None, by=guard.actor, at=guard.now())
        uow.audit.append(
            AuditEvent(
                "deployment.guardrails_cleared",
                "deployment",
                name,
                guard.actor,
                guard.now(),
                before=before,
                reason=reason,
            )  # fmt: skip
        )
        uow.commit()


def get_guardrails(uow: UnitOfWork, *, name: str) -> GuardrailSpec | None:
    """The deployment's guardrails, or None. Raises NotFound."""
    with uow:
        raw = uow.graph.find_guardrails(name)
    return None if raw is None else GuardrailSpec.parse(raw)


def serving_view(uow: UnitOfWork, *, name: str) -> Deployment:
    """The deployment as the scoring service reads it: with its guardrail spec attached."""
    with uow:
        found = uow.deployments.get_deployment(name)
        return replace(found, guardrails=uow.graph.find_guardrails(name))


RECENT_WINDOWS = 24  # the newest windows canary analysis looks through for a reading


def challenger_figures(
    uow: UnitOfWork,
    *,
    name: str,
    version: int,
    bounds: CanaryBounds,
    since: datetime | None = None,
) -> dict[str, MetricReading]:
    """The challenger `version`'s latest monitored metrics that `bounds` judge, from the
    monitoring windows of deployment `name` ending after `since` (when the challenger was
    put in front of traffic): per metric the newest window's realised value, or its estimate
    where the bound allows (`domain.guardrails.challenger_readings`). Read-only, one query:
    the scoring service's poll thread calls it every poll."""
    if not bounds.metrics:
        return {}
    with uow:
        found = uow.monitoring.recent_windows(name, ending_after=since, limit=RECENT_WINDOWS)
    return challenger_readings(bounds, [(w.start, w.end, w.summary) for w in found], version)


def canary_rollback(
    uow: UnitOfWork,
    *,
    name: str,
    challenger: int,
    breaches: list[str],
    guard: Guard,
) -> Deployment | None:
    """Take the challenger `challenger` out of deployment `name` because it crossed the canary
    bounds (`breaches`, as sentences); the champion answers everything again. Audited as
    ``deployment.canary_rollback`` with the breaches.

    Returns None (nothing changed) when the challenger is no longer there (another replica
    or a person acted first).

    Raises:
        NotFound: no such deployment.
        PermissionDenied: the actor may not deploy.
    """
    with uow:
        live = uow.deployments.get_deployment(name).config
    if live.challenger != challenger:
        return None
    reason = f"canary analysis: v{challenger} crossed its bounds: {'; '.join(breaches)}"
    return deploy._change(
        uow,
        name,
        lambda d: d.next_config(
            challenger=None,
            strategy=Strategy.NONE,
            share=0.0,
            ab_key=None,
            action="canary_rollback",
        ),  # fmt: skip
        guard=guard,
        reason=reason,
    )


def guardrail_alert(
    uow: UnitOfWork,
    *,
    name: str,
    version: int,
    start: datetime,
    end: datetime,
    rows: int,
    violations: Mapping[str, int],
    rate: float,
    guard: Guard,
) -> Alert | None:
    """Raise the alert of one minute whose share of rows breaking a guardrail passed the
    spec's `alert_rate`; None when that minute's alert exists already (another replica).

    Raises:
        NotFound: no such deployment.
        PermissionDenied: the actor may not monitor.
    """
    with uow:
        deployment = uow.deployments.get_deployment(name)
        guard.require(uow, Action.MONITOR, subject=f"deployment {name}")
        broken = sum(violations.values())
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(violations.items()))
        alert = Alert(
            deployment=name, model=deployment.model, version=version,
            kind=AlertKind.GUARDRAIL, severity=Severity.CRITICAL, subject="guardrails",
            message=(
                f"{name}: {broken} of {rows} rows broke a guardrail ({rate:.1%}) between"
                f" {start:%H:%M} and {end:%H:%M} UTC ({kinds})."
            ),
            window_start=start, window_end=end, created_at=guard.now(),
            details={"rows": rows, "violations": dict(violations), "rate": rate},
        )  # fmt: skip
        saved = uow.monitoring.save_alert(alert)
        uow.commit()
    return saved
