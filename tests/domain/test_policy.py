"""Policies, the promotion gate, sign-offs and the role table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelward.domain.policy import (
    Action,
    CheckRequirement,
    Decision,
    GateDecision,
    Permissions,
    PersonalDataUse,
    Policy,
    PolicySet,
    ReportSummary,
    Role,
    SignOff,
    can,
    check_sign_off,
    evaluate_gate,
    policy_as_dict,
    retraining_due,
)
from modelward.domain.registry import ModelVersion
from modelward.domain.results import CheckResult, ValidationReport
from modelward.domain.risk import RiskLevel, assess
from modelward.errors import Conflict, InvalidInput, PermissionDenied

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
AUTHOR = "dana"

STRICT = Policy(
    level=RiskLevel.HIGH,
    required_checks=(
        CheckRequirement("performance.roc_auc", min_value=0.75),
        CheckRequirement("data_quality"),
    ),
    fairness_required=True,
    explanations_required=True,
    sign_offs={"validator": 1, "risk_manager": 1},
    monitoring_required=True,
    monitoring_cadence_days=7,
    required_card_fields=("intended_use", "limitations"),
    legal_basis_required=True,
)


def make_version(version: int = 3) -> ModelVersion:
    return ModelVersion(
        model="churn",
        version=version,
        run_id="run-1",
        artifact_sha256="a" * 64,
        meta_sha256="b" * 64,
        flavor="sklearn",
        signature={},
        created_by=AUTHOR,
        created_at=NOW - timedelta(days=10),
    )


def check(
    name: str, value: float | None, *, threshold: float | None = None, direction: str = ""
) -> CheckResult:
    passed = None
    if threshold is not None and value is not None:
        passed = value >= threshold if direction == "min" else value <= threshold
    category = name.split(".")[0]
    return CheckResult(name, category, value, threshold, passed, direction)


GOOD_CHECKS = (
    check("performance.roc_auc", 0.82, threshold=0.7, direction="min"),
    check("data_quality.missing_share", 0.01, threshold=0.05, direction="max"),
    check("fairness.demographic_parity_difference[gender]", 0.04, threshold=0.1, direction="max"),
    check("explanations.permutation_importance[income]", 0.3),
)


def make_report(*checks: CheckResult, version: int = 3) -> ValidationReport:
    return ValidationReport(
        model="churn",
        version=version,
        task="classification",
        checks=checks or GOOD_CHECKS,
        sections={},
        warnings=(),
        created_at=NOW - timedelta(days=2),
        created_by="vera",
        data_rows=5000,
    )


def sign(
    user: str,
    role: str,
    decision: str = "approve",
    *,
    minute: int = 0,
    version: int = 3,
    comment: str = "looks fine",
) -> SignOff:
    at = NOW - timedelta(hours=1) + timedelta(minutes=minute)
    return SignOff("churn", version, role, user, Decision(decision), comment, at)


def high_assessment(**overrides: Any):
    arguments: dict[str, Any] = {
        "likelihood": 4,
        "severity": 3,
        "assessed_by": "rita",
        "assessed_at": NOW - timedelta(days=30),
        "valid_days": 365,
    }
    arguments.update(overrides)
    model = arguments.pop("model", "churn")
    return assess(model, **arguments)


def gate_inputs(**overrides: Any) -> dict[str, Any]:
    """Everything STRICT asks for, met; override one thing to break it."""
    inputs: dict[str, Any] = {
        "version_info": make_version(),
        "assessment": high_assessment(),
        "report_summary": make_report(),
        "sign_offs": [sign("vera", "validator"), sign("rita", "risk_manager")],
        "card_fields": {"intended_use": "Retention offers.", "limitations": "EU customers only."},
        "datasets_personal_data": [PersonalDataUse("customers", "age", "contract")],
        "now": NOW,
        "monitoring_configured": True,
    }
    inputs.update(overrides)
    return inputs


def decide(policy: Policy = STRICT, **overrides: Any) -> GateDecision:
    return evaluate_gate(policy, **gate_inputs(**overrides))


ALL_ITEMS = [
    "assessment",
    "validation_report",
    "check.performance.roc_auc",
    "check.data_quality",
    "fairness",
    "explanations",
    "sign_off.validator",
    "sign_off.risk_manager",
    "rejections",
    "card.intended_use",
    "card.limitations",
    "personal_data.legal_basis",
    "monitoring",
]


def test_everything_met_is_allowed() -> None:
    decision = decide()
    assert decision.allowed, decision.reason
    assert decision.missing == []
    assert [item.name for item in decision.items] == ALL_ITEMS
    assert all(item.met for item in decision.items)


def checks_but(*, drop: str = "", add: tuple[CheckResult, ...] = ()) -> ValidationReport:
    kept = tuple(c for c in GOOD_CHECKS if not drop or not c.name.startswith(drop))
    return make_report(*kept, *add)


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        pytest.param({"assessment": None}, "assessment", id="no-assessment"),
        pytest.param(
            {"assessment": high_assessment(assessed_at=NOW - timedelta(days=366))},
            "assessment",
            id="assessment-overdue",
        ),
        pytest.param(
            {"assessment": high_assessment(model="fraud")},
            "assessment",
            id="assessment-of-other-model",
        ),
        pytest.param(
            {"assessment": high_assessment(likelihood=1, severity=1)},
            "assessment",
            id="assessment-level-differs-from-policy",
        ),
        pytest.param(
            {"report_summary": checks_but(add=(check("custom.cost", 9.0, threshold=5.0),))},
            "validation_report",
            id="report-failed",
        ),
        pytest.param(
            {
                "report_summary": checks_but(
                    drop="performance.roc_auc", add=(check("performance.f1", 0.9),)
                )
            },
            "check.performance.roc_auc",
            id="required-check-absent",
        ),
        pytest.param(
            {
                "report_summary": checks_but(
                    drop="performance",
                    add=(check("performance.roc_auc", 0.72, threshold=0.6, direction="min"),),
                )
            },
            "check.performance.roc_auc",
            id="required-check-below-policy-bound",
        ),
        pytest.param(
            {"report_summary": checks_but(drop="data_quality")},
            "check.data_quality",
            id="required-category-absent",
        ),
        pytest.param(
            {"report_summary": checks_but(drop="fairness")}, "fairness", id="fairness-absent"
        ),
        pytest.param(
            {"report_summary": checks_but(drop="explanations")},
            "explanations",
            id="explanations-absent",
        ),
        pytest.param(
            {"sign_offs": [sign("rita", "risk_manager")]}, "sign_off.validator", id="no-validator"
        ),
        pytest.param(
            {"sign_offs": [sign("vera", "validator")]},
            "sign_off.risk_manager",
            id="no-risk-manager",
        ),
        pytest.param(
            {
                "sign_offs": [
                    sign("vera", "validator"),
                    sign("rita", "risk_manager"),
                    sign("omar", "operations", "reject", comment="no runbook"),
                ]
            },
            "rejections",
            id="rejection-outstanding",
        ),
        pytest.param(
            {"card_fields": {"intended_use": "Retention offers.", "limitations": "  "}},
            "card.limitations",
            id="card-field-blank",
        ),
        pytest.param(
            {"card_fields": {"limitations": "EU only."}},
            "card.intended_use",
            id="card-field-absent",
        ),
        pytest.param(
            {"datasets_personal_data": [PersonalDataUse("customers", "age", None)]},
            "personal_data.legal_basis",
            id="personal-data-without-legal-basis",
        ),
        pytest.param({"monitoring_configured": False}, "monitoring", id="monitoring-not-set-up"),
    ],
)
def test_each_requirement_fails_on_its_own(overrides: dict[str, Any], missing: str) -> None:
    decision = decide(**overrides)
    assert not decision.allowed
    assert decision.missing == [missing]
    item = next(item for item in decision.items if item.name == missing)
    assert item.detail and item.detail in decision.reason


def test_the_fairness_item_is_unmet_while_a_fairness_check_fails() -> None:
    failed = check("fairness.four_fifths_rule[age]", 0.6, threshold=0.8, direction="min")
    decision = decide(report_summary=checks_but(add=(failed,)))
    item = next(item for item in decision.items if item.name == "fairness")
    assert not item.met
    assert "fairness.four_fifths_rule[age]" in item.detail and "1 of 2" in item.detail


def test_no_report_fails_every_report_item() -> None:
    decision = decide(report_summary=None)
    assert decision.missing == [
        "validation_report",
        "check.performance.roc_auc",
        "check.data_quality",
        "fairness",
        "explanations",
    ]
    assert "churn v3 has no validation report" in decision.reason


def test_report_of_another_version_does_not_count() -> None:
    decision = decide(report_summary=make_report(version=2))
    assert "validation_report" in decision.missing
    assert "the validation report is for churn v2, not churn v3" in decision.reason


def test_every_unmet_requirement_is_listed_together() -> None:
    decision = decide(
        assessment=None,
        report_summary=None,
        sign_offs=[sign(AUTHOR, "validator"), sign("omar", "operations", "reject", comment="no")],
        card_fields={},
        datasets_personal_data=[PersonalDataUse("customers", "email")],
        monitoring_configured=False,
    )
    assert decision.missing == ALL_ITEMS
    assert decision.reason.count(";") == len(ALL_ITEMS) - 1


def test_checklist_marks_met_and_unmet() -> None:
    lines = decide(sign_offs=[sign("vera", "validator")]).checklist().splitlines()
    assert "[x] sign_off.validator: 1 of 1 approval(s) from validator (vera)" in lines
    assert "[ ] sign_off.risk_manager: 0 of 1 approval(s) from risk_manager" in lines


def test_monitoring_is_not_checked_when_not_asked() -> None:
    decision = decide(monitoring_configured=None)
    assert decision.allowed
    assert "monitoring" not in [item.name for item in decision.items]


def test_overdue_assessment_blocks_and_says_when_it_expired() -> None:
    stale = high_assessment(assessed_at=NOW - timedelta(days=400))
    decision = decide(assessment=stale)
    assert decision.missing == ["assessment"]
    expired = (NOW - timedelta(days=35)).date()
    assert f"the risk assessment of churn expired on {expired}" in decision.reason


def test_the_author_may_not_approve_their_own_version() -> None:
    decision = decide(sign_offs=[sign(AUTHOR, "validator"), sign("rita", "risk_manager")])
    assert decision.missing == ["sign_off.validator"]
    assert "(dana created the version, so their approval does not count)" in decision.reason


def test_the_author_may_approve_when_the_policy_says_so() -> None:
    lenient = Policy(**{**STRICT.__dict__, "author_may_approve": True})
    decision = decide(lenient, sign_offs=[sign(AUTHOR, "validator"), sign("rita", "risk_manager")])
    assert decision.allowed


def test_a_duplicate_approver_counts_once() -> None:
    two_risk_managers = Policy(**{**STRICT.__dict__, "sign_offs": {"risk_manager": 2}})
    decision = decide(
        two_risk_managers,
        sign_offs=[sign("rita", "risk_manager"), sign("rita", "risk_manager", minute=5)],
    )
    assert decision.missing == ["sign_off.risk_manager"]
    assert "1 of 2 approval(s) from risk_manager (rita)" in decision.reason


def test_one_person_fills_one_role_when_approvers_must_be_distinct() -> None:
    both = [sign("rita", "validator"), sign("rita", "risk_manager")]
    assert decide(sign_offs=both).missing in (["sign_off.validator"], ["sign_off.risk_manager"])
    relaxed = Policy(**{**STRICT.__dict__, "distinct_approvers": False})
    assert decide(relaxed, sign_offs=both).allowed


def test_distinct_approvers_are_assigned_to_fill_every_role() -> None:
    # A greedy pass would give alex the validator slot and leave risk_manager empty.
    sign_offs = [sign("alex", "validator"), sign("alex", "risk_manager"), sign("bea", "validator")]
    decision = decide(sign_offs=sign_offs)
    assert decision.allowed, decision.reason
    details = {item.name: item.detail for item in decision.items}
    assert details["sign_off.validator"].endswith("(bea)")
    assert details["sign_off.risk_manager"].endswith("(alex)")


def test_a_rejection_blocks_even_with_enough_approvals() -> None:
    sign_offs = [
        sign("vera", "validator"),
        sign("rita", "risk_manager"),
        sign("rolf", "risk_manager", "reject", comment="fairness gap on age"),
    ]
    decision = decide(sign_offs=sign_offs)
    assert decision.missing == ["rejections"]
    assert "rejected by rolf (risk_manager)" in decision.reason


def test_a_later_approval_withdraws_the_same_persons_rejection() -> None:
    sign_offs = [
        sign("vera", "validator", "reject", minute=0, comment="missing slices"),
        sign("vera", "validator", "approve", minute=10),
        sign("rita", "risk_manager"),
    ]
    assert decide(sign_offs=sign_offs).allowed


def test_a_later_rejection_withdraws_the_same_persons_approval() -> None:
    sign_offs = [
        sign("vera", "validator", "approve", minute=0),
        sign("vera", "validator", "reject", minute=10, comment="found a leak"),
        sign("rita", "risk_manager"),
    ]
    assert decide(sign_offs=sign_offs).missing == ["sign_off.validator", "rejections"]


def test_sign_offs_of_other_versions_are_ignored() -> None:
    sign_offs = [sign("vera", "validator", version=2), sign("rita", "risk_manager")]
    assert decide(sign_offs=sign_offs).missing == ["sign_off.validator"]


@pytest.mark.parametrize(
    ("legal_basis_required", "uses", "allowed"),
    [
        pytest.param(True, [], True, id="medium-plus-no-personal-data"),
        pytest.param(True, [PersonalDataUse("crm", "email", "consent")], True, id="with-basis"),
        pytest.param(True, [PersonalDataUse("crm", "email")], False, id="without-basis"),
        pytest.param(True, [PersonalDataUse("crm", "email", " ")], False, id="blank-basis"),
        pytest.param(False, [PersonalDataUse("crm", "email")], True, id="low-no-rule"),
    ],
)
def test_personal_data_legal_basis(
    legal_basis_required: bool, uses: list[PersonalDataUse], allowed: bool
) -> None:
    policy = Policy(**{**STRICT.__dict__, "legal_basis_required": legal_basis_required})
    decision = decide(policy, datasets_personal_data=uses)
    assert decision.allowed is allowed
    if not allowed:
        assert "personal data without a legal basis: crm.email" in decision.reason


@pytest.mark.parametrize(
    ("requirement", "checks", "met"),
    [
        pytest.param(
            CheckRequirement("fairness.demographic_parity_difference"),
            GOOD_CHECKS,
            True,
            id="name-matches-qualified-check",
        ),
        pytest.param(
            CheckRequirement("fairness.demographic_parity"),
            GOOD_CHECKS,
            False,
            id="no-prefix-match",
        ),
        pytest.param(CheckRequirement("explanations"), GOOD_CHECKS, True, id="informational-ok"),
        pytest.param(
            CheckRequirement("data_quality.missing_share", max_value=0.005),
            GOOD_CHECKS,
            False,
            id="policy-max-stricter-than-report",
        ),
        pytest.param(
            CheckRequirement("performance.roc_auc", min_value=0.8, max_value=0.9),
            GOOD_CHECKS,
            True,
            id="within-both-bounds",
        ),
        pytest.param(
            CheckRequirement("performance.roc_auc", min_value=0.5),
            (check("performance.roc_auc", None),),
            False,
            id="undefined-value-fails-a-bound",
        ),
    ],
)
def test_check_requirements(
    requirement: CheckRequirement, checks: tuple[CheckResult, ...], met: bool
) -> None:
    policy = Policy(level=RiskLevel.LOW, required_checks=(requirement,))
    decision = decide(
        policy,
        assessment=high_assessment(likelihood=1, severity=1),
        report_summary=make_report(*checks),
    )
    item = next(item for item in decision.items if item.name == f"check.{requirement.name}")
    assert item.met is met, item.detail


def test_a_report_summary_decides_like_the_full_report() -> None:
    report = checks_but(add=(check("custom.cost", 9.0, threshold=5.0),))
    full = decide(report_summary=report)
    summary = decide(report_summary=ReportSummary.of(report))
    assert summary == full


def test_policy_set_assumes_the_worst_without_assessment() -> None:
    policies = PolicySet({level: Policy(level=level) for level in RiskLevel})
    assert policies.for_assessment(None).level is RiskLevel.SEVERE
    assert policies.for_assessment(high_assessment()).level is RiskLevel.HIGH
    assert policies.valid_days() == dict.fromkeys(RiskLevel, 365)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param(
            {"level": RiskLevel.MEDIUM, "auto_promote": True},
            "auto_promote",
            id="auto-promote-medium",
        ),
        pytest.param({"sign_offs": {"validator": 0}}, "sign_offs", id="zero-sign-offs"),
        pytest.param(
            {"monitoring_required": True},
            "monitoring_cadence_days",
            id="monitoring-without-cadence",
        ),
        pytest.param({"assessment_valid_days": 0}, "assessment_valid_days", id="zero-validity"),
        pytest.param({"max_model_age_days": 1.5}, "max_model_age_days", id="fractional-age"),
    ],
)
def test_policy_invariants(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Policy(**{"level": RiskLevel.LOW, **changes})
    assert caught.value.details["field"] == field


def test_auto_promote_is_allowed_for_low() -> None:
    assert Policy(level=RiskLevel.LOW, auto_promote=True).auto_promote


def test_policy_as_dict_is_json_ready() -> None:
    data = policy_as_dict(STRICT)
    assert data["level"] == "high"
    assert data["required_checks"] == [
        {"check": "performance.roc_auc", "min": 0.75},
        "data_quality",
    ]
    assert data["sign_offs"] == {"validator": 1, "risk_manager": 1}


@pytest.mark.parametrize(
    ("age_days", "due"),
    [
        pytest.param(364, False, id="younger"),
        pytest.param(365, True, id="at-limit"),
        pytest.param(500, True, id="older"),
    ],
)
def test_retraining_due(age_days: int, due: bool) -> None:
    policy = Policy(level=RiskLevel.MEDIUM, max_model_age_days=365)
    assert retraining_due(policy, trained_at=NOW - timedelta(days=age_days), now=NOW) is due
    assert not retraining_due(
        Policy(level=RiskLevel.LOW), trained_at=NOW - timedelta(days=9999), now=NOW
    )


# --- recording a sign-off ----------------------------------------------------------------


def record(
    new: SignOff, *, existing: tuple[SignOff, ...] = (), roles: tuple[str, ...] = ()
) -> None:
    check_sign_off(
        new, existing=existing, author=AUTHOR, policy=STRICT, user_roles=roles or (new.role,)
    )


def test_a_valid_sign_off_is_accepted() -> None:
    record(sign("vera", "validator"))


def test_approving_ones_own_version_is_refused() -> None:
    with pytest.raises(PermissionDenied, match="dana created churn v3 and may not approve it"):
        record(sign(AUTHOR, "validator"))


def test_the_author_may_still_reject() -> None:
    record(sign(AUTHOR, "validator", "reject", comment="I found a bug"))


def test_approving_twice_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="vera already gave approve on churn v3 as validator"):
        record(sign("vera", "validator", minute=5), existing=(sign("vera", "validator"),))


def test_approving_after_rejecting_is_allowed() -> None:
    earlier = sign("vera", "validator", "reject", comment="missing slices")
    record(sign("vera", "validator", minute=5), existing=(earlier,))


def test_an_approval_of_another_version_does_not_conflict() -> None:
    record(sign("vera", "validator"), existing=(sign("vera", "validator", version=2),))


def test_an_approval_in_a_second_role_that_would_not_count_is_refused() -> None:
    # STRICT wants distinct approvers: vera's validator approval already fills one sign-off.
    assert STRICT.distinct_approvers
    with pytest.raises(PermissionDenied, match="vera already approved churn v3 as validator"):
        record(
            sign("vera", "risk_manager", minute=5),
            existing=(sign("vera", "validator"),),
            roles=("validator", "risk_manager"),
        )
    # Another person, or a rejection, is fine.
    record(sign("rita", "risk_manager", minute=5), existing=(sign("vera", "validator"),))
    record(
        sign("vera", "risk_manager", "reject", comment="band 3 miscalibrated", minute=5),
        existing=(sign("vera", "validator"),),
        roles=("validator", "risk_manager"),
    )


def test_a_rejection_needs_a_comment() -> None:
    with pytest.raises(InvalidInput, match="Say why you reject churn v3"):
        record(sign("vera", "validator", "reject", comment=" "))


def test_signing_in_a_role_one_does_not_hold_is_refused() -> None:
    with pytest.raises(PermissionDenied, match="vera does not hold the role 'risk_manager'"):
        record(sign("vera", "risk_manager"), roles=("validator",))


def test_a_role_that_may_not_approve_is_refused() -> None:
    with pytest.raises(PermissionDenied, match=r"omar \(operations\) may not approve"):
        record(sign("omar", "operations"))


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(
        InvalidInput, match="Unknown role 'auditor'; known roles are data_scientist"
    ):
        record(sign("ann", "auditor"))


def test_a_bad_decision_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'approve' or 'reject'"):
        SignOff("churn", 3, "validator", "vera", "maybe", "", NOW)  # type: ignore[arg-type]


# --- roles and permissions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        pytest.param(Role.VIEWER, Action.VIEW, True, id="viewer-views"),
        pytest.param(Role.VIEWER, Action.REGISTER, False, id="viewer-cannot-register"),
        pytest.param(Role.DATA_SCIENTIST, Action.REGISTER, True, id="ds-registers"),
        pytest.param(Role.DATA_SCIENTIST, Action.APPROVE, False, id="ds-cannot-approve"),
        pytest.param(Role.DATA_SCIENTIST, Action.ASSESS_RISK, False, id="ds-cannot-rate-own-risk"),
        pytest.param(Role.VALIDATOR, Action.APPROVE, True, id="validator-approves"),
        pytest.param(Role.VALIDATOR, Action.DEPLOY, False, id="validator-cannot-deploy"),
        pytest.param(Role.RISK_MANAGER, Action.ASSESS_RISK, True, id="rm-assesses"),
        pytest.param(Role.RISK_MANAGER, Action.SET_POLICY, True, id="rm-sets-policy"),
        pytest.param(Role.OPERATIONS, Action.DEPLOY, True, id="ops-deploys"),
        pytest.param(Role.OPERATIONS, Action.APPROVE, False, id="ops-cannot-approve"),
        pytest.param(Role.ADMIN, Action.MANAGE_ROLES, True, id="admin-manages-roles"),
        pytest.param("validator", "approve", True, id="plain-strings"),
    ],
)
def test_permission_table(role: str, action: str, allowed: bool) -> None:
    assert can(role, action) is allowed


@pytest.mark.parametrize(
    ("role", "action", "message"),
    [
        pytest.param("auditor", "view", "Unknown role 'auditor'", id="unknown-role"),
        pytest.param("viewer", "delete", "Unknown action 'delete'", id="unknown-action"),
    ],
)
def test_unknown_role_or_action_is_invalid(role: str, action: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        can(role, action)


def test_roles_are_configurable() -> None:
    permissions = Permissions().with_roles({"model_owner": ["view", "promote"], "viewer": []})
    assert can("model_owner", "promote", permissions=permissions)
    assert not can("viewer", "view", permissions=permissions)
    assert "model_owner" in permissions.roles
    assert not can("viewer", "promote")  # the built-in table is untouched


def test_require_says_which_roles_would_do() -> None:
    with pytest.raises(PermissionDenied) as caught:
        Permissions().require("sam", ["data_scientist", "viewer"], Action.SET_POLICY)
    assert caught.value.message == (
        "sam (data_scientist, viewer) may not set_policy; ask an admin for one of these roles:"
        " risk_manager, admin."
    )
    Permissions().require("sam", ["viewer", "risk_manager"], "set_policy")
