"""Deployment use-cases on SQLite and PostgreSQL: history, rollback, kill switch, audit, gate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.domain.deployment import Strategy
from modelward.errors import AlreadyExists, Conflict, InvalidInput, NotFound, PolicyViolation
from tests.builders import logged_model_run
from tests.governance.helpers import store_report


@pytest.fixture
def models(settings: Settings) -> Iterator[Client]:
    client = Client(settings.model_copy(update={"protected_aliases": ""}))
    for _ in range(3):
        client.registry.register(logged_model_run(client), name="credit-risk")
    client.registry.set_alias("credit-risk", "champion", 1)
    yield client
    client.close()


def actions(client: Client, name: str) -> list[str]:
    with client.backend.uow(read_only=True) as uow:
        events = uow.audit.list_events(entity_type="deployment", entity_id=name)
    return [e.action for e in reversed(events)]


def test_create_resolves_the_uri_once(models: Client) -> None:
    created = models.deployments.create("scoring", model_uri="models:/credit-risk@champion")
    models.registry.set_alias("credit-risk", "champion", 2)
    assert models.deployments.get("scoring").config.champion == created.config.champion == 1
    assert [d.name for d in models.deployments.list()] == ["scoring"]
    with pytest.raises(AlreadyExists):
        models.deployments.create("scoring", model_uri="models:/credit-risk/2")
    with pytest.raises(NotFound, match="no alias 'gold'"):
        models.deployments.create("other", model_uri="models:/credit-risk@gold")


def test_changes_build_a_history_and_rollback_walks_it_back(models: Client) -> None:
    deploy = models.deployments
    deploy.create("scoring", model_uri="models:/credit-risk/1", environment="staging")
    deploy.set_challenger("scoring", 2, strategy="canary", share=0.1, reason="try v2")
    assert deploy.promote("scoring").config.champion == 2
    deploy.set_challenger("scoring", 3, strategy=Strategy.SHADOW)
    back = deploy.rollback("scoring", reason="v3 shadow is noisy")
    assert (back.config.champion, back.config.challenger) == (2, None)
    back = deploy.rollback("scoring")
    assert (back.config.champion, back.config.challenger, back.config.share) == (1, 2, 0.1)
    back = deploy.rollback("scoring")
    assert (back.config.champion, back.config.strategy) == (1, Strategy.NONE)
    with pytest.raises(Conflict, match="no previous configuration"):
        deploy.rollback("scoring")
    history = deploy.history("scoring")
    assert [c.action for c in history] == [
        "create",
        "challenger",
        "promote",
        "challenger",
        "rollback",
        "rollback",
        "rollback",
    ]
    assert history[1].reason == "try v2" and history[1].created_by == "alice"
    assert actions(models, "scoring")[:3] == [
        "deployment.created",
        "deployment.challenger",
        "deployment.promote",
    ]


def test_bluegreen_switch_is_one_step_each_way(models: Client) -> None:
    deploy = models.deployments
    deploy.create("scoring", model_uri="models:/credit-risk/1", environment="staging")
    deploy.set_challenger("scoring", 2, strategy="bluegreen")
    switched = deploy.promote("scoring")
    assert (switched.config.champion, switched.config.challenger) == (2, 1)
    assert deploy.promote("scoring").config.champion == 1


def test_kill_switch_with_and_without_fallback_is_audited(models: Client) -> None:
    deploy = models.deployments
    deploy.create("scoring", model_uri="models:/credit-risk/1", environment="staging")
    killed = deploy.kill("scoring", fallback={"decision": "manual review"}, reason="incident 12")
    assert killed.killed and killed.fallback == {"decision": "manual review"}
    with pytest.raises(Conflict, match="already disabled"):
        deploy.kill("scoring", fallback={"decision": "manual review"})
    revived = deploy.revive("scoring")
    assert not revived.killed and revived.fallback is None
    with pytest.raises(Conflict, match="already enabled"):
        deploy.revive("scoring")
    assert actions(models, "scoring") == [
        "deployment.created",
        "deployment.killed",
        "deployment.revived",
    ]


GATE_POLICY = """
policies:
  low:
    required_checks: []
    required_card_fields: [intended_use]
"""


@pytest.fixture
def governed(settings: Settings, tmp_path: Any) -> Iterator[Client]:
    """`production` protected by the real gate: low risk needs only the intended use filled in,
    and only versions 1 and 2 have it, so version 3 fails the gate."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(GATE_POLICY, "utf-8")
    client = Client(
        settings.model_copy(
            update={
                "protected_aliases": "",
                "protected_environments": "production,eu-live",
                "policy_file": policy,
            }
        )
    )
    for _ in range(3):
        client.registry.register(logged_model_run(client), name="credit-risk")
    client.governance.assess("credit-risk", likelihood=1, severity=1, rationale="internal")
    for version in (1, 2, 3):
        store_report(client, client.registry.get_version("credit-risk", version))
    for version in (1, 2):
        client.governance.set_card_field("credit-risk", version, "intended_use", "scoring")
    yield client
    client.close()


def test_every_change_in_a_protected_environment_passes_the_gate(governed: Client) -> None:
    deploy = governed.deployments
    deploy.create("scoring", model_uri="models:/credit-risk/1", environment="production")
    with pytest.raises(PolicyViolation, match="intended_use") as refused:
        deploy.set_challenger("scoring", 3, strategy="canary", share=0.05)
    assert "card.intended_use" in refused.value.details["missing"]
    with pytest.raises(PolicyViolation):
        deploy.create("other", model_uri="models:/credit-risk/3", environment="production")
    # a shadow sees production data, and a green version takes over at the switch: gated too
    for strategy in ("shadow", "bluegreen", "ab"):
        with pytest.raises(PolicyViolation):
            deploy.set_challenger("scoring", 3, strategy=strategy, share=0.5)
    # the setting replaces the default list: a name of your own is protected as well
    with pytest.raises(PolicyViolation):
        deploy.create("eu", model_uri="models:/credit-risk/3", environment="eu-live")
    deploy.set_challenger("scoring", 2, strategy="canary", share=0.1)
    deploy.promote("scoring")
    assert deploy.get("scoring").config.champion == 2
    assert len(deploy.history("scoring")) == 3  # the refused changes left no trace
    deploy.create("trial", model_uri="models:/credit-risk/3", environment="staging")
    with governed.backend.uow(read_only=True) as uow:
        refusals = [e for e in uow.audit.list_events(limit=200) if e.action == "gate.refused"]
        passed = [
            e for e in uow.audit.list_events(limit=200) if e.action == "promotion.gate_passed"
        ]
    assert len(refusals) == 6  # every refusal is audited, with what was missing
    assert all("card.intended_use" in e.after["missing"] for e in refusals)
    assert {e.entity_id for e in passed} == {"credit-risk/1", "credit-risk/2"}


def test_rollback_and_revive_pass_the_gate_again(governed: Client) -> None:
    deploy = governed.deployments
    deploy.create("scoring", model_uri="models:/credit-risk/1", environment="production")
    deploy.set_challenger("scoring", 2, strategy="canary", share=0.1)
    deploy.promote("scoring")
    deploy.kill("scoring", reason="incident")
    # version 1's documentation is withdrawn: neither rollback nor revive may bring it back
    governed.governance.set_card_field("credit-risk", 1, "intended_use", "")
    with pytest.raises(PolicyViolation):
        deploy.rollback("scoring")
    deploy.revive("scoring")  # version 2 still passes
    assert deploy.get("scoring").killed is False


@pytest.mark.parametrize(
    ("change", "error", "fragment"),
    [
        pytest.param(
            {"version": 9, "strategy": "canary", "share": 0.1},
            NotFound,
            "no version 9",
            id="unknown-version",
        ),
        pytest.param(
            {"version": 2, "strategy": "canary", "share": 2.0},
            InvalidInput,
            "between 0 and 1",
            id="bad-share",
        ),
        pytest.param(
            {"version": 1, "strategy": "shadow"},
            InvalidInput,
            "already the champion",
            id="champion-as-challenger",
        ),
        pytest.param(
            {"version": 2, "strategy": "none"}, InvalidInput, "strategy", id="no-strategy"
        ),
    ],
)
def test_bad_changes_are_refused(
    models: Client, change: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    models.deployments.create("scoring", model_uri="models:/credit-risk/1", environment="dev")
    with pytest.raises(error, match=fragment):
        models.deployments.set_challenger("scoring", **change)


def test_unknown_deployment_says_how_to_list(models: Client) -> None:
    with pytest.raises(NotFound, match="modelward deploy list"):
        models.deployments.promote("ghost")
