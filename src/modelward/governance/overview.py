"""What one page shows about a model, read in one transaction: versions and aliases, lineage
(runs, datasets, deployments), the latest reports, risk and its 5x5 matrix, each version's
stage and sign-offs, which sign-offs the viewer may give, and the audit events.

The web UI renders this; the rules (stage, may-sign) are the services' and the domain's,
applied here so templates only show values.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime

from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import Deployment, DeploymentConfig
from modelward.domain.gate import GateDecision
from modelward.domain.governance import derive_stage
from modelward.domain.policy import Decision, PolicySet, SignOff, check_sign_off
from modelward.domain.ports import UnitOfWork
from modelward.domain.registry import AliasEvent, ModelVersion, RegisteredModel
from modelward.domain.reports import ReportRecord
from modelward.domain.risk import RiskAssessment, RiskLevel
from modelward.domain.tracking import Run
from modelward.errors import ModelwardError
from modelward.governance.access import allowed_actions, roles_of
from modelward.governance.audit_search import model_events
from modelward.governance.service import gate_checklist, sign_off_context, version_facts


@dataclass(frozen=True)
class VersionView:
    """One version with its stage, latest report, sign-offs and the roles the viewer may sign."""

    version: ModelVersion
    stage: str
    report: ReportRecord | None
    sign_offs: tuple[SignOff, ...]
    can_sign_as: tuple[str, ...]
    run: Run | None
    gate: GateDecision | None = None  # the promotion checklist (`governance status`)
    card: dict[str, str] = field(default_factory=dict)  # its card fields (own over model-wide)

    @property
    def blocked(self) -> bool:
        """The gate refuses promotion now."""
        return self.gate is not None and not self.gate.allowed


@dataclass(frozen=True)
class ModelOverview:
    """Everything the model page shows."""

    model: RegisteredModel
    assessment: RiskAssessment | None
    level: str
    matrix: list[list[tuple[int, str, bool]]]  # rows severity 5..1, cells (score, level, marked)
    versions: list[VersionView]
    deployments: list[Deployment]
    events: list[AuditEvent]
    viewer_roles: tuple[str, ...] = field(default_factory=tuple)
    alias_history: list[AliasEvent] = field(default_factory=list)  # newest first
    deployment_history: list[tuple[str, DeploymentConfig]] = field(default_factory=list)
    assessments: list[RiskAssessment] = field(default_factory=list)  # newest first
    viewer_may: frozenset[str] = frozenset()  # the actions the viewer's roles allow

    def may(self, *actions: str) -> bool:
        """The viewer may do one of `actions` (the page shows those forms only)."""
        return bool(self.viewer_may & set(actions))


def risk_matrix(assessment: RiskAssessment | None) -> list[list[tuple[int, str, bool]]]:
    """The 5x5 likelihood x severity grid, severity 5 on top, the assessed cell marked."""
    rows = []
    for severity in range(5, 0, -1):
        row = []
        for likelihood in range(1, 6):
            score = likelihood * severity
            marked = bool(
                assessment
                and int(assessment.likelihood) == likelihood
                and int(assessment.severity) == severity
            )
            row.append((score, RiskLevel.from_score(score).value, marked))
        rows.append(row)
    return rows


def _may_sign(
    uow: UnitOfWork,
    version: ModelVersion,
    sign_offs: list[SignOff],
    *,
    viewer: str,
    held: tuple[str, ...],
    policies: PolicySet,
    assessment: RiskAssessment | None,
    now: datetime,
) -> tuple[str, ...]:
    # Ask the same rule the service applies, for each role the viewer holds: bound to the
    # same evidence report, with the same authors (the trainer included).
    allowed = []
    policy = policies.for_assessment(assessment)
    evidence, authors = sign_off_context(uow, version, policy)
    for role in held:
        trial = SignOff(version.model, version.version, role, viewer, Decision.APPROVE, "", now)
        trial = replace(trial, evidence_sha256=evidence)
        try:
            check_sign_off(
                trial,
                existing=sign_offs,
                author=authors,
                policy=policy,
                user_roles=held,
                permissions=policies.permissions,
            )
        except ModelwardError:
            continue
        if role in policy.sign_offs or not policy.sign_offs:
            allowed.append(role)
    return tuple(allowed)


def _version_view(
    uow: UnitOfWork,
    version: ModelVersion,
    *,
    viewer: str,
    held: tuple[str, ...],
    policies: PolicySet,
    assessment: RiskAssessment | None,
    protected: Collection[str],
    now: datetime,
) -> VersionView:
    model = version.model
    sign_offs = uow.governance.list_sign_offs(model, version.version)
    facts = version_facts(uow, version, protected=protected)
    policy = policies.for_assessment(assessment)
    return VersionView(
        version,
        derive_stage(policy, facts, protected=protected).value,
        uow.validation.latest_report(model, version.version),
        tuple(sign_offs),
        _may_sign(
            uow,
            version,
            sign_offs,
            viewer=viewer,
            held=held,
            policies=policies,
            assessment=assessment,
            now=now,
        ),
        uow.tracking.get_run(version.run_id) if version.run_id else None,
        gate_checklist(uow, version, policies=policies, now=now),
        uow.governance.card_fields(model, version.version),
    )


def model_overview(
    uow: UnitOfWork,
    *,
    model: str,
    viewer: str,
    policies: PolicySet,
    protected: Collection[str],
    now: datetime,
    events: int = 30,
) -> ModelOverview:
    """The model page's content for `viewer`.

    Raises:
        NotFound: no such model.
    """
    with uow:
        registered = uow.registry.get_model(model)
        assessment = uow.governance.find_assessment(model)
        held = roles_of(uow, viewer, policies.permissions)
        views = [
            _version_view(
                uow,
                version,
                viewer=viewer,
                held=held,
                policies=policies,
                assessment=assessment,
                protected=protected,
                now=now,
            )
            for version in reversed(uow.registry.list_versions(model))
        ]
        deployments = [d for d in uow.deployments.list_deployments() if d.model == model]
        about = model_events(uow, model, limit=events)
        moves = list(reversed(uow.registry.alias_history(model)))
        configs = [
            (d.name, config) for d in deployments for config in uow.deployments.list_configs(d.name)
        ]
        configs.sort(key=lambda pair: (pair[1].created_at is not None, pair[1].created_at))
        assessments = uow.governance.list_assessments(model)
    return ModelOverview(
        registered,
        assessment,
        assessment.level.value if assessment else "unassessed",
        risk_matrix(assessment),
        views,
        deployments,
        about,
        held,
        moves,
        list(reversed(configs)),
        assessments,
        allowed_actions(policies.permissions, held),
    )
