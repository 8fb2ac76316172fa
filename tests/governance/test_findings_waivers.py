"""Findings and waivers through the public client, on SQLite and PostgreSQL: open high findings
fail the gate, a waiver lets one item pass until it expires (the clock moves), separation of
duties on approval, every change in the audit trail, alerts for overdue findings and expiring
waivers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from modelward.client import Client
from modelward.domain.registry import ModelVersion
from modelward.errors import Conflict, InvalidInput, PermissionDenied, PolicyViolation
from tests.governance.helpers import Clock, acting_as, fill_card, register, store_report

USERS = {
    "alice": ["data_scientist"],  # builds and registers
    "bob": ["validator"],
    "vera": ["validator"],
    "rita": ["risk_manager"],
    "ron": ["risk_manager"],
    "vic": ["viewer"],
}


@pytest.fixture
def team(gov: Client) -> Client:
    with acting_as(gov, "root"):  # the first registrar becomes admin
        for name, roles in USERS.items():
            gov.governance.add_user(name, roles)
    return gov


def approved(client: Client) -> ModelVersion:
    """A medium-risk version of alice's whose gate passes."""
    version = register(client)
    with acting_as(client, "rita"):
        client.governance.assess(version.model, likelihood=3, severity=2, rationale="internal")
    store_report(client, version, author="bob")
    with acting_as(client, "alice"):
        fill_card(client, version)
    with acting_as(client, "bob"):
        client.governance.approve(version.model, version.version, role="validator")
    assert client.governance.status(version.model, version.version).decision.allowed
    return version


def finding(client: Client, version: ModelVersion, clock: Clock, severity: str = "high") -> int:
    with acting_as(client, "vera"):
        made = client.evidence.record_finding(
            version.model,
            version.version,
            title="Unstable on thin credit files",
            severity=severity,
            owner="alice",
            due=clock.now + timedelta(days=30),
            detail="AUC drops to 0.58 below 3 trades",
        )
    assert made.id is not None
    return made.id


def test_an_open_high_finding_fails_the_gate_until_resolved(team: Client, clock: Clock) -> None:
    version = approved(team)
    found = finding(team, version, clock)
    status = team.governance.status(version.model, version.version)
    assert status.decision.missing == ["findings"]
    assert "Unstable on thin credit files" in status.decision.reason
    with pytest.raises(PolicyViolation) as caught:
        team.registry.set_alias(version.model, "champion", version.version)
    assert caught.value.details["missing"] == ["findings"]
    # the owner may not close it; a validator does, saying how
    with acting_as(team, "alice"), pytest.raises(PermissionDenied):
        team.evidence.update_finding(found, status="resolved", resolution="fixed")
    with acting_as(team, "bob"), pytest.raises(InvalidInput, match="resolution"):
        team.evidence.update_finding(found, status="resolved")
    with acting_as(team, "bob"):
        closed = team.evidence.update_finding(
            found, status="resolved", resolution="retrained with thin-file weighting"
        )
    assert (closed.status.value, closed.updated_by) == ("resolved", "bob")
    assert team.governance.status(version.model, version.version).decision.allowed
    actions = [e.action for e in team.governance.audit_events(entity_id=f"{version.model}/1")]
    assert {"finding.recorded", "finding.updated"} <= set(actions)


def test_a_medium_finding_does_not_block(team: Client, clock: Clock) -> None:
    version = approved(team)
    finding(team, version, clock, severity="medium")
    decision = team.governance.status(version.model, version.version).decision
    assert decision.allowed
    assert (
        "1 open of lower severity" in next(i for i in decision.items if i.name == "findings").detail
    )


def test_a_waiver_passes_one_item_until_it_expires(team: Client, clock: Clock) -> None:
    version = approved(team)
    finding(team, version, clock)
    with acting_as(team, "alice"):
        asked = team.evidence.request_waiver(
            version.model,
            version.version,
            item="findings",
            reason="compensating control: manual review of thin files",
            approver_role="risk_manager",
            expires=clock.now + timedelta(days=30),
        )
    assert asked.state(clock.now).value == "requested"
    assert not team.governance.status(version.model, version.version).decision.allowed
    with acting_as(team, "rita"):
        granted = team.evidence.approve_waiver(asked.id or 0, comment="until the fix ships")
    decision = team.governance.status(version.model, version.version).decision
    assert decision.allowed, decision.checklist()
    item = next(i for i in decision.items if i.name == "findings")
    assert item.met and item.waiver_id == granted.id and "waived until" in item.detail
    event = team.registry.set_alias(version.model, "champion", version.version)
    assert event.version == version.version
    gate = team.governance.audit_events(limit=2)[1]
    assert gate.action == "promotion.gate_passed"
    assert gate.after is not None and gate.after["waived"] == {"findings": granted.id}
    # 31 days later the waiver has expired: the gate fails again
    clock.advance(days=31)
    decision = team.governance.status(version.model, version.version).decision
    assert decision.missing == ["findings"]
    assert [w.state(clock.now).value for w in team.evidence.waivers(version.model)] == ["expired"]


def test_separation_of_duties_on_waivers(team: Client, clock: Clock) -> None:
    version = approved(team)
    finding(team, version, clock)
    expires = clock.now + timedelta(days=10)
    with acting_as(team, "rita"):  # a risk manager asks...
        asked = team.evidence.request_waiver(
            version.model,
            version.version,
            item="findings",
            reason="accepted risk for one quarter",
            approver_role="risk_manager",
            expires=expires,
        )
    waiver_id = asked.id or 0
    with acting_as(team, "rita"), pytest.raises(PermissionDenied, match="may not approve"):
        team.evidence.approve_waiver(waiver_id)  # ... and may not approve it herself
    with acting_as(team, "bob"), pytest.raises(PermissionDenied, match="risk_manager"):
        team.evidence.approve_waiver(waiver_id)  # a validator lacks the role it names
    refused = team.governance.audit_events(limit=5)
    assert any(e.action == "access.denied" for e in refused)
    with acting_as(team, "ron"):
        done = team.evidence.approve_waiver(waiver_id)
    assert done.approved_by == "ron"
    with acting_as(team, "ron"), pytest.raises(Conflict):
        team.evidence.approve_waiver(waiver_id)
    with acting_as(team, "vic"), pytest.raises(PermissionDenied):
        team.evidence.revoke_waiver(waiver_id, reason="no")
    with acting_as(team, "bob"):
        revoked = team.evidence.revoke_waiver(waiver_id, reason="the control is not in place")
    assert revoked.state(clock.now).value == "revoked"
    assert team.governance.status(version.model, version.version).decision.missing == ["findings"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"item": "nope"}, "no gate item 'nope'", id="unknown-item"),
        pytest.param({"approver_role": "validator"}, "may not approve waivers", id="wrong-role"),
        pytest.param({"days": 400}, "at most 90 days", id="too-long"),
        pytest.param({"days": -1}, "in the future", id="past"),
        pytest.param({"reason": " "}, "needs a reason", id="no-reason"),
    ],
)
def test_malformed_waiver_requests_are_refused(
    team: Client, clock: Clock, changes: dict[str, object], message: str
) -> None:
    version = approved(team)
    changes = dict(changes)  # the parameter is shared by both backends' runs: never mutate it
    days = changes.pop("days", 10)
    assert isinstance(days, int)
    request: dict[str, object] = {
        "item": "findings",
        "reason": "why",
        "approver_role": "risk_manager",
        "expires": clock.now + timedelta(days=days),
    } | changes
    with acting_as(team, "alice"), pytest.raises(InvalidInput, match=message):
        team.evidence.request_waiver(version.model, version.version, **request)  # type: ignore[arg-type]


def test_alerts_for_overdue_findings_and_expiring_waivers(team: Client, clock: Clock) -> None:
    version = approved(team)
    finding(team, version, clock)
    with acting_as(team, "alice"):
        asked = team.evidence.request_waiver(
            version.model,
            version.version,
            item="findings",
            reason="quarter",
            approver_role="risk_manager",
            expires=clock.now + timedelta(days=40),
        )
    with acting_as(team, "rita"):
        team.evidence.approve_waiver(asked.id or 0)
    assert team.evidence.alerts() == []
    clock.advance(days=31)  # the finding is overdue, the waiver expires in 9 days
    kinds = [(a.kind, a.subject_id) for a in team.evidence.alerts(version.model)]
    assert sorted(kinds) == [("finding_overdue", 1), ("waiver_expiring", asked.id)]
    assert team.evidence.alerts(within_days=5)[0].kind == "finding_overdue"
    with pytest.raises(InvalidInput, match=r"^within_days must be between 0 and 3650 .* got -1\.$"):
        team.evidence.alerts(within_days=-1)
    assert [f.id for f in team.evidence.findings(open_only=True)] == [1]
    row = team.governance.inventory()[0]
    assert (row.open_findings, row.overdue_findings, row.active_waivers) == (1, 1, 1)
    assert row.overdue and [r.model for r in team.governance.inventory(overdue=True)] == [
        version.model
    ]
