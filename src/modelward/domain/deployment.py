"""Deployments and their configuration history (pure entities and rules, no I/O).

A deployment serves versions of one registered model. Its configuration (champion, optional
challenger, routing strategy) is an append-only history: every change appends a new
configuration, and a rollback appends a copy of the configuration that was live before.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from modelward.errors import Conflict, InvalidInput

PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod"})
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_EXPLAIN_TOP = 100  # contributions returned per row at most (all of them are logged)


class Strategy(enum.StrEnum):
    """How traffic is split between the champion and a challenger."""

    NONE = "none"  # the champion answers everything
    CANARY = "canary"  # a share of requests (by a stable hash of the request id) to the challenger
    SHADOW = "shadow"  # the challenger scores every request off the response path
    AB = "ab"  # sticky by a hash of a request key: the same key always gets the same arm
    BLUEGREEN = "bluegreen"  # the challenger is loaded ("green") and switched in at once


class UnseenCategories(enum.StrEnum):
    """What the scoring service does with a category the model never saw in training."""

    ALLOW = "allow"
    REJECT = "reject"


@dataclass(frozen=True)
class DeploymentConfig:
    """One entry of a deployment's configuration history."""

    champion: int
    challenger: int | None = None
    strategy: Strategy = Strategy.NONE
    share: float = 0.0  # canary / A-B share of traffic for the challenger
    ab_key: str | None = None  # request field whose hash makes A/B sticky
    seq: int = 0  # 1, 2, ... assigned by the store
    parent_seq: int | None = None  # the configuration this one replaced (rollback target)
    action: str = "create"
    created_by: str = ""
    created_at: datetime | None = None
    reason: str = ""

    def check(self) -> DeploymentConfig:
        """Return self if consistent, else raise InvalidInput saying what to change."""
        if self.strategy is Strategy.NONE:
            if self.challenger is not None:
                raise InvalidInput(
                    "A challenger needs a strategy: use canary, shadow, ab or bluegreen."
                )
            return self
        if self.challenger is None:
            raise InvalidInput(f"Strategy {self.strategy.value!r} needs a challenger version.")
        if self.challenger == self.champion:
            raise InvalidInput(f"The challenger v{self.challenger} is already the champion.")
        if self.strategy in (Strategy.CANARY, Strategy.AB) and not 0.0 < self.share < 1.0:
            raise InvalidInput(
                f"The {self.strategy.value} share must be between 0 and 1 (exclusive), got"
                f" {self.share!r}; e.g. --share 0.1 for 10% of traffic."
            )
        return self

    def versions(self) -> tuple[int, ...]:
        """The versions this configuration needs loaded."""
        return (self.champion,) if self.challenger is None else (self.champion, self.challenger)

    def live_versions(self) -> set[int]:
        """The versions whose answers reach callers (shadow and green do not)."""
        if self.challenger is not None and self.strategy in (Strategy.CANARY, Strategy.AB):
            return {self.champion, self.challenger}
        return {self.champion}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for audit events."""
        return {
            "champion": self.champion,
            "challenger": self.challenger,
            "strategy": self.strategy.value,
            "share": self.share,
            "ab_key": self.ab_key,
        }


@dataclass(frozen=True)
class Deployment:
    """A named, running home for versions of one model, with its current configuration."""

    name: str
    environment: str
    model: str
    created_by: str
    created_at: datetime
    config: DeploymentConfig
    killed: bool = False
    fallback: Any = None  # the answer given while killed; None means 503
    unseen_categories: UnseenCategories = UnseenCategories.ALLOW
    allow_missing: bool = False  # null / NaN accepted in numeric columns
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    explain_top: int = 0  # 0: no explanations; N: answers carry each row's N main contributions
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    guardrails: dict[str, Any] | None = None  # a GuardrailSpec mapping, set for serving

    @property
    def is_production(self) -> bool:
        return self.environment.lower() in PRODUCTION_ENVIRONMENTS

    def next_config(self, **changes: Any) -> DeploymentConfig:
        """A new configuration after the current one (seq assigned by the store)."""
        return replace(self.config, seq=0, parent_seq=self.config.seq, **changes).check()

    def promoted(self, *, actor: str, at: datetime, reason: str = "") -> DeploymentConfig:
        """The challenger becomes the champion; the strategy ends (blue-green keeps the old one
        loaded as the new standby so it can be switched back at once)."""
        current = self.config
        if current.challenger is None:
            raise Conflict(
                f"Deployment {self.name!r} has no challenger to promote; set one with"
                f" 'modelward deploy set-challenger {self.name} VERSION --strategy ...'."
            )
        keep = current.strategy is Strategy.BLUEGREEN
        return self.next_config(
            champion=current.challenger,
            challenger=current.champion if keep else None,
            strategy=Strategy.BLUEGREEN if keep else Strategy.NONE,
            share=0.0,
            ab_key=None,
            action="switch" if keep else "promote",
            created_by=actor,
            created_at=at,
            reason=reason,
        )


def rollback_target(history: list[DeploymentConfig], current: DeploymentConfig) -> DeploymentConfig:
    """The configuration a rollback returns to: the one `current` replaced.

    Raises:
        Conflict: `current` replaced nothing (it is the first configuration).
    """
    if current.parent_seq is None:
        raise Conflict("There is no previous configuration to roll back to; this is the first one.")
    by_seq = {c.seq: c for c in history}
    return by_seq[current.parent_seq]


def check_environment(environment: str) -> str:
    """A lower-case environment name of letters, digits, '-' or '_'."""
    value = environment.strip().lower()
    if not value or not all(ch.isalnum() or ch in "-_" for ch in value) or len(value) > 64:
        raise InvalidInput(
            f"{environment!r} is not a valid environment; use e.g. production, staging, dev."
        )
    return value
