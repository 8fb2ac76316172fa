"""The promotion gate through the real services: every item, the protected alias, auto-promotion."""

from __future__ import annotations

from typing import Any

import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.domain.registry import ModelVersion
from modelward.errors import InvalidInput, NotFound, PermissionDenied, PolicyViolation
from modelward.governance.policies import policy_hash
from tests.governance.helpers import (
    Clock,
    acting_as,
    check,
    dataset_id,
    fill_card,
    register,
    store_report,
)


def prepare(gov: Client, clock: Clock, *, breaking: str | None = None) -> ModelVersion:
    """A medium-risk version that meets its gate, except for the item `breaking`."""
    version = register(gov)
    gov.governance.assess(version.model, likelihood=3, severity=2, rationale="internal use")
    checks: list[str | dict[str, Any]] = ["performance.roc_auc", "data_quality.missing_rate"]
    if breaking == "check.data_quality":
        checks = ["performance.roc_auc"]
    if breaking == "validation_report":  # a check no item requires, failed by the policy
        checks.append(check("robustness.flip_rate", 0.2, passed=False))
    store_report(gov, version, checks=[check(c) if isinstance(c, str) else c for c in checks])
    fields = ("intended_use", "training_data") if breaking == "card.limitations" else None
    fill_card(gov, version, **({"fields": fields} if fields else {}))
    if breaking != "sign_off.validator":
        with acting_as(gov, "bob"):
            gov.governance.approve(version.model, version.version, role="validator", comment="ok")
    if breaking == "rejections":
        with acting_as(gov, "carol"):
            gov.governance.reject(version.model, version.version, role="risk_manager", comment="no")
    if breaking == "personal_data.legal_basis":
        gov.governance.tag_column(dataset_id(gov, version), "income", personal=True)
    if breaking == "assessment":
        clock.advance(days=366)
    return version


ITEMS = [
    "assessment",
    "validation_report",
    "check.data_quality",
    "sign_off.validator",
    "rejections",
    "card.limitations",
    "personal_data.legal_basis",
]


def test_a_complete_medium_version_passes_and_becomes_champion(gov: Client, clock: Clock) -> None:
    version = prepare(gov, clock)
    status = gov.governance.status(version.model, version.version)
    assert status.decision.allowed, status.decision.checklist()
    assert (status.level, status.stage.value) == ("medium", "approved")
    event = gov.registry.set_alias(version.model, "champion", version.version)
    assert event.version == version.version
    assert gov.governance.status(version.model, version.version).stage.value == "in_production"
    latest = gov.governance.audit_events(limit=2)
    assert [e.action for e in latest] == ["alias.set", "promotion.gate_passed"]
    # the gate's event records which policies decided
    assert latest[1].after is not None
    assert latest[1].after["policy_hash"] == policy_hash(gov.governance.policies)


@pytest.mark.parametrize("item", ITEMS)
def test_each_unmet_item_blocks_the_champion_alias(gov: Client, clock: Clock, item: str) -> None:
    version = prepare(gov, clock, breaking=item)
    status = gov.governance.status(version.model, version.version)
    assert status.decision.missing == [item]
    with pytest.raises(PolicyViolation) as caught:
        gov.registry.set_alias(version.model, "champion", version.version)
    assert caught.value.details["missing"] == [item]
    assert "cannot be promoted (medium risk)" in str(caught.value)
    assert gov.registry.get_version(version.model, version.version).aliases == ()
    # a plain alias is no promotion
    gov.registry.set_alias(version.model, "challenger", version.version)


def test_without_assessment_the_severe_policy_lists_everything(gov: Client) -> None:
    version = register(gov)
    with pytest.raises(PolicyViolation) as caught:
        gov.governance.check_promotion(version.model, version.version)
    missing = caught.value.details["missing"]
    assert {"assessment", "validation_report", "sign_off.risk_manager", "fairness"} <= set(missing)
    assert gov.governance.status(version.model, version.version).level is None


def test_high_risk_needs_fairness_explanations_and_two_roles(gov: Client) -> None:
    version = register(gov)
    gov.governance.assess(version.model, likelihood=4, severity=4)
    store_report(gov, version)
    missing = gov.governance.status(version.model, version.version).decision.missing
    for item in ("fairness", "explanations", "sign_off.validator", "sign_off.risk_manager"):
        assert item in missing
    assert "card.ethical_considerations" in missing


def test_low_risk_auto_promotion_on_review_request(gov: Client) -> None:
    version = register(gov)
    gov.governance.assess(version.model, likelihood=1, severity=3)
    store_report(gov, version, checks=("performance.roc_auc",))
    gov.governance.set_card_field(version.model, 0, "intended_use", "internal triage")
    _, promoted = gov.governance.request_review(version.model, version.version)
    assert promoted is not None and promoted.alias == "champion"
    assert gov.registry.resolve(f"models:/{version.model}@champion").version == version.version
    assert promoted.actor == "alice"


def test_medium_risk_is_never_auto_promoted(gov: Client, clock: Clock) -> None:
    version = prepare(gov, clock)
    _, promoted = gov.governance.request_review(version.model, version.version)
    assert promoted is None
    assert gov.registry.get_version(version.model, version.version).aliases == ()


def test_personal_data_with_a_legal_basis_passes(gov: Client, clock: Clock) -> None:
    version = prepare(gov, clock, breaking="personal_data.legal_basis")
    data = dataset_id(gov, version)
    gov.governance.tag_column(data[:10], "income", personal=True, legal_basis="contract")
    assert gov.governance.status(version.model, version.version).decision.allowed


def test_low_risk_needs_no_legal_basis(gov: Client) -> None:
    version = register(gov)
    gov.governance.assess(version.model, likelihood=1, severity=1)
    gov.governance.tag_column(dataset_id(gov, version), "age", personal=True)
    names = [i.name for i in gov.governance.status(version.model, version.version).decision.items]
    assert "personal_data.legal_basis" not in names


def test_viewer_may_not_promote(gov: Client, clock: Clock) -> None:
    version = prepare(gov, clock)
    gov.governance.add_user("vic", ["viewer"])
    with acting_as(gov, "vic"), pytest.raises(PermissionDenied, match="may not promote"):
        gov.registry.set_alias(version.model, "champion", version.version)


def test_lineage_by_dataset_and_column(gov: Client) -> None:
    first, second = register(gov), register(gov, "other")
    data = dataset_id(gov, first)
    found = gov.governance.lineage(dataset=data)
    assert [(e.model, e.version) for e in found] == [("credit-risk", 1), ("other", 1)]
    assert [e.role for e in found] == ["training", "training"]
    assert len(gov.governance.lineage(column="income")) == 2
    assert gov.governance.lineage(column="no_such_column") == []
    with pytest.raises(NotFound):
        gov.governance.lineage(dataset=data, column="no_such_column")
    with pytest.raises(InvalidInput):
        gov.governance.lineage()
    assert second.model == "other"


def test_tagging_checks_the_column_and_the_basis(gov: Client) -> None:
    version = register(gov)
    data = dataset_id(gov, version)
    with pytest.raises(InvalidInput, match="no column 'email'"):
        gov.governance.tag_column(data, "email", personal=True)
    with pytest.raises(InvalidInput, match="only applies to personal data"):
        gov.governance.tag_column(data, "age", personal=False, legal_basis="consent")
    with pytest.raises(NotFound):
        gov.governance.tag_column("ffffffffff", "age", personal=True)
    tag = gov.governance.tag_column(data, "age", personal=True, legal_basis="consent")
    assert gov.governance.column_tags(data) == [tag]


def test_production_deployments_pass_the_gate(settings: Settings, clock: Clock) -> None:
    governed = Client(settings.model_copy(update={"protected_environments": "production"}))
    governed.backend.clock = clock
    version = register(governed)
    uri = f"models:/{version.model}/{version.version}"
    with pytest.raises(PolicyViolation, match="cannot be promoted") as refused:
        governed.deployments.create("credit-scoring", model_uri=uri, environment="production")
    assert "assessment" in " ".join(refused.value.details["missing"])
    staging = governed.deployments.create("credit-staging", model_uri=uri, environment="staging")
    assert staging.name == "credit-staging"
    governed.close()
