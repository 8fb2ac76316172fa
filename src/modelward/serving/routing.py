"""Pure routing rules: whether the models answer at all (the kill switch), which version
answers a request, and which scores it in the shadow.

Shares are decided by a stable hash (blake2b) of the request id (canary) or of a request key
(A/B), so a decision is the same on every replica and after every restart. The kill switch
rule is the same for the scoring service and for batch scoring.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from modelward.domain.deployment import Deployment, DeploymentConfig, Strategy
from modelward.errors import DeploymentDisabled

CHAMPION = "champion"
CHALLENGER = "challenger"
SHADOW = "shadow"
FALLBACK = "fallback"  # the arm of an answer given by the kill switch, not by a model

_SCALE = float(1 << 64)


def stable_fraction(key: str, *, salt: str = "") -> float:
    """A number in [0, 1) that depends only on `key` and `salt` (uniform over keys)."""
    digest = hashlib.blake2b(f"{salt}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


@dataclass(frozen=True)
class Route:
    """Who answers (`version`, `arm`) and who, if anyone, scores in the shadow."""

    version: int
    arm: str
    shadow_version: int | None = None


def route(config: DeploymentConfig, *, request_id: str, key: str | None = None) -> Route:
    """Pick the answering version for one request under `config`.

    Args:
        config: the deployment's current configuration.
        request_id: the request's id (canary split).
        key: the value of the A/B key field, if the request had one (else the request id).
    """
    strategy = config.strategy
    challenger = config.challenger
    if challenger is None or strategy in (Strategy.NONE, Strategy.BLUEGREEN):
        return Route(config.champion, CHAMPION)
    if strategy is Strategy.SHADOW:
        return Route(config.champion, CHAMPION, shadow_version=challenger)
    if strategy is Strategy.CANARY:
        picked = stable_fraction(request_id, salt="canary") < config.share
    else:  # A/B: salted by the pair of versions so a new experiment reshuffles the groups
        salt = f"ab:{config.champion}:{challenger}"
        picked = stable_fraction(key if key is not None else request_id, salt=salt) < config.share
    return Route(challenger, CHALLENGER) if picked else Route(config.champion, CHAMPION)


@dataclass(frozen=True)
class Fallback:
    """The answer a killed deployment gives instead of its models': `value` for every row."""

    value: Any

    def predictions(self, rows: int) -> list[Any]:
        """One copy of the fallback answer per input row."""
        return [self.value] * rows


def kill_switch(deployment: Deployment) -> Fallback | None:
    """What the kill switch says about scoring for `deployment`.

    Returns:
        None while the deployment is live (its models answer), else the `Fallback` to give
        instead of any model's answer.

    Raises:
        DeploymentDisabled: the deployment is killed and has no fallback answer: nothing may
            be scored for it until it is revived.
    """
    if not deployment.killed:
        return None
    if deployment.fallback is None:
        name = deployment.name
        raise DeploymentDisabled(
            f"Deployment {name!r} is disabled by its kill switch and has no fallback answer;"
            f" re-enable it with 'modelward deploy revive {name}'.",
            deployment=name,
        )
    return Fallback(deployment.fallback)
