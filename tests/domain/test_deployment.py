"""Deployment configuration rules: consistency checks, promotion, rollback target."""

from datetime import UTC, datetime

import pytest

from modelward.domain.deployment import (
    Deployment,
    DeploymentConfig,
    Strategy,
    check_environment,
    rollback_target,
)
from modelward.errors import Conflict, InvalidInput

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def deployment(config: DeploymentConfig, environment: str = "production") -> Deployment:
    return Deployment("scoring", environment, "credit-risk", "alice", NOW, config)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        pytest.param(DeploymentConfig(1, 2), "needs a strategy", id="challenger-without-strategy"),
        pytest.param(
            DeploymentConfig(1, None, Strategy.CANARY, 0.1),
            "needs a challenger",
            id="no-challenger",
        ),
        pytest.param(
            DeploymentConfig(1, 1, Strategy.SHADOW), "already the champion", id="same-version"
        ),
        pytest.param(
            DeploymentConfig(1, 2, Strategy.CANARY, 0.0), "between 0 and 1", id="zero-share"
        ),
        pytest.param(DeploymentConfig(1, 2, Strategy.AB, 1.5), "between 0 and 1", id="big-share"),
    ],
)
def test_inconsistent_configs_are_refused(config: DeploymentConfig, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        config.check()


@pytest.mark.parametrize(
    ("config", "live"),
    [
        pytest.param(DeploymentConfig(1), {1}, id="champion-only"),
        pytest.param(DeploymentConfig(1, 2, Strategy.SHADOW), {1}, id="shadow-answers-nobody"),
        pytest.param(DeploymentConfig(1, 2, Strategy.BLUEGREEN), {1}, id="green-is-standby"),
        pytest.param(DeploymentConfig(1, 2, Strategy.CANARY, 0.1), {1, 2}, id="canary"),
        pytest.param(DeploymentConfig(1, 2, Strategy.AB, 0.5), {1, 2}, id="ab"),
    ],
)
def test_live_versions_are_those_that_answer_callers(config: DeploymentConfig, live: set) -> None:
    assert config.check().live_versions() == live


def test_promotion_ends_the_experiment_and_bluegreen_keeps_the_old_one_as_standby() -> None:
    canary = deployment(DeploymentConfig(1, 2, Strategy.CANARY, 0.1, seq=2))
    promoted = canary.promoted(actor="bob", at=NOW)
    assert (promoted.champion, promoted.challenger, promoted.strategy) == (2, None, Strategy.NONE)
    assert promoted.parent_seq == 2
    blue = deployment(DeploymentConfig(1, 2, Strategy.BLUEGREEN, seq=3))
    switched = blue.promoted(actor="bob", at=NOW)
    assert (switched.champion, switched.challenger, switched.action) == (2, 1, "switch")
    with pytest.raises(Conflict, match="no challenger"):
        deployment(DeploymentConfig(1, seq=1)).promoted(actor="bob", at=NOW)


def test_rollback_walks_back_through_the_history() -> None:
    first = DeploymentConfig(1, seq=1)
    second = DeploymentConfig(2, seq=2, parent_seq=1)
    assert rollback_target([first, second], second) is first
    with pytest.raises(Conflict, match="no previous configuration"):
        rollback_target([first], first)


@pytest.mark.parametrize("env", ["Production", "staging", "eu-prod_2"])
def test_environments_are_lower_case_names(env: str) -> None:
    assert check_environment(env) == env.lower()


def test_a_bad_environment_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a valid environment"):
        check_environment("prod/../x")
    assert deployment(DeploymentConfig(1), "prod").is_production
    assert not deployment(DeploymentConfig(1), "staging").is_production
