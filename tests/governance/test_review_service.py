"""Risk assessments, sign-off rules, roles and the bootstrap rule, card fields and the card."""

from __future__ import annotations

from datetime import timedelta

import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.governance.helpers import Clock, acting_as, register, store_report

ANSWERS = {
    "exposure": "external",
    "automated": True,
    "affects_people": True,
    "regulation": ["credit"],
    "financial_impact": "high",
    "outage_impact": "minor",
    "data_change": "seasonal",
    "maintainers": 1,
}


def test_explicit_assessment_is_kept_with_history_and_audited(gov: Client, clock: Clock) -> None:
    register(gov)
    first = gov.governance.assess("credit-risk", likelihood=2, severity="high", rationale="r1")
    second = gov.governance.assess("credit-risk", likelihood="very likely", severity=5)
    assert (first.score, first.level.value) == (8, "medium")
    assert (second.score, second.level.value) == (25, "severe")
    assert second.expires_at == second.assessed_at + timedelta(days=180)  # the severe policy
    assert gov.governance.assessment("credit-risk") == second
    assert gov.governance.assessment_history("credit-risk") == [second, first]
    event = gov.governance.audit_events(entity_type="model", entity_id="credit-risk", limit=1)[0]
    assert event.action == "risk.assessed"
    assert event.before and event.before["score"] == 8
    assert event.after and event.after["level"] == "severe"


@pytest.mark.parametrize(
    ("likelihood", "severity"), [(0, 3), (6, 3), (3, 0), (3, 6), ("often", 2), (None, 2)]
)
def test_bad_values_change_nothing(gov: Client, likelihood: object, severity: object) -> None:
    register(gov)
    with pytest.raises(InvalidInput):
        gov.governance.assess("credit-risk", likelihood=likelihood, severity=severity)
    assert gov.governance.assessment("credit-risk") is None


def test_unknown_model_is_not_found(gov: Client) -> None:
    with pytest.raises(NotFound):
        gov.governance.assess("nope", likelihood=1, severity=1)


def test_questionnaire_suggests_and_keeps_the_answers(gov: Client) -> None:
    register(gov)
    suggestion = gov.governance.suggest(ANSWERS)
    found = gov.governance.assess("credit-risk", answers=ANSWERS)
    assert (found.likelihood, found.severity) == (suggestion.likelihood, suggestion.severity)
    assert found.answers["regulation"] == ["credit"]
    overridden = gov.governance.assess("credit-risk", answers=ANSWERS, likelihood=1)
    assert int(overridden.likelihood) == 1 and overridden.severity == suggestion.severity
    with pytest.raises(InvalidInput, match="not answered"):
        gov.governance.assess("credit-risk", answers={"exposure": "external"})


@pytest.fixture
def team(gov: Client) -> Client:
    """alice (data scientist, author), bob (validator), carol (risk manager), vic (viewer)."""
    store_report(gov, register(gov))  # approvals rest on a validation report
    gov.governance.assess("credit-risk", likelihood=3, severity=2)
    gov.governance.add_user("alice", ["data_scientist"])  # the first user: alice is admin too
    gov.governance.add_user("bob", ["validator"])
    gov.governance.add_user("carol", ["risk_manager"])
    gov.governance.add_user("vic", ["viewer"])
    return gov


def test_author_may_not_approve_own_version(team: Client) -> None:
    team.governance.add_user("alice", ["validator"])
    with pytest.raises(PermissionDenied, match="created credit-risk v1 and may not approve"):
        team.governance.approve("credit-risk", 1, role="validator")


def test_duplicate_approval_is_refused(team: Client) -> None:
    with acting_as(team, "bob"):
        team.governance.approve("credit-risk", 1, role="validator", comment="fine")
        with pytest.raises(Conflict, match="already gave approve"):
            team.governance.approve("credit-risk", 1, role="validator")
    uow = team.backend.uow(read_only=True)
    with uow:
        assert len(uow.governance.list_sign_offs("credit-risk", 1)) == 1


def test_unknown_role_and_roles_not_held(team: Client) -> None:
    with acting_as(team, "bob"):
        with pytest.raises(InvalidInput, match="Unknown role 'auditor'"):
            team.governance.approve("credit-risk", 1, role="auditor")
        with pytest.raises(PermissionDenied, match="does not hold the role 'risk_manager'"):
            team.governance.approve("credit-risk", 1, role="risk_manager")


def test_viewer_cannot_approve(team: Client) -> None:
    with acting_as(team, "vic"):
        with pytest.raises(PermissionDenied, match="may not approve"):
            team.governance.approve("credit-risk", 1, role="viewer")
        with pytest.raises(PermissionDenied):
            team.governance.approve("credit-risk", 1, role="validator")


def test_reject_needs_a_comment_and_approval_withdraws_it(team: Client) -> None:
    with acting_as(team, "carol"):
        with pytest.raises(InvalidInput, match="comment is required"):
            team.governance.reject("credit-risk", 1, role="risk_manager", comment=" ")
        team.governance.reject("credit-risk", 1, role="risk_manager", comment="leaks target")
    assert "rejections" in team.governance.status("credit-risk", 1).decision.missing
    with acting_as(team, "carol"):
        team.governance.approve("credit-risk", 1, role="risk_manager", comment="fixed")
    assert "rejections" not in team.governance.status("credit-risk", 1).decision.missing


def test_distinct_people_fill_distinct_slots(gov: Client) -> None:
    store_report(gov, register(gov))
    gov.governance.assess("credit-risk", likelihood=4, severity=4)  # high: validator + risk mgr
    gov.governance.add_user("dan", ["validator", "risk_manager"])
    with acting_as(gov, "dan"):
        gov.governance.approve("credit-risk", 1, role="validator")
        # a second approval by the same person would not count: refused, not recorded
        with pytest.raises(PermissionDenied, match="would not count"):
            gov.governance.approve("credit-risk", 1, role="risk_manager")
    missing = gov.governance.status("credit-risk", 1).decision.missing
    assert "sign_off.validator" not in missing and "sign_off.risk_manager" in missing


def test_approval_and_review_need_a_validation_report_first(gov: Client) -> None:
    version = register(gov)
    gov.governance.add_user("alice", ["data_scientist"])
    gov.governance.add_user("bob", ["validator"])
    with pytest.raises(Conflict, match="no validation report yet"):
        gov.governance.request_review("credit-risk", 1, comment="please")
    with acting_as(gov, "bob"):
        with pytest.raises(Conflict, match="no validation report an approval could rest on"):
            gov.governance.approve("credit-risk", 1, role="validator")
        gov.governance.reject("credit-risk", 1, role="validator", comment="not validated")
    store_report(gov, version)
    gov.governance.request_review("credit-risk", 1, comment="validated now")
    with acting_as(gov, "bob"):
        gov.governance.approve("credit-risk", 1, role="validator")


def test_bootstrap_then_roles_are_enforced(gov: Client) -> None:
    register(gov)
    me = gov.governance.whoami()
    assert me.bootstrap and "admin" in me.roles
    user = gov.governance.add_user("bob", ["validator"])
    assert user.roles == ("validator",)
    assert {u.name: u.roles for u in gov.governance.users()} == {
        "alice": ("admin",),
        "bob": ("validator",),
    }
    with acting_as(gov, "eve"):
        with pytest.raises(PermissionDenied, match="eve \\(no role\\) may not assess_risk"):
            gov.governance.assess("credit-risk", likelihood=1, severity=1)
        with pytest.raises(PermissionDenied):
            gov.governance.add_user("eve", ["admin"])
    with acting_as(gov, "bob"), pytest.raises(PermissionDenied):
        gov.governance.add_user("mallory", ["admin"])
    with pytest.raises(InvalidInput, match="Unknown role"):
        gov.governance.add_user("zed", ["wizard"])
    assert gov.governance.whoami().bootstrap is False


def test_card_fields_version_values_win_and_are_audited(gov: Client) -> None:
    register(gov)
    register(gov)
    gov.governance.set_card_field("credit-risk", 0, "intended_use", "all versions")
    gov.governance.set_card_field("credit-risk", 2, "intended_use", "only v2")
    uow = gov.backend.uow(read_only=True)
    with uow:
        assert uow.governance.card_fields("credit-risk", 1) == {"intended_use": "all versions"}
        assert uow.governance.card_fields("credit-risk", 2) == {"intended_use": "only v2"}
    with pytest.raises(InvalidInput, match="Unknown model card field"):
        gov.governance.set_card_field("credit-risk", 1, "colour", "blue")
    with pytest.raises(NotFound):
        gov.governance.set_card_field("credit-risk", 9, "intended_use", "x")
    events = gov.governance.audit_events(entity_id="credit-risk/2", limit=1)
    assert events[0].action == "card.field_set" and events[0].after == {"intended_use": "only v2"}


def test_model_card_has_the_governance_sections(gov: Client) -> None:
    version = register(gov)
    gov.governance.assess(version.model, likelihood=4, severity=3, rationale="customers")
    gov.governance.set_card_field(version.model, 1, "intended_use", "Score loan applicants.")
    store_report(gov, version, checks=("performance.roc_auc", "fairness.four_fifths_rule[sex]"))
    with acting_as(gov, "bob"):
        gov.governance.approve(version.model, 1, role="validator", comment="solid")
    text = gov.governance.model_card(version.model, 1)
    for title in ("Intended use", "Limitations", "Training data", "Metrics", "Fairness", "Risk"):
        assert f"## {title}" in text
    assert "Score loan applicants." in text and "**[12 high]**" in text
    assert "| bob | validator | approve | solid |" in text
    assert "fairness.four_fifths_rule[sex]" in text.split("## Fairness")[1]
    assert "risk.assessed" in text.split("## History")[1]
    html = gov.governance.model_card(version.model, 1, html=True)
    assert html.startswith("<!doctype html>") and "<table>" in html and "<strong>[12 high]" in html


def test_policy_file_from_settings(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "policies.yaml"
    path.write_text("policies:\n  medium:\n    sign_offs: {validator: 2}\n")
    made = Client(settings.model_copy(update={"policy_file": path}))
    try:
        assert dict(made.governance.policies.for_level("medium").sign_offs) == {"validator": 2}  # type: ignore[arg-type]
        path.write_text("policies:\n  medium:\n    sign_offz: 1\n")
        with pytest.raises(InvalidInput, match="policies.yaml:3: policies.medium.sign_offz"):
            made.governance.policies  # noqa: B018
    finally:
        made.close()
