"""What each risk level requires before promotion, and the gate that checks it all.

Pure rules: `evaluate_gate` gets every fact as an argument and lists every unmet requirement.
This is the module to import: it re-exports the gate's inputs and items (`gate.py`), sign-offs
(`signoff.py`) and roles and permissions (`roles.py`). Loading policies from YAML is in
`modelward.governance.policies`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from modelward.domain import gate
from modelward.domain.gate import (
    CheckLike,
    CheckSummary,
    GateDecision,
    GateItem,
    PersonalDataUse,
    ReportLike,
    ReportSummary,
    VersionLike,
)
from modelward.domain.risk import RiskAssessment, RiskLevel
from modelward.domain.roles import DEFAULT_PERMISSIONS, Action, Permissions, Role, can
from modelward.domain.signoff import Decision, SignOff, check_sign_off, latest_decisions
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
    "can",
    "check_sign_off",
    "evaluate_gate",
    "latest_decisions",
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
        for name in ("monitoring_cadence_days", "max_model_age_days", "assessment_valid_days"):
            days = getattr(self, name)
            if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
                raise InvalidInput(f"{name} must be a whole number, got {days!r}.", field=name)
            if days is not None and days < 1:
                raise InvalidInput(f"{name} must be at least 1 day, got {days!r}.", field=name)


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
) -> GateDecision:
    """Check every requirement of `policy` for one version and list each unmet one.

    Never stops at the first problem. The items, by stable name: `assessment` (present, of
    this policy's level, not overdue), `validation_report` (present, for this version,
    passed), `check.<name>` per required check, `fairness` and `explanations` when required,
    `sign_off.<role>` per required role (distinct people, the author excluded unless allowed),
    `rejections` (none outstanding), `card.<field>` per required model card field,
    `personal_data.legal_basis` when the policy requires one, and `monitoring` when the policy
    requires it and `monitoring_configured` is given (deployment gates; leave it None when
    moving an alias).

    Args:
        policy: The policy of the model's risk level (`PolicySet.for_assessment`).
        version_info: The version to promote; `created_by` is its author.
        assessment: The model's current risk assessment, if any.
        report_summary: The version's latest validation report (or a `ReportSummary`).
        sign_offs: The version's sign-offs; other versions' are ignored.
        card_fields: The model card's filled-in fields.
        datasets_personal_data: Personal-data columns of the training data sets.
        now: The current time, for assessment expiry.
        monitoring_configured: Whether monitoring is set up for the deployment.
    """
    latest = latest_decisions(sign_offs, model=version_info.model, version=version_info.version)
    items = [
        gate.assessment_item(policy, version_info, assessment, now),
        *gate.report_items(policy, version_info, report_summary),
        *gate.sign_off_items(policy, version_info, latest),
        *gate.card_items(policy, card_fields),
        *gate.personal_data_items(policy, datasets_personal_data),
    ]
    if policy.monitoring_required and monitoring_configured is not None:
        items.append(gate.monitoring_item(policy, monitoring_configured))
    return GateDecision.of(items)
