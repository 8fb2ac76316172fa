"""The model inventory: every model with owner, risk level, stage, last validation, pending
sign-offs and what is overdue, with filters.

The facts come from one bulk read (`GovernanceRepo.inventory_facts`, a fixed number of
queries whatever the number of models); stages and due dates are derived here in memory.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from modelward.domain.findings import Finding, Waiver
from modelward.domain.governance import (
    ModelFacts,
    Stage,
    derive_stage,
    pending_sign_offs,
    rejected,
)
from modelward.domain.graph import adjacency
from modelward.domain.policy import PolicySet, retraining_due
from modelward.domain.ports import UnitOfWork
from modelward.domain.risk import RiskLevel
from modelward.errors import InvalidInput
from modelward.governance.cadence import overdue_by_model

UNASSESSED = "unassessed"


@dataclass(frozen=True)
class InventoryRow:
    """One model in the inventory."""

    model: str
    owner: str
    risk_level: str  # low, medium, high, severe, or "unassessed"
    risk_score: int | None
    stage: str  # the production version's stage if any, else the newest version's
    production_version: int | None
    latest_version: int | None
    latest_stage: str | None
    last_validation: datetime | None
    last_validation_passed: bool | None
    last_validation_version: int | None  # the version that report validated
    pending_sign_offs: tuple[str, ...]  # roles still to sign off the version under review
    rejected: bool
    assessment_overdue: bool
    retraining_due: bool
    # findings and waivers of any of the model's versions (domain/findings.py)
    open_findings: int = 0
    overdue_findings: int = 0
    active_waivers: int = 0
    assessment_expires_at: datetime | None = None
    retraining_due_at: datetime | None = None  # when the production version is due
    business_owner: str = ""  # the model card's business_owner field (every version)

    @property
    def next_review(self) -> datetime | None:
        """The earliest of the assessment's expiry and the production version's retraining."""
        dates = [d for d in (self.assessment_expires_at, self.retraining_due_at) if d]
        return min(dates, default=None)

    dependents: int = 0  # models that consume this one's output (the model graph)

    # production deployments whose monitoring misses the policy's cadence
    monitoring_overdue: tuple[str, ...] = ()

    @property
    def overdue(self) -> bool:
        """The assessment expired, the production version is due for retraining, a finding
        is past its due date, or its monitoring is overdue."""
        return (
            self.assessment_overdue
            or self.retraining_due
            or self.overdue_findings > 0
            or bool(self.monitoring_overdue)
        )


def _row(
    facts: ModelFacts, *, policies: PolicySet, now: datetime, protected: Collection[str]
) -> InventoryRow:
    policy = policies.for_assessment(facts.assessment)
    latest, production = facts.latest, facts.production
    latest_stage = derive_stage(policy, latest, protected=protected) if latest else None
    pending: tuple[str, ...] = ()
    if latest is not None and latest_stage not in (Stage.IN_PRODUCTION, Stage.RETIRED):
        pending = pending_sign_offs(policy, latest)  # a rejection is not a pending sign-off
    reports = [v for v in (latest, production) if v is not None and v.report_at is not None]
    newest_report = max(reports, key=lambda v: v.report_at or now, default=None)
    assessment = facts.assessment
    return InventoryRow(
        model=facts.name,
        owner=facts.owner,
        risk_level=assessment.level.value if assessment else UNASSESSED,
        risk_score=assessment.score if assessment else None,
        stage=(Stage.IN_PRODUCTION if production else latest_stage or Stage.REGISTERED).value,
        production_version=production.version if production else None,
        latest_version=latest.version if latest else None,
        latest_stage=latest_stage.value if latest_stage else None,
        last_validation=newest_report.report_at if newest_report else None,
        last_validation_passed=newest_report.report_passed if newest_report else None,
        last_validation_version=newest_report.version if newest_report else None,
        pending_sign_offs=pending,
        rejected=bool(latest and rejected(latest)),
        assessment_overdue=bool(assessment and assessment.is_overdue(now)),
        retraining_due=bool(
            production and retraining_due(policy, trained_at=production.created_at, now=now)
        ),
        assessment_expires_at=assessment.expires_at if assessment else None,
        retraining_due_at=(
            production.created_at + timedelta(days=policy.max_model_age_days)
            if production and policy.max_model_age_days is not None
            else None
        ),
    )


def _with_assurance(
    rows: list[InventoryRow], findings: list[Finding], waivers: list[Waiver], now: datetime
) -> list[InventoryRow]:
    """Rows with their models' open and overdue findings and active waivers counted."""
    counts: dict[str, list[int]] = {}
    for found in findings:
        entry = counts.setdefault(found.model, [0, 0, 0])
        entry[0] += found.is_open()
        entry[1] += found.is_overdue(now)
    for waiver in waivers:
        counts.setdefault(waiver.model, [0, 0, 0])[2] += waiver.is_active(now)
    return [
        replace(row, open_findings=c[0], overdue_findings=c[1], active_waivers=c[2])
        if (c := counts.get(row.model))
        else row
        for row in rows
    ]


def _with_business_owners(uow: UnitOfWork, rows: list[InventoryRow]) -> list[InventoryRow]:
    """The rows with the card's business owner filled in (one query, inside `uow`)."""
    owners = uow.governance.model_card_values("business_owner", [r.model for r in rows])
    return [replace(r, business_owner=owners.get(r.model, "")) for r in rows]


def _dependents(uow: UnitOfWork) -> dict[str, int]:
    """Model -> how many models consume its output directly (declared dependencies)."""
    return {name: len(consumers) for name, consumers in adjacency(uow.graph.edges()).items()}


def _check_filters(risk: str | None, stage: str | None) -> None:
    levels = [level.value for level in RiskLevel] + [UNASSESSED]
    if risk is not None and risk not in levels:
        raise InvalidInput(f"Unknown risk level {risk!r}; use one of {', '.join(levels)}.")
    stages = [s.value for s in Stage]
    if stage is not None and stage not in stages:
        raise InvalidInput(f"Unknown stage {stage!r}; use one of {', '.join(stages)}.")


def inventory(
    uow: UnitOfWork,
    *,
    policies: PolicySet,
    now: datetime,
    protected: Collection[str],
    risk: str | None = None,
    stage: str | None = None,
    overdue: bool = False,
    pending: bool = False,
    owner: str | None = None,
    search: str | None = None,
) -> list[InventoryRow]:
    """Every model, by name, filtered by risk level, stage, owner, a name substring, and
    whether something is overdue or sign-offs are pending.

    Raises:
        InvalidInput: an unknown risk level or stage.
    """
    _check_filters(risk, stage)
    with uow:
        facts = uow.governance.inventory_facts(protected=list(protected))
        findings = uow.findings.list_findings(open_only=True)
        waivers = uow.findings.list_waivers()
        rows = [_row(f, policies=policies, now=now, protected=protected) for f in facts]
        rows = _with_business_owners(uow, rows)
        counts = _dependents(uow)
        owed = overdue_by_model(
            uow, {f.name: policies.for_assessment(f.assessment) for f in facts}, now=now
        )
    rows = [
        replace(
            row,
            dependents=counts.get(row.model, 0),
            monitoring_overdue=tuple(owed.get(row.model, ())),
        )
        for row in rows
    ]
    rows = _with_assurance(rows, findings, waivers, now)
    needle = search.lower() if search else None
    return [
        row
        for row in rows
        if (risk is None or row.risk_level == risk)
        and (stage is None or row.stage == stage)
        and (not overdue or row.overdue)
        and (not pending or row.pending_sign_offs)
        and (owner is None or row.owner == owner)
        and (needle is None or needle in row.model.lower())
    ]


def inventory_page(
    uow: UnitOfWork,
    *,
    policies: PolicySet,
    now: datetime,
    protected: Collection[str],
    offset: int,
    limit: int,
    risk: str | None = None,
    stage: str | None = None,
    overdue: bool = False,
    pending: bool = False,
    owner: str | None = None,
    search: str | None = None,
) -> tuple[list[InventoryRow], int]:
    """One page of the inventory and the number of matching models.

    Without a filter on derived facts (risk, stage, overdue, pending) only the page's models
    are computed, so a page costs the same with 10 or 10,000 models; with one, every model is.

    Raises:
        InvalidInput: an unknown risk level or stage.
    """
    _check_filters(risk, stage)
    if risk is None and stage is None and not overdue and not pending:
        with uow:
            names, total = uow.governance.model_names(
                search=search, owner=owner, offset=offset, limit=limit
            )
            facts = uow.governance.inventory_facts(protected=list(protected), names=names)
            findings = uow.findings.list_findings(open_only=True)
            waivers = uow.findings.list_waivers()
            rows = [_row(f, policies=policies, now=now, protected=protected) for f in facts]
            rows = _with_business_owners(uow, rows)
            counts = _dependents(uow)
        rows = [replace(r, dependents=counts.get(r.model, 0)) for r in rows]
        return _with_assurance(rows, findings, waivers, now), total
    rows = inventory(
        uow,
        policies=policies,
        now=now,
        protected=protected,
        risk=risk,
        stage=stage,
        overdue=overdue,
        pending=pending,
        owner=owner,
        search=search,
    )
    return rows[offset : offset + limit], len(rows)
