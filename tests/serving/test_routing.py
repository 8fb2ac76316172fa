"""Routing rules: canary share by a stable hash, A/B stickiness, shadow pick."""

import uuid

import pytest

from modelward.domain.deployment import DeploymentConfig, Strategy
from modelward.serving.routing import CHALLENGER, CHAMPION, route, stable_fraction

IDS = [uuid.UUID(int=i).hex for i in range(20_000)]


@pytest.mark.parametrize("share", [0.01, 0.1, 0.25, 0.5, 0.9])
def test_canary_share_is_within_two_percent_over_20k_ids(share: float) -> None:
    config = DeploymentConfig(1, 2, Strategy.CANARY, share)
    to_challenger = sum(route(config, request_id=rid).arm == CHALLENGER for rid in IDS)
    assert abs(to_challenger / len(IDS) - share) <= 0.02


def test_a_request_id_always_gets_the_same_arm() -> None:
    config = DeploymentConfig(1, 2, Strategy.CANARY, 0.3)
    assert [route(config, request_id=r) for r in IDS[:500]] == [
        route(config, request_id=r) for r in IDS[:500]
    ]


def test_ab_is_sticky_by_key_whatever_the_request_id() -> None:
    config = DeploymentConfig(1, 2, Strategy.AB, 0.5, ab_key="customer_id")
    for customer in ("c-1", "c-2", "c-3", "c-42"):
        arms = {route(config, request_id=uuid.uuid4().hex, key=customer).arm for _ in range(50)}
        assert len(arms) == 1
    groups = [route(config, request_id="x", key=f"c-{i}").version for i in range(4_000)]
    assert abs(groups.count(2) / len(groups) - 0.5) <= 0.03


def test_shadow_answers_with_the_champion_and_shadows_the_challenger() -> None:
    picked = route(DeploymentConfig(1, 2, Strategy.SHADOW), request_id="r")
    assert (picked.version, picked.arm, picked.shadow_version) == (1, CHAMPION, 2)


@pytest.mark.parametrize(
    "config",
    [DeploymentConfig(3), DeploymentConfig(3, 4, Strategy.BLUEGREEN)],
    ids=["none", "bluegreen-before-switch"],
)
def test_the_champion_answers_everything(config: DeploymentConfig) -> None:
    assert {route(config, request_id=r).version for r in IDS[:1000]} == {3}


def test_stable_fraction_is_in_unit_interval_and_salted() -> None:
    values = [stable_fraction(r) for r in IDS[:1000]]
    assert all(0.0 <= v < 1.0 for v in values)
    assert stable_fraction("a", salt="x") != stable_fraction("a", salt="y")
