"""What each risk level requires before promotion, and the gate that checks it all.

Pure rules: `evaluate_gate` gets every fact as an argument and lists every unmet requirement.
This is the module to import: it re-exports the gate's inputs and items (`gate.py`), sign-offs
(`signoff.py`) and roles and permissions (`roles.py`). Loading policies from YAML is in
`modelward.governance.policies`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from modelward.domain import gate
from modelward.domain.findings import Finding, Waiver, apply_waivers, findings_item
from modelward.domain.gate import (
    CheckLike,
    CheckSummary,
    GateDecision,
    GateItem,
    PersonalDataUse,
    ReportLike,
    ReportSummary,
    VersionLike,
    choose_evidence,
)
from modelward.domain.judging import bound_direction, policy_verdict
from modelward.domain.privacy import ReproducibilityFacts, reproducibility_items
from modelward.domain.risk import RiskAssessment, RiskLevel
from modelward.domain.roles import DEFAULT_PERMISSIONS, Action, Permissions, Role, can
from modelward.domain.signoff import (
    Decision,
    SignOff,
    check_sign_off,
    latest_decisions,
    latest_sign_offs,
)
from modelward.errors import InvalidInput

__all__ = [
    "DEFAULT_PERMISSIONS",
    "Action",
    "CheckLike",
    "CheckRequirement",
    "CheckSummary",
    "Decision",
    "GateDecision",
    "GateItem",
    "Permissions",
    "PersonalDataUse",
    "Policy",
    "PolicySet",
    "ReportLike",
    "ReportSummary",
    "Role",
    "SignOff",
    "VersionLike",
    "bound_direction",
    "can",
    "check_sign_off",
    "choose_evidence",
    "evaluate_gate",
    "latest_decisions",
    "latest_sign_offs",
    "policy_verdict",
    "policy_as_dict",
    "retraining_due",
]


@dataclass(frozen=True)
class CheckRequirement:
    """A check the report must contain: a check name, or a category such as "fairness".

    A name also matches its qualified forms (`fairness.x` matches `fairness.x[gender]`).
    With `min_value`/`max_value` the policy's bound decides; without, the check's own result.
    """

    name: str
    min_value: float | None = None
    max_value: float | None = None

    def __str__(self) -> str:
        bounds = [f">= {self.min_value:g}" if self.min_value is not None else ""]
        bounds.append(f"<= {self.max_value:g}" if self.max_value is not None else "")
        return " ".join([self.name, *(bound for bound in bounds if bound)])


@dataclass(frozen=True)
class Policy:
    """The requirements of one risk level (see `default_policies.yaml` for the defaults)."""

    level: RiskLevel
    required_checks: tuple[CheckRequirement, ...] = ()
    fairness_required: bool = False
    explanations_required: bool = False
    sign_offs: Mapping[str, int] = field(default_factory=dict)  # role -> approvals needed
    author_may_approve: bool = False
    distinct_approvers: bool = True  # N sign-offs are N different people, across roles
    monitoring_required: bool = False
    monitoring_cadence_days: int | None = None
    max_model_age_days: int | None = None  # retraining due after this many days
    required_card_fields: tuple[str, ...] = ()
    auto_promote: bool = False  # low risk only: promote without a request once the gate passes
    assessment_valid_days: int = 365
    legal_basis_required: bool = False  # personal data needs a recorded legal basis
    # Who may store the validation report the gate relies on (gate evidence).
    evidence_roles: tuple[str, ...] = ("validator", "admin")
    # The policy's own bounds on check values (a check absent from the report is not judged;
    # require it with `required_checks`). They replace the report's thresholds at the gate.
    thresholds: tuple[CheckRequirement, ...] = ()
    max_train_overlap: float | None = None  # share of validation rows also in training data
    # Findings and waivers (domain/findings.py): open findings of these severities fail the
    # gate's `findings` item; these roles may approve a waiver, lasting at most N days.
    blocking_findings: tuple[str, ...] = ("high", "critical")
    waiver_approvers: tuple[str, ...] = ("risk_manager",)
    max_waiver_days: int = 90
    # The owners of every model downstream (the model graph) acknowledge a version first.
    downstream_ack_required: bool = False
    # Alert kind -> what runs by itself on a critical alert of that kind: notify, kill_switch
    # (with the deployment's fallback) or rollback (the previous champion); audited.
    alert_responses: Mapping[str, str] = field(default_factory=dict)
    # Monitoring windows: the domain classifier's ROC AUC from which the inputs drifted as a
    # whole, and how far an estimated (label-free) metric may fall below its baseline.
    drift_auc_threshold: float = 0.55
    estimated_performance_margin: float = 0.05
    # Reproducibility and data protection (issue 16)
    data_snapshot_required: bool = False  # the training data stored whole, content-addressed
    reproduction_required: bool = False  # a stored reproduction of the run that matched
    personal_data_clear_text: bool = False  # log personal-data columns without pseudonyms

    def __post_init__(self) -> None:
        for role, count in self.sign_offs.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise InvalidInput(
                    f"The {self.level} policy asks for {count!r} sign-offs from {role!r};"
                    " use a whole number >= 1 or leave the role out.",
                    field="sign_offs",
                )
        if self.auto_promote and self.level is not RiskLevel.LOW:
            raise InvalidInput(
                f"auto_promote is only allowed for low risk, not {self.level}.",
                field="auto_promote",
            )
        if self.monitoring_required and self.monitoring_cadence_days is None:
            raise InvalidInput(
                f"The {self.level} policy requires monitoring but sets no monitoring_cadence_days.",
                field="monitoring_cadence_days",
            )
        for name in (
            "monitoring_cadence_days",
            "max_model_age_days",
            "assessment_valid_days",
            "max_waiver_days",
        ):
            days = getattr(self, name)
            if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
                raise InvalidInput(f"{name} must be a whole number, got {days!r}.", field=name)
            if days is not None and days < 1:
                raise InvalidInput(f"{name} must be at least 1 day, got {days!r}.", field=name)
        if not self.evidence_roles:
            raise InvalidInput(
                f"The {self.level} policy names no evidence_roles; name at least one role that"
                " may store gate evidence (e.g. validator).",
                field="evidence_roles",
            )
        for bound in self.thresholds:
            _check_threshold(self.level, bound)
        unknown = [
            s for s in self.blocking_findings if s not in ("low", "medium", "high", "critical")
        ]
        if unknown:
            raise InvalidInput(
                f"The {self.level} policy blocks on unknown finding severities {unknown!r}; use"
                " low, medium, high or critical.",
                field="blocking_findings",
            )
        overlap = self.max_train_overlap
        if overlap is not None and (
            isinstance(overlap, bool)
            or not isinstance(overlap, int | float)
            or not 0.0 <= overlap <= 1.0
        ):
            raise InvalidInput(
                f"max_train_overlap must be a share between 0 and 1, got {overlap!r}.",
                field="max_train_overlap",
            )
        if not 0.5 < float(self.drift_auc_threshold) <= 1.0:
            raise InvalidInput(
                f"drift_auc_threshold must be above 0.5 and at most 1, got"
                f" {self.drift_auc_threshold!r}.",
                field="drift_auc_threshold",
            )
        if not 0.0 <= float(self.estimated_performance_margin) <= 1.0:
            raise InvalidInput(
                "estimated_performance_margin must be between 0 and 1, got"
                f" {self.estimated_performance_margin!r}.",
                field="estimated_performance_margin",
            )


def _check_threshold(level: RiskLevel, bound: CheckRequirement) -> None:
    """A threshold bounds its check in the direction that means better (min for ROC AUC)."""
    if bound.min_value is None and bound.max_value is None:
        raise InvalidInput(
            f"The {level} policy's threshold on {bound.name!r} has no min or max.",
            field="thresholds",
        )
    direction = bound_direction(bound.name)
    wrong = bound.max_value if direction == "min" else bound.min_value
    if (
        direction is not None
        and wrong is not None
        and (bound.min_value is None or bound.max_value is None)
    ):
        better = "higher" if direction == "min" else "lower"
        raise InvalidInput(
            f"The {level} policy bounds {bound.name!r} the wrong way: {better} is better, so"
            f" give it a {direction}.",
            field="thresholds",
        )


def policy_as_dict(policy: Policy) -> dict[str, Any]:
    """JSON-ready form (the YAML schema's keys), for audit events, the API and display."""
    checks: list[Any] = []
    for req in policy.required_checks:
        bounds = {"min": req.min_value, "max": req.max_value}
        extra = {key: value for key, value in bounds.items() if value is not None}
        checks.append({"check": req.name, **extra} if extra else req.name)
    return {
        "level": policy.level.value,
        "required_checks": checks,
        "fairness_required": policy.fairness_required,
        "explanations_required": policy.explanations_required,
        "sign_offs": dict(policy.sign_offs),
        "author_may_approve": policy.author_may_approve,
        "distinct_approvers": policy.distinct_approvers,
        "monitoring_required": policy.monitoring_required,
        "monitoring_cadence_days": policy.monitoring_cadence_days,
        "max_model_age_days": policy.max_model_age_days,
        "required_card_fields": list(policy.required_card_fields),
        "auto_promote": policy.auto_promote,
        "assessment_valid_days": policy.assessment_valid_days,
        "legal_basis_required": policy.legal_basis_required,
        "evidence_roles": list(policy.evidence_roles),
        "thresholds": {
            req.name: {
                key: value
                for key, value in (("min", req.min_value), ("max", req.max_value))
                if value is not None
            }
            for req in policy.thresholds
        },
        "max_train_overlap": policy.max_train_overlap,
        "blocking_findings": list(policy.blocking_findings),
        "waiver_approvers": list(policy.waiver_approvers),
        "max_waiver_days": policy.max_waiver_days,
        "downstream_ack_required": policy.downstream_ack_required,
        # only when set, so the hash of a policy set without responses stays what it was
        **({"alert_responses": dict(policy.alert_responses)} if policy.alert_responses else {}),
        "drift_auc_threshold": policy.drift_auc_threshold,
        "estimated_performance_margin": policy.estimated_performance_margin,
        "data_snapshot_required": policy.data_snapshot_required,
        "reproduction_required": policy.reproduction_required,
        "personal_data_clear_text": policy.personal_data_clear_text,
    }


@dataclass(frozen=True)
class PolicySet:
    """One policy per risk level, and the permission table that goes with them."""

    policies: Mapping[RiskLevel, Policy]
    permissions: Permissions = field(default_factory=Permissions)
    # From the file's `protected:` section; None: not set there (settings or defaults apply).
    protected_aliases: tuple[str, ...] | None = None
    protected_environments: tuple[str, ...] | None = None

    def for_level(self, level: RiskLevel) -> Policy:
        """The policy of `level`."""
        return self.policies[level]

    def for_assessment(self, assessment: RiskAssessment | None) -> Policy:
        """The policy of the assessment's level; without an assessment, assume the worst."""
        return self.for_level(assessment.level if assessment else RiskLevel.SEVERE)

    def valid_days(self) -> dict[RiskLevel, int]:
        """Assessment validity per level, as `risk.assess(valid_days=...)` takes it."""
        return {level: policy.assessment_valid_days for level, policy in self.policies.items()}


def retraining_due(policy: Policy, *, trained_at: datetime, now: datetime) -> bool:
    """True when the version is older than the policy's `max_model_age_days`."""
    age = policy.max_model_age_days
    return age is not None and now - trained_at >= timedelta(days=age)


def evaluate_gate(
    policy: Policy,
    *,
    version_info: VersionLike,
    assessment: RiskAssessment | None,
    report_summary: ReportLike | None,
    sign_offs: Iterable[SignOff],
    card_fields: Mapping[str, object],
    datasets_personal_data: Iterable[PersonalDataUse] = (),
    now: datetime,
    monitoring_configured: bool | None = None,
    newest_report: ReportSummary | None = None,
    authors: Iterable[str] = (),
    findings: Iterable[Finding] | None = None,
    waivers: Iterable[Waiver] = (),
    monitoring_overdue: Sequence[str] | None = None,
    reproducibility: ReproducibilityFacts | None = None,
) -> GateDecision:
    """Check every requirement of `policy` for one version and list each unmet one.

    Never stops at the first problem. The items, by stable name: `assessment` (present, of
    this policy's level, not overdue), `validation_report` (the evidence report present, for
    this version, every check passing by the policy's bounds: `policy_verdict`),
    `check.<name>` per required check, `fairness` and `explanations` when required,
    `data_leakage` when the policy sets `max_train_overlap`, `sign_off.<role>` per required
    role (distinct people, authors excluded unless allowed, approvals given on the current
    evidence only), `rejections` (none outstanding), `card.<field>` per required card field,
    `personal_data.legal_basis` when the policy requires one, and `monitoring` when the policy
    requires it and `monitoring_configured` is given (deployment gates; leave it None when
    moving an alias), and `findings` (no open finding of a blocking severity) when `findings`
    is given. An unmet item with an active waiver (approved, not revoked, not expired at
    `now`) passes and names the waiver (`GateItem.waiver_id`).

    Args:
        policy: The policy of the model's risk level (`PolicySet.for_assessment`).
        version_info: The version to promote; `created_by` is its author.
        assessment: The model's current risk assessment, if any.
        report_summary: The evidence: the version's newest report stored by one of the
            policy's `evidence_roles` (`choose_evidence`), or any report-like object.
        sign_offs: The version's sign-offs; other versions' are ignored.
        card_fields: The model card's filled-in fields.
        datasets_personal_data: Personal-data columns of the training data sets.
        now: The current time, for assessment expiry.
        monitoring_configured: Whether monitoring is set up for the deployment.
        newest_report: A newer report than the evidence, stored by someone without an
            evidence role: named in the messages, never counted.
        authors: Authors besides `created_by` (the user of the run that trained the version).
        findings: The version's findings (None: the item is left out).
        waivers: The version's waivers; only active ones count.
        monitoring_overdue: The model's production deployments whose monitoring is overdue
            (`obligations.monitoring_due`); None: not known (no item).
        reproducibility: The training run's data snapshot and newest reproduction, for
            `reproducibility.data_snapshot` and `reproducibility.reproduced` when required.
    """
    latest = latest_sign_offs(sign_offs, model=version_info.model, version=version_info.version)
    evidence = report_summary if isinstance(report_summary, ReportSummary) else None
    sha = evidence.sha256 if evidence else None
    items = [
        gate.assessment_item(policy, version_info, assessment, now),
        *gate.report_items(policy, version_info, report_summary, newest=newest_report),
        *gate.sign_off_items(policy, version_info, latest, evidence_sha256=sha, authors=authors),
        *gate.card_items(policy, card_fields),
        *gate.personal_data_items(policy, datasets_personal_data),
        *reproducibility_items(
            reproducibility or ReproducibilityFacts(),
            snapshot_required=policy.data_snapshot_required,
            reproduction_required=policy.reproduction_required,
        ),
    ]
    if policy.monitoring_required and monitoring_configured is not None:
        items.append(gate.monitoring_item(policy, monitoring_configured))
    if findings is not None:
        items.append(findings_item(findings, policy.blocking_findings))
    items = apply_waivers(items, waivers, now)
    if policy.monitoring_required and monitoring_overdue is not None:
        items.append(gate.monitoring_cadence_item(policy, monitoring_overdue))
    return GateDecision.of(
        items, evidence_id=evidence.id if evidence else None, evidence_sha256=sha
    )
