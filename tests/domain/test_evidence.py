"""Gate evidence: the policy's bounds judge check values, only reports stored by an evidence
role count, sign-offs are bound to the evidence report, the trainer is an author, and
train/validation overlap is bounded."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from modelward.domain.gate import leakage_item
from modelward.domain.judging import LOWER_IS_BETTER, policy_verdict
from modelward.domain.policy import (
    CheckRequirement,
    CheckSummary,
    GateDecision,
    Policy,
    ReportSummary,
    SignOff,
    bound_direction,
    check_sign_off,
    choose_evidence,
    evaluate_gate,
)
from modelward.domain.risk import RiskLevel
from modelward.errors import Conflict, InvalidInput, PermissionDenied
from modelward.validation.base import LOWER_IS_BETTER as VALIDATION_LOWER_IS_BETTER
from tests.domain.test_policy import AUTHOR, STRICT, gate_inputs, make_report, sign

OLD_SHA = "a" * 64
NEW_SHA = "b" * 64
POLICY = Policy(
    level=RiskLevel.MEDIUM,
    thresholds=(
        CheckRequirement("performance.roc_auc", min_value=0.7),
        CheckRequirement("performance.log_loss", max_value=0.5),
        CheckRequirement("fairness.demographic_parity_difference", max_value=0.1),
    ),
    max_train_overlap=0.01,
)


def summary_check(
    name: str,
    value: float | None,
    *,
    threshold: float | None = None,
    direction: str = "",
    passed: bool | None = None,
) -> CheckSummary:
    return CheckSummary(name, name.split(".")[0], value, passed, threshold, direction)


def stored(
    *,
    report_id: int = 1,
    sha: str = NEW_SHA,
    author: str = "vera",
    roles: tuple[str, ...] | None = ("validator",),
    overlap_share: float | None = None,
    version: int = 3,
) -> ReportSummary:
    """STRICT's good report, as the store reads it back."""
    base = ReportSummary.of(make_report(version=version))
    overlap_rows = None if overlap_share is None else round(overlap_share * 5000)
    return dataclasses.replace(
        base,
        id=report_id,
        sha256=sha,
        created_by=author,
        author_roles=roles,
        overlap_rows=overlap_rows,
        overlap_share=overlap_share,
    )


def bound_sign(user: str, role: str, sha: str | None, **kwargs: Any) -> SignOff:
    return dataclasses.replace(sign(user, role, **kwargs), evidence_sha256=sha)


def bound_inputs(**overrides: Any) -> dict[str, Any]:
    """`gate_inputs` with the stored evidence report and sign-offs given on it."""
    signs = [bound_sign("vera", "validator", NEW_SHA), bound_sign("rita", "risk_manager", NEW_SHA)]
    return gate_inputs(**{"report_summary": stored(), "sign_offs": signs, **overrides})


def item(decision: GateDecision, name: str) -> tuple[bool, str]:
    found = next(i for i in decision.items if i.name == name)
    return found.met, found.detail


# --- the policy's bounds, not the report's -----------------------------------------------


@pytest.mark.parametrize(
    ("check", "verdict"),
    [
        pytest.param(
            summary_check("performance.roc_auc", 0.6, threshold=0.5, direction="min", passed=True),
            False,
            id="relaxed-report-threshold-fails-the-policy-min",
        ),
        pytest.param(
            summary_check(
                "performance.roc_auc", 0.75, threshold=0.9, direction="min", passed=False
            ),
            True,
            id="stricter-report-threshold-the-policy-decides",
        ),
        pytest.param(
            summary_check("performance.log_loss", 0.6, threshold=1.0, direction="max", passed=True),
            False,
            id="lower-is-better-above-the-policy-max",
        ),
        pytest.param(
            summary_check("performance.log_loss", 0.4), True, id="lower-is-better-below-max"
        ),
        pytest.param(
            summary_check(
                "fairness.demographic_parity_difference[gender]",
                0.3,
                threshold=0.5,
                direction="max",
                passed=True,
            ),
            False,
            id="qualified-name-matches-the-policy-bound",
        ),
        pytest.param(
            summary_check(
                "robustness.flip_rate", 0.2, threshold=0.05, direction="max", passed=True
            ),
            False,
            id="tampered-pass-flag-is-judged-again-from-the-value",
        ),
        pytest.param(
            summary_check("slices.worst_gap", 0.01, threshold=0.05, direction="max", passed=False),
            False,
            id="a-failure-without-a-policy-bound-stays-failed",
        ),
        pytest.param(
            summary_check("slices.worst_gap", 0.01, threshold=0.05, direction="max", passed=True),
            True,
            id="pass-without-a-policy-bound",
        ),
        pytest.param(
            summary_check("performance.roc_auc", None), None, id="undefined-figure-not-judged"
        ),
        pytest.param(summary_check("performance.accuracy", 0.1), None, id="informational"),
    ],
)
def test_policy_verdict(check: CheckSummary, verdict: bool | None) -> None:
    assert policy_verdict(POLICY, check) is verdict


def test_a_relaxed_report_fails_the_gate_on_its_values() -> None:
    relaxed = dataclasses.replace(
        stored(),
        checks=(
            *stored().checks[1:],
            summary_check("performance.roc_auc", 0.62, threshold=0.5, direction="min", passed=True),
        ),
    )
    policy = dataclasses.replace(
        STRICT, thresholds=(CheckRequirement("performance.roc_auc", min_value=0.7),)
    )
    decision = evaluate_gate(policy, **bound_inputs(report_summary=relaxed))
    # the required check keeps its own bound (0.75) and reports the value; the head item
    # leaves it to that item
    assert decision.missing == ["check.performance.roc_auc"]
    relaxed_unrequired = dataclasses.replace(
        policy, required_checks=(CheckRequirement("data_quality"),)
    )
    decision = evaluate_gate(relaxed_unrequired, **bound_inputs(report_summary=relaxed))
    met, detail = item(decision, "validation_report")
    assert not met
    assert "failed validation by the high policy: performance.roc_auc" in detail


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        pytest.param("performance.roc_auc", "min", id="auc"),
        pytest.param("performance.rmse", "max", id="rmse"),
        pytest.param("performance.log_loss", "max", id="log-loss"),
        pytest.param("fairness.four_fifths_rule[sex]", "min", id="four-fifths"),
        pytest.param("fairness.equalized_odds_difference", "max", id="odds"),
        pytest.param("slices.worst_gap", "max", id="slices"),
        pytest.param("robustness.flip_rate", "max", id="robustness"),
        pytest.param("custom.cost", None, id="custom-unknown"),
    ],
)
def test_bound_direction(name: str, direction: str | None) -> None:
    assert bound_direction(name) == direction


def test_lower_is_better_matches_validation() -> None:
    assert LOWER_IS_BETTER == VALIDATION_LOWER_IS_BETTER


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"thresholds": (CheckRequirement("performance.log_loss", min_value=0.2),)},
            "lower is better, so give it a max",
            id="min-on-lower-is-better",
        ),
        pytest.param(
            {"thresholds": (CheckRequirement("performance.roc_auc", max_value=0.9),)},
            "higher is better, so give it a min",
            id="max-on-higher-is-better",
        ),
        pytest.param(
            {"thresholds": (CheckRequirement("custom.cost"),)}, "has no min or max", id="no-bound"
        ),
        pytest.param({"max_train_overlap": 1.5}, "between 0 and 1", id="overlap-above-one"),
        pytest.param({"evidence_roles": ()}, "names no evidence_roles", id="no-evidence-role"),
    ],
)
def test_policy_evidence_invariants(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Policy(level=RiskLevel.MEDIUM, **changes)


# --- which report is the evidence ---------------------------------------------------------


@pytest.mark.parametrize(
    ("reports", "chosen"),
    [
        pytest.param(
            [stored(report_id=2, author="bob", roles=("data_scientist",)), stored(report_id=1)],
            1,
            id="older-validator-report-beats-newer-data-scientist-report",
        ),
        pytest.param(
            [stored(report_id=2, author="ann", roles=("admin",)), stored(report_id=1)],
            2,
            id="newest-evidence-role-wins",
        ),
        pytest.param([stored(roles=None)], None, id="roles-not-recorded-never-count"),
        pytest.param([stored(roles=("viewer",))], None, id="no-evidence-role"),
        pytest.param([], None, id="no-report"),
    ],
)
def test_choose_evidence(reports: list[ReportSummary], chosen: int | None) -> None:
    evidence = choose_evidence(reports, ("validator", "admin"))
    assert (evidence.id if evidence else None) == chosen


def test_a_report_stored_by_someone_else_is_named_but_does_not_count() -> None:
    bobs = stored(report_id=7, author="bob", roles=("data_scientist",))
    decision = evaluate_gate(STRICT, **gate_inputs(report_summary=None, newest_report=bobs))
    met, detail = item(decision, "validation_report")
    assert not met
    assert detail == (
        "the latest report (id 7) was stored by bob (data_scientist); the gate needs one"
        " stored by a validator or admin: run 'modelward validate models:/churn/3 ...' as one"
    )


def test_the_decision_names_the_evidence_it_relied_on() -> None:
    bobs = stored(report_id=8, sha=OLD_SHA, author="bob", roles=("data_scientist",))
    decision = evaluate_gate(
        STRICT, **gate_inputs(report_summary=stored(report_id=5), newest_report=bobs)
    )
    assert decision.allowed is False  # sign-offs in gate_inputs are bound to no report
    assert (decision.evidence_id, decision.evidence_sha256) == (5, NEW_SHA)
    met, detail = item(decision, "validation_report")
    assert met
    assert "report id 5 (sha256 bbbbbbbbbbbb), by vera (validator)" in detail
    assert "the newer report id 8 (sha256 aaaaaaaaaaaa) by bob (data_scientist)" in detail


# --- sign-offs bound to the evidence ------------------------------------------------------


def test_approvals_for_the_current_evidence_count() -> None:
    signs = [bound_sign("vera", "validator", NEW_SHA), bound_sign("rita", "risk_manager", NEW_SHA)]
    decision = evaluate_gate(STRICT, **gate_inputs(report_summary=stored(), sign_offs=signs))
    assert decision.allowed, decision.checklist()


def test_a_newer_evidence_report_needs_new_sign_offs() -> None:
    signs = [bound_sign("vera", "validator", OLD_SHA), bound_sign("rita", "risk_manager", NEW_SHA)]
    decision = evaluate_gate(STRICT, **gate_inputs(report_summary=stored(), sign_offs=signs))
    assert decision.missing == ["sign_off.validator"]
    met, detail = item(decision, "sign_off.validator")
    assert detail.endswith(
        "approval by vera (validator) was for report aaaaaaaaaaaa, the current evidence is"
        " bbbbbbbbbbbb; sign off again"
    )


def test_an_approval_without_evidence_does_not_count_once_a_report_exists() -> None:
    signs = [bound_sign("vera", "validator", None), bound_sign("rita", "risk_manager", NEW_SHA)]
    decision = evaluate_gate(STRICT, **gate_inputs(report_summary=stored(), sign_offs=signs))
    assert decision.missing == ["sign_off.validator"]
    assert (
        "approval by vera (validator) was for no report" in item(decision, "sign_off.validator")[1]
    )


def test_a_rejection_on_older_evidence_stays_outstanding() -> None:
    signs = [
        bound_sign("vera", "validator", NEW_SHA),
        bound_sign("rita", "risk_manager", NEW_SHA),
        bound_sign("carl", "risk_manager", OLD_SHA, decision="reject", comment="no"),
    ]
    decision = evaluate_gate(STRICT, **gate_inputs(report_summary=stored(), sign_offs=signs))
    assert decision.missing == ["rejections"]


def test_the_trainers_approval_does_not_count() -> None:
    signs = [bound_sign("tom", "validator", NEW_SHA), bound_sign("rita", "risk_manager", NEW_SHA)]
    inputs = gate_inputs(report_summary=stored(), sign_offs=signs)
    assert evaluate_gate(STRICT, **inputs).allowed
    decision = evaluate_gate(STRICT, **inputs, authors=("tom",))
    assert decision.missing == ["sign_off.validator"]
    assert "tom created the version" in item(decision, "sign_off.validator")[1]


def _record(new: SignOff, *, author: str | tuple[str, ...], existing: tuple[SignOff, ...] = ()):
    check_sign_off(new, existing=existing, author=author, policy=STRICT, user_roles=(new.role,))


def test_the_trainer_may_not_approve() -> None:
    with pytest.raises(PermissionDenied, match="tom created churn v3 and may not approve it"):
        _record(sign("tom", "validator"), author=(AUTHOR, "tom"))
    _record(sign("vera", "validator"), author=(AUTHOR, "tom"))


def test_approving_again_on_new_evidence_is_no_conflict() -> None:
    earlier = bound_sign("vera", "validator", OLD_SHA)
    later = dataclasses.replace(
        bound_sign("vera", "validator", NEW_SHA), at=earlier.at + timedelta(minutes=5)
    )
    _record(later, author=AUTHOR, existing=(earlier,))
    with pytest.raises(Conflict, match="for report aaaaaaaaaaaa"):
        _record(
            dataclasses.replace(later, evidence_sha256=OLD_SHA), author=AUTHOR, existing=(earlier,)
        )


# --- train/validation overlap -------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "met", "text"),
    [
        pytest.param(
            0.05,
            False,
            "5.00% of the validation rows (250) are also training rows",
            id="five-percent-fails",
        ),
        pytest.param(0.0, True, "0.00% of the validation rows (0)", id="none-passes"),
        pytest.param(0.01, True, "at most 1.00% allowed", id="at-the-limit-passes"),
        pytest.param(None, True, "not measured", id="unmeasured-is-shown"),
    ],
)
def test_leakage_item(share: float | None, met: bool, text: str) -> None:
    found = leakage_item(POLICY, stored(overlap_share=share))
    assert (found.name, found.met) == ("data_leakage", met)
    assert text in found.detail


def test_overlap_is_judged_only_when_the_policy_bounds_it() -> None:
    leaky = stored(overlap_share=0.05)
    unbounded = evaluate_gate(STRICT, **gate_inputs(report_summary=leaky))
    assert "data_leakage" not in [i.name for i in unbounded.items]
    bounded = dataclasses.replace(STRICT, max_train_overlap=0.01)
    decision = evaluate_gate(bounded, **gate_inputs(report_summary=leaky))
    assert "data_leakage" in decision.missing
    assert "the high policy allows at most 1.00%" in item(decision, "data_leakage")[1]
