"""Findings and waivers: one public function per user action, one transaction each, every
change audited in the same transaction. The rules are in `domain/findings.py`; the gate reads
findings and waivers in `service._decide`.

Who may do what: recording and updating findings needs `record_finding` (validators, risk
managers, admins); asking for a waiver needs `request_review` or `record_finding`; approving
one needs the role the waiver names (one of the policy's `waiver_approvers`), held by someone
who neither asked for it nor built the version; revoking needs `approve` or
`record_finding`, or being the one who asked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.findings import (
    EXPIRY_WARNING,
    Finding,
    FindingStatus,
    GovernanceAlert,
    Waiver,
    check_waiver_approval,
    check_waiver_request,
    governance_alerts,
    parse_severity,
    parse_status,
)
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.roles import Action, Permissions
from modelward.errors import Conflict, InvalidInput, ModelwardError, PermissionDenied
from modelward.governance import service
from modelward.governance.access import roles_of


def _audit(
    uow: UnitOfWork,
    action: str,
    model: str,
    version: int,
    guard: Guard,
    at: datetime,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    uow.audit.append(
        AuditEvent(
            action,
            "model_version",
            f"{model}/{version}",
            guard.actor,
            at,
            before=before,
            after=after,
            reason=reason[:2000],
        )
    )


def _finding_facts(finding: Finding) -> dict[str, Any]:
    return {
        "finding_id": finding.id,
        "title": finding.title,
        "severity": finding.severity.value,
        "owner": finding.owner,
        "due_at": finding.due_at.isoformat(),
        "status": finding.status.value,
        "resolution": finding.resolution,
    }


def _waiver_facts(waiver: Waiver) -> dict[str, Any]:
    return {
        "waiver_id": waiver.id,
        "item": waiver.item,
        "approver_role": waiver.approver_role,
        "requested_by": waiver.requested_by,
        "expires_at": waiver.expires_at.isoformat(),
        "approved_by": waiver.approved_by,
        "revoked_by": waiver.revoked_by,
    }


def _text(value: str, field: str, *, what: str) -> str:
    if not value.strip():
        raise InvalidInput(f"A finding needs {what}.", field=field)
    return value.strip()


def record_finding(
    uow: UnitOfWork,
    *,
    guard: Guard,
    model: str,
    version: int,
    title: str,
    severity: str,
    owner: str,
    due_at: datetime,
    detail: str = "",
) -> Finding:
    """Record a validation finding on MODEL VERSION.

    Raises:
        InvalidInput: an empty title or owner, or an unknown severity.
        NotFound: no such version.
        PermissionDenied: the actor may not record findings.
    """
    now = guard.now()
    finding = Finding(
        model=model,
        version=version,
        title=_text(title, "title", what="a title"),
        severity=parse_severity(severity),
        owner=_text(owner, "owner", what="an owner (who must fix it)"),
        due_at=due_at,
        created_by=guard.actor,
        created_at=now,
        detail=detail,
    )
    with uow:
        guard.require(uow, Action.RECORD_FINDING, subject=f"{model}/{version}")
        uow.registry.get_version(model, version)
        finding = replace(finding, id=uow.findings.save_finding(finding))
        _audit(uow, "finding.recorded", model, version, guard, now, after=_finding_facts(finding))
        uow.commit()
    return finding


def update_finding(
    uow: UnitOfWork,
    *,
    guard: Guard,
    finding_id: int,
    status: str | None = None,
    severity: str | None = None,
    owner: str | None = None,
    due_at: datetime | None = None,
    resolution: str = "",
) -> Finding:
    """Change a finding's status (open, resolved, withdrawn), severity, owner or due date.

    Raises:
        InvalidInput: nothing to change, an unknown status or severity, or closing a finding
            without saying how it was resolved.
        NotFound: no such finding.
        PermissionDenied: the actor may not record findings.
    """
    now = guard.now()
    new_status = parse_status(status) if status is not None else None
    new_severity = parse_severity(severity) if severity is not None else None
    if new_status is None and new_severity is None and owner is None and due_at is None:
        raise InvalidInput("Nothing to change: give a status, severity, owner or due date.")
    if new_status not in (None, FindingStatus.OPEN) and not resolution.strip():
        raise InvalidInput(
            f"Say how finding {finding_id} was {new_status}: give a resolution.",
            field="resolution",
        )
    with uow:
        guard.require(uow, Action.RECORD_FINDING, subject=f"finding {finding_id}")
        old = uow.findings.get_finding(finding_id)
        new = replace(
            old,
            status=new_status or old.status,
            severity=new_severity or old.severity,
            owner=_text(owner, "owner", what="an owner") if owner is not None else old.owner,
            due_at=due_at or old.due_at,
            resolution=resolution.strip() or old.resolution,
            updated_by=guard.actor,
            updated_at=now,
        )
        uow.findings.update_finding(new)
        _audit(
            uow,
            "finding.updated",
            old.model,
            old.version,
            guard,
            now,
            before=_finding_facts(old),
            after=_finding_facts(new),
            reason=resolution,
        )
        uow.commit()
    return new


def list_findings(
    uow: UnitOfWork,
    *,
    model: str | None = None,
    version: int | None = None,
    open_only: bool = False,
) -> list[Finding]:
    """Findings, oldest first: of one version, one model, or every model."""
    with uow:
        if model is not None:
            uow.registry.get_model(model)
        return uow.findings.list_findings(model=model, version=version, open_only=open_only)


def request_waiver(
    uow: UnitOfWork,
    *,
    guard: Guard,
    model: str,
    version: int,
    item: str,
    reason: str,
    approver_role: str,
    expires_at: datetime,
) -> Waiver:
    """Ask that gate item ITEM of MODEL VERSION pass until `expires_at`; a person holding
    `approver_role` (one of the policy's `waiver_approvers`) must approve it.

    Raises:
        InvalidInput: an unknown item, no reason, a role the policy does not name, or an
            expiry in the past or beyond the policy's `max_waiver_days`.
        NotFound: no such version.
        PermissionDenied: the actor may not ask for reviews or record findings.
    """
    now, policies = guard.now(), guard.policies
    waiver = Waiver(
        model, version, item, reason.strip(), approver_role, guard.actor, now, expires_at
    )
    with uow:
        guard.require(
            uow, Action.REQUEST_REVIEW, Action.RECORD_FINDING, subject=f"{model}/{version}"
        )
        target = uow.registry.get_version(model, version)
        policy, decision = service.decide(uow, target, policies=policies, now=now)
        check_waiver_request(
            waiver,
            approvers=policy.waiver_approvers,
            max_days=policy.max_waiver_days,
            item_names=[i.name for i in decision.items],
        )
        waiver = replace(waiver, id=uow.findings.save_waiver(waiver))
        _audit(
            uow,
            "waiver.requested",
            model,
            version,
            guard,
            now,
            after=_waiver_facts(waiver),
            reason=waiver.reason,
        )
        uow.commit()
    return waiver


def approve_waiver(uow: UnitOfWork, *, guard: Guard, waiver_id: int, comment: str = "") -> Waiver:
    """Approve a requested waiver; from now until it expires its item passes the gate.

    Raises:
        NotFound: no such waiver.
        Conflict: already approved or revoked.
        InvalidInput: it expired before it was approved.
        PermissionDenied: the actor asked for it, built the version, or does not hold the
            role it names (audited).
    """
    now = guard.now()
    with uow:
        guard.require(uow, Action.APPROVE, Action.RECORD_FINDING, subject=f"waiver {waiver_id}")
        waiver = uow.findings.get_waiver(waiver_id)
        subject = f"{waiver.model}/{waiver.version}"
        target = uow.registry.get_version(waiver.model, waiver.version)
        try:
            check_waiver_approval(
                waiver,
                approver=guard.actor,
                approver_roles=roles_of(uow, guard.actor, guard.policies.permissions),
                authors=service.authors_of(uow, target),
            )
        except PermissionDenied as exc:
            _refuse(uow, guard, exc, subject)
            raise  # unreachable: refuse raises
        if now >= waiver.expires_at:
            raise InvalidInput(
                f"Waiver {waiver_id} expired before it was approved; ask for a new one."
            )
        approved = replace(waiver, approved=True, approved_by=guard.actor, approved_at=now)
        uow.findings.update_waiver(approved)
        _audit(
            uow,
            "waiver.approved",
            waiver.model,
            waiver.version,
            guard,
            now,
            after=_waiver_facts(approved),
            reason=comment,
        )
        uow.commit()
    return approved


def _refuse(uow: UnitOfWork, guard: Guard, error: ModelwardError, subject: str) -> None:
    guard.refuse(uow, error, action="approve waiver", subject=subject)


def revoke_waiver(uow: UnitOfWork, *, guard: Guard, waiver_id: int, reason: str) -> Waiver:
    """Revoke a waiver (requested or approved): its item is judged again at once.

    Raises:
        InvalidInput: no reason.
        NotFound: no such waiver.
        Conflict: already revoked.
        PermissionDenied: the actor neither asked for it nor may approve or record findings.
    """
    if not reason.strip():
        raise InvalidInput("Say why the waiver is revoked.", field="reason")
    now = guard.now()
    with uow:
        subject = f"waiver {waiver_id}"
        # whoever could have asked for a waiver may try; only its requester without more
        guard.require(
            uow, Action.REQUEST_REVIEW, Action.APPROVE, Action.RECORD_FINDING, subject=subject
        )
        waiver = uow.findings.get_waiver(waiver_id)
        if waiver.requested_by != guard.actor:
            guard.require(uow, Action.APPROVE, Action.RECORD_FINDING, subject=subject)
        if waiver.revoked:
            raise Conflict(f"Waiver {waiver_id} is already revoked.")
        revoked = replace(
            waiver, revoked=True, revoked_by=guard.actor, revoked_at=now, revoke_reason=reason
        )
        uow.findings.update_waiver(revoked)
        _audit(
            uow,
            "waiver.revoked",
            waiver.model,
            waiver.version,
            guard,
            now,
            before=_waiver_facts(waiver),
            after=_waiver_facts(revoked),
            reason=reason,
        )
        uow.commit()
    return revoked


def list_waivers(
    uow: UnitOfWork, *, model: str | None = None, version: int | None = None
) -> list[Waiver]:
    """Waivers, oldest first: of one version, one model, or every model."""
    with uow:
        if model is not None:
            uow.registry.get_model(model)
        return uow.findings.list_waivers(model=model, version=version)


MAX_WITHIN_DAYS = 3650  # ten years ahead: past that, every waiver is "expiring"


def alert_horizon(within_days: int) -> timedelta:
    """`within_days` as the alerts' look-ahead (both faces ask here, so both answer alike).

    Raises:
        InvalidInput: a negative number of days, or more than ten years.
    """
    if isinstance(within_days, bool) or not 0 <= within_days <= MAX_WITHIN_DAYS:
        raise InvalidInput(
            f"within_days must be between 0 and {MAX_WITHIN_DAYS} (days ahead to warn of"
            f" expiring waivers), got {within_days}.",
            field="within_days",
        )
    return timedelta(days=within_days)


def alerts(
    uow: UnitOfWork,
    *,
    now: datetime,
    model: str | None = None,
    within_days: int = EXPIRY_WARNING.days,
) -> list[GovernanceAlert]:
    """Overdue open findings and waivers expiring within `within_days` (default 14).

    Raises:
        InvalidInput: `within_days` negative or over ten years.
    """
    within = alert_horizon(within_days)
    with uow:
        found = uow.findings.list_findings(model=model, open_only=True)
        waivers = uow.findings.list_waivers(model=model)
    return governance_alerts(found, waivers, now, within=within)


def waiting_for(
    uow: UnitOfWork, *, actor: str, permissions: Permissions, now: datetime
) -> tuple[list[Waiver], list[Finding]]:
    """What waits for `actor` (the review queue): requested waivers naming a role they hold
    that they did not ask for, and open findings they own, overdue ones first."""
    with uow:
        held = set(roles_of(uow, actor, permissions))
        waivers = [
            w
            for w in uow.findings.list_waivers()
            if w.state(now).value == "requested"
            and w.approver_role in held
            and w.requested_by != actor
        ]
        mine = [f for f in uow.findings.list_findings(open_only=True) if f.owner == actor]
    return waivers, sorted(mine, key=lambda f: (not f.is_overdue(now), f.due_at))
