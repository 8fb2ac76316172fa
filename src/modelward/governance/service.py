"""Governance use-cases: review requests, sign-offs, the promotion gate and a version's
governance status. One public function per user action, one transaction each.

Permissions are checked here (so the CLI, API and UI share them) and every state change
appends an audit event in the same transaction. The rules are pure, in `modelward.domain`.
Risk assessments, users, data tags and lineage, the audit trail, the inventory and the card
are in sibling modules.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.governance import ReviewRequest, Stage, VersionFacts
from modelward.domain.governance import derive_stage as _derive_stage
from modelward.domain.policy import (
    CheckSummary,
    Decision,
    GateDecision,
    Policy,
    PolicySet,
    ReportSummary,
    SignOff,
    check_sign_off,
    choose_evidence,
    evaluate_gate,
)
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.registry import AliasEvent, ModelVersion
from modelward.domain.reports import ReportRecord
from modelward.domain.roles import Action
from modelward.errors import Conflict, InvalidInput, PolicyViolation
from modelward.governance import privacy
from modelward.governance.access import roles_of
from modelward.governance.cadence import monitoring_overdue
from modelward.governance.graph import ack_item
from modelward.registry import service as registry


def _event(
    action: str,
    entity_type: str,
    entity_id: str,
    actor: str,
    at: datetime,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent(action, entity_type, entity_id, actor, at, before, after, reason)


def request_review(
    uow: UnitOfWork,
    *,
    model: str,
    version: int,
    guard: Guard,
    comment: str = "",
) -> ReviewRequest:
    """Ask reviewers to sign off MODEL VERSION.

    Raises:
        NotFound: no such version.
        PermissionDenied: the actor may not request a review.
        Conflict: the version has no validation report yet.
    """
    actor, now = guard.actor, guard.now()
    request = ReviewRequest(model, version, actor, now, comment)
    with uow:
        guard.require(uow, Action.REQUEST_REVIEW)
        uow.registry.get_version(model, version)
        if not uow.validation.list_reports(model, version):
            raise Conflict(
                f"{model} v{version} has no validation report yet: reviewers would have nothing"
                f" to judge. Run 'modelward validate models:/{model}/{version} --data FILE' first."
            )
        uow.governance.save_review_request(request)
        uow.audit.append(
            _event(
                "review.requested",
                "model_version",
                f"{model}/{version}",
                actor,
                now,
                after={"comment": comment},
                reason=comment,
            )
        )
        uow.commit()
    return request


def record_sign_off(
    uow: UnitOfWork,
    *,
    model: str,
    version: int,
    role: str,
    decision: Decision | str,
    guard: Guard,
    comment: str = "",
) -> SignOff:
    """Approve or reject MODEL VERSION in `role`, with a comment (required to reject).

    The sign-off is bound to the report the gate relies on now (its sha256; none if there is
    no evidence report yet): the gate counts it only while that report is the evidence.

    Raises:
        InvalidInput: an unknown role or decision, or a rejection without a comment.
        NotFound: no such version.
        PermissionDenied: the actor does not hold `role`, the role may not approve, or the
            actor registered the version or ran the run that trained it (unless the policy
            allows authors to approve).
        Conflict: the actor already gave the same decision in that role on the same report,
            or approves a version with no evidence report.
    """
    policies, actor, now = guard.policies, guard.actor, guard.now()
    policies.permissions.check_role(role)
    if decision not in set(Decision):
        raise InvalidInput(f"A decision is 'approve' or 'reject', got {decision!r}.")
    new = SignOff(model, version, role, actor, Decision(decision), comment, now)
    with uow:
        target = uow.registry.get_version(model, version)
        policy = policies.for_assessment(uow.governance.find_assessment(model))
        # Bound to the report the gate relies on now: a newer report needs a new sign-off.
        evidence = _evidence(uow, policy, model, version)[0]
        new = replace(new, evidence_sha256=evidence.sha256 if evidence else None)
        check_sign_off(
            new,
            existing=uow.governance.list_sign_offs(model, version),
            author=_authors(uow, target),
            policy=policy,
            user_roles=roles_of(uow, actor, policies.permissions),
            permissions=policies.permissions,
        )
        if evidence is None and new.decision == Decision.APPROVE:  # after the role checks
            raise Conflict(
                f"{model} v{version} has no validation report an approval could rest on"
                f" (stored by {', '.join(policy.evidence_roles) or 'anyone'}). Validate it"
                " first; a rejection needs no report."
            )
        uow.governance.save_sign_off(new)
        uow.audit.append(
            _event(
                f"signoff.{new.decision.value}",
                "model_version",
                f"{model}/{version}",
                actor,
                now,
                after={
                    "role": role,
                    "decision": new.decision.value,
                    "comment": comment,
                    "evidence_id": evidence.id if evidence else None,
                    "evidence_sha256": new.evidence_sha256,
                },
                reason=comment,
            )
        )
        uow.commit()
    return new


def _report_summary(record: ReportRecord | None) -> ReportSummary | None:
    if record is None:
        return None
    checks = []
    for check in record.summary.get("checks", []):
        name = str(check["name"])
        category = str(check.get("category") or name.split(".", 1)[0])
        value = check.get("value")
        threshold = check.get("threshold")
        direction = str(check.get("direction") or "")
        checks.append(
            CheckSummary(name, category, value, check.get("passed"), threshold, direction)
        )
    overlap_rows = record.summary.get("overlap_rows")
    overlap_share = record.summary.get("overlap_share")
    return ReportSummary(
        record.model,
        record.version,
        record.passed,
        tuple(checks),
        id=record.id,
        sha256=record.report_sha256,
        created_by=record.created_by,
        author_roles=record.author_roles,
        overlap_rows=None if overlap_rows is None else int(overlap_rows),
        overlap_share=None if overlap_share is None else float(overlap_share),
    )


def _evidence(
    uow: UnitOfWork, policy: Policy, model: str, version: int
) -> tuple[ReportSummary | None, ReportSummary | None]:
    """The report the gate relies on (the newest stored by an evidence role), and the newest
    report when it is another one (shown, not counted)."""
    summaries = [_report_summary(r) for r in uow.validation.list_reports(model, version)]
    reports = [summary for summary in summaries if summary is not None]
    evidence = choose_evidence(reports, policy.evidence_roles)
    newest = reports[0] if reports and reports[0] is not evidence else None
    return evidence, newest


def sign_off_context(
    uow: UnitOfWork, version: ModelVersion, policy: Policy
) -> tuple[str | None, tuple[str, ...]]:
    """What a sign-off on `version` is checked against, inside an open unit of work: the
    sha256 of the evidence report it would be bound to, and the version's authors. The UI
    asks the same question before it shows a button."""
    evidence = _evidence(uow, policy, version.model, version.version)[0]
    return (evidence.sha256 if evidence else None), _authors(uow, version)


def _authors(uow: UnitOfWork, version: ModelVersion) -> tuple[str, ...]:
    """Who registered the version and who ran the run that trained it (if known)."""
    trainer = uow.tracking.get_run(version.run_id).user if version.run_id else None
    return tuple(dict.fromkeys(a for a in (version.created_by, trainer) if a))


def _decide(
    uow: UnitOfWork,
    version: ModelVersion,
    *,
    policies: PolicySet,
    now: datetime,
    monitoring_configured: bool | None,
) -> tuple[Policy, GateDecision]:
    name, number = version.model, version.version
    assessment = uow.governance.find_assessment(name)
    policy = policies.for_assessment(assessment)
    evidence, newest = _evidence(uow, policy, name, number)
    decision = evaluate_gate(
        policy,
        version_info=version,
        assessment=assessment,
        report_summary=evidence,
        sign_offs=uow.governance.list_sign_offs(name, number),
        card_fields=uow.governance.card_fields(name, number),
        datasets_personal_data=uow.governance.personal_data_uses(name, number),
        now=now,
        monitoring_configured=monitoring_configured,
        newest_report=newest,
        authors=_authors(uow, version),
        findings=uow.findings.list_findings(model=name, version=number),
        waivers=uow.findings.list_waivers(model=name, version=number),
        monitoring_overdue=monitoring_overdue(uow, policy, name, now=now),
        reproducibility=privacy.reproducibility_facts(uow, version),
    )
    acknowledged = ack_item(uow, policy, version)
    if acknowledged is not None:
        decision = GateDecision.of(
            [*decision.items, acknowledged],
            evidence_id=decision.evidence_id,
            evidence_sha256=decision.evidence_sha256,
        )
    return policy, decision


def decide(
    uow: UnitOfWork, version: ModelVersion, *, policies: PolicySet, now: datetime
) -> tuple[Policy, GateDecision]:
    """The policy and gate decision of `version` (an alias move's gate), inside an open unit
    of work; never raises for unmet items."""
    return _decide(uow, version, policies=policies, now=now, monitoring_configured=None)


def authors_of(uow: UnitOfWork, version: ModelVersion) -> tuple[str, ...]:
    """Who registered `version` and who trained it, inside an open unit of work."""
    return _authors(uow, version)


def check_promotion(
    uow: UnitOfWork,
    version: ModelVersion,
    *,
    policies: PolicySet,
    now: datetime,
    monitoring_configured: bool | None = None,
) -> GateDecision:
    """The gate of the model's risk level for `version`, inside an open unit of work.

    Without an assessment the severe policy applies (and the assessment item fails).
    Deployment gates pass `monitoring_configured`; alias moves leave it None.

    Raises:
        PolicyViolation: some requirement is unmet; the message lists every one and
            `details["missing"]` names them.
    """
    policy, decision = _decide(
        uow, version, policies=policies, now=now, monitoring_configured=monitoring_configured
    )
    if not decision.allowed:
        subject = f"{version.model} v{version.version}"
        raise PolicyViolation(
            f"{subject} cannot be promoted ({policy.level} risk): {decision.reason}. See"
            f" 'modelward governance status {version.model} {version.version}'.",
            missing=decision.missing,
        )
    return decision


def gate_checklist(
    uow: UnitOfWork, version: ModelVersion, *, policies: PolicySet, now: datetime
) -> GateDecision:
    """The gate checklist of `version` inside an open unit of work, never raising: what
    `governance status` prints, for pages that show it next to other facts."""
    return _decide(uow, version, policies=policies, now=now, monitoring_configured=None)[1]


@dataclass(frozen=True)
class GovernanceStatus:
    """A version's governance checklist, risk level and stage."""

    model: str
    version: int
    level: str | None  # None: not assessed (the severe policy applies)
    policy: Policy
    decision: GateDecision
    stage: Stage

    def _repr_html_(self) -> str:
        """The gate checklist as a table for notebooks."""
        from modelward.domain import display

        verdict = "gate met" if self.decision.allowed else "blocked"
        rows = [(display.mark(i.met), i.name, i.detail) for i in self.decision.items]
        return display.table(
            f"{self.model} v{self.version}: {verdict}",
            rows,
            header=("", "item", "detail"),
            subtitle=f"risk level {self.level or 'not assessed'}, stage {self.stage}",
        )


def version_facts(
    uow: UnitOfWork, version: ModelVersion, *, protected: Collection[str]
) -> VersionFacts:
    """The facts `derive_stage` reads, for one version (inside an open unit of work)."""
    name, number = version.model, version.version
    record = uow.validation.latest_report(name, number)
    history = uow.registry.alias_history(name)
    requests = uow.governance.list_review_requests(name, number)
    return VersionFacts(
        model=name,
        version=number,
        created_by=version.created_by,
        created_at=version.created_at,
        report_passed=record.passed if record else None,
        report_at=record.created_at if record else None,
        sign_offs=tuple(uow.governance.list_sign_offs(name, number)),
        review_requested_at=requests[-1].requested_at if requests else None,
        aliases=version.aliases,
        ever_protected=any(e.alias in protected and e.version == number for e in history),
    )


def governance_status(
    uow: UnitOfWork,
    *,
    model: str,
    version: int,
    policies: PolicySet,
    now: datetime,
    protected: Collection[str],
) -> GovernanceStatus:
    """The gate checklist of MODEL VERSION (never raising for unmet items) and its stage.

    Raises:
        NotFound: no such version.
    """
    with uow:
        target = uow.registry.get_version(model, version)
        policy, decision = _decide(
            uow, target, policies=policies, now=now, monitoring_configured=None
        )
        assessment = uow.governance.find_assessment(model)
        facts = version_facts(uow, target, protected=protected)
    stage = _derive_stage(policy, facts, protected=protected)
    level = assessment.level.value if assessment else None
    return GovernanceStatus(model, version, level, policy, decision, stage)


def auto_promotion_eligible(
    uow: UnitOfWork, *, model: str, version: int, policies: PolicySet, now: datetime
) -> bool:
    """True when the model's policy allows automatic promotion and the version's gate passes."""
    with uow:
        target = uow.registry.get_version(model, version)
        policy, decision = _decide(
            uow, target, policies=policies, now=now, monitoring_configured=None
        )
    return policy.auto_promote and decision.allowed


def auto_promote(
    uow: UnitOfWork, *, guard: Guard, model: str, version: int, alias: str | None
) -> AliasEvent | None:
    """Move `alias` (the workspace's first protected alias; None: there is none) to MODEL
    VERSION when its policy allows automatic promotion and the gate passes, as part of asking
    for a review; None when nothing moved.

    Raises:
        PermissionDenied: the actor may not request a review.
        NotFound: no such version.
    """
    with uow:  # permission first: a caller without it learns nothing about eligibility
        guard.require(uow, Action.REQUEST_REVIEW, subject=f"{model}/{version}")
    if alias is None:
        return None
    policies, now = guard.policies, guard.now()
    if not auto_promotion_eligible(uow, model=model, version=version, policies=policies, now=now):
        return None
    return registry.set_alias(
        uow,
        guard=guard,
        name=model,
        alias=alias,
        version=version,
        reason="auto-promoted: low risk and the gate passed",
        auto=True,
    )
