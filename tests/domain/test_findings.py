"""Findings and waivers as pure rules: which findings block, when a waiver counts, who may
approve one, and the alerts the clock raises."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from modelward.domain.findings import (
    Finding,
    FindingStatus,
    GovernanceAlert,
    Severity,
    Waiver,
    apply_waivers,
    check_waiver_approval,
    check_waiver_request,
    findings_item,
    governance_alerts,
    parse_severity,
)
from modelward.domain.gate import GateItem
from modelward.domain.policy import Policy
from modelward.domain.risk import RiskLevel
from modelward.errors import Conflict, InvalidInput, PermissionDenied

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BLOCKING = ("high", "critical")


def finding(severity: str = "high", status: str = "open", due_days: int = 10) -> Finding:
    return Finding(
        "credit-risk", 3, "Unstable", Severity(severity), "alice", NOW + timedelta(days=due_days),
        "vera", NOW, status=FindingStatus(status), id=1,
    )  # fmt: skip


def waiver(**changes: object) -> Waiver:
    base = Waiver(
        "credit-risk", 3, "findings", "manual review", "risk_manager", "alice", NOW,
        NOW + timedelta(days=30), approved=True, approved_by="rita", approved_at=NOW, id=7,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("found", "met"),
    [
        pytest.param(finding("high"), False, id="open-high-blocks"),
        pytest.param(finding("critical"), False, id="open-critical-blocks"),
        pytest.param(finding("medium"), True, id="medium-does-not"),
        pytest.param(finding("high", "resolved"), True, id="resolved-does-not"),
        pytest.param(finding("high", "withdrawn"), True, id="withdrawn-does-not"),
    ],
)
def test_which_findings_block(found: Finding, met: bool) -> None:
    assert findings_item([found], BLOCKING).met is met


def test_a_policy_may_block_on_medium_too() -> None:
    assert not findings_item([finding("medium")], ("medium", "high", "critical")).met
    with pytest.raises(InvalidInput, match="unknown finding severities"):
        Policy(level=RiskLevel.LOW, blocking_findings=("huge",))


UNMET = GateItem("findings", False, "1 open high finding")


@pytest.mark.parametrize(
    ("given", "passes"),
    [
        pytest.param(waiver(), True, id="approved-and-live"),
        pytest.param(waiver(approved=False, approved_by=None), False, id="only-requested"),
        pytest.param(waiver(revoked=True, revoked_by="bob"), False, id="revoked"),
        pytest.param(waiver(expires_at=NOW), False, id="expires-now"),
        pytest.param(waiver(item="check.performance.roc_auc"), False, id="another-item"),
    ],
)
def test_when_a_waiver_counts(given: Waiver, passes: bool) -> None:
    (item,) = apply_waivers([UNMET], [given], NOW)
    assert item.met is passes
    assert (item.waiver_id == given.id) is passes
    if passes:
        assert (
            "waived until 2026-07-01T00:00" in item.detail and "1 open high finding" in item.detail
        )


def test_a_met_item_is_left_alone_and_the_longest_waiver_is_named() -> None:
    met = GateItem("assessment", True, "fine")
    later = waiver(id=8, expires_at=NOW + timedelta(days=60))
    items = apply_waivers([met, UNMET], [waiver(), later], NOW)
    assert items[0] == met and items[1].waiver_id == 8


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"item": "x"}, "no gate item 'x'", id="unknown-item"),
        pytest.param({"reason": ""}, "needs a reason", id="no-reason"),
        pytest.param({"approver_role": "validator"}, "may not approve waivers", id="role"),
        pytest.param({"expires_at": NOW}, "in the future", id="not-future"),
        pytest.param({"expires_at": NOW + timedelta(days=91)}, "at most 90 days", id="too-long"),
    ],
)
def test_a_waiver_request_is_checked(changes: dict[str, object], message: str) -> None:
    asked = waiver(approved=False, approved_by=None, **changes)
    with pytest.raises(InvalidInput, match=message):
        check_waiver_request(
            asked, approvers=("risk_manager",), max_days=90, item_names=["findings"]
        )


@pytest.mark.parametrize(
    ("approver", "roles", "error", "message"),
    [
        pytest.param("alice", ("risk_manager",), PermissionDenied, "asked for", id="requester"),
        pytest.param("tom", ("risk_manager",), PermissionDenied, "built", id="author"),
        pytest.param("bob", ("validator",), PermissionDenied, "does not hold", id="no-role"),
    ],
)
def test_separation_of_duties(
    approver: str, roles: tuple[str, ...], error: type, message: str
) -> None:
    asked = waiver(approved=False, approved_by=None)
    with pytest.raises(error, match=message):
        check_waiver_approval(asked, approver=approver, approver_roles=roles, authors=("tom",))
    check_waiver_approval(
        asked, approver="rita", approver_roles=("risk_manager",), authors=("tom",)
    )
    with pytest.raises(Conflict):
        check_waiver_approval(
            waiver(), approver="rita", approver_roles=("risk_manager",), authors=()
        )


def test_alerts_come_from_the_clock() -> None:
    late, early = finding(due_days=-2), finding(due_days=5)
    expiring = waiver(expires_at=NOW + timedelta(days=3))
    found = governance_alerts([late, early], [expiring, waiver()], NOW)
    assert [a.kind for a in found] == ["finding_overdue", "waiver_expiring"]
    assert isinstance(found[0], GovernanceAlert) and "was due 2026-05-30" in found[0].message
    assert governance_alerts([early], [waiver(expires_at=NOW - timedelta(days=1))], NOW) == []


def test_severity_names() -> None:
    assert parse_severity("HIGH") is Severity.HIGH
    with pytest.raises(InvalidInput, match="low, medium, high, critical"):
        parse_severity("urgent")
