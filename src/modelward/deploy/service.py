"""Deployment use-cases: create, change (challenger, promote, switch), roll back, kill switch.

One transaction each, with its audit event. Changes that put a version in front of traffic in a
production environment pass the governance gate (an injected callable) first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import (
    DEFAULT_MAX_BODY_BYTES,
    Deployment,
    DeploymentConfig,
    Strategy,
    UnseenCategories,
    check_environment,
    rollback_target,
)
from modelward.domain.names import check_name
from modelward.domain.ports import UnitOfWork
from modelward.domain.registry import ModelVersion, parse_model_uri
from modelward.errors import Conflict, InvalidInput
from modelward.registry import service as registry

# The governance gate: raises PolicyViolation when `version` may not serve in `target`.
Gate = Callable[[UnitOfWork, ModelVersion, str], None]


def _audit(
    uow: UnitOfWork,
    action: str,
    name: str,
    *,
    actor: str,
    at: datetime,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> None:
    uow.audit.append(
        AuditEvent(
            action=action,
            entity_type="deployment",
            entity_id=name,
            actor=actor,
            at=at,
            before=before,
            after=after,
            reason=reason,
        )
    )


def _gate_new_versions(
    uow: UnitOfWork,
    deployment: Deployment,
    config: DeploymentConfig,
    gate: Gate | None,
) -> None:
    """Run the gate for every version `config` puts in front of traffic for the first time."""
    if gate is None or not deployment.is_production:
        return
    already_live = deployment.config.live_versions() if deployment.config.seq else set()
    for number in sorted(config.live_versions() - already_live):
        gate(uow, uow.registry.get_version(deployment.model, number), deployment.environment)


def create_deployment(
    uow: UnitOfWork,
    *,
    name: str,
    environment: str,
    model_uri: str,
    actor: str,
    now: datetime,
    unseen_categories: UnseenCategories = UnseenCategories.ALLOW,
    allow_missing: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    reason: str = "",
    gate: Gate | None = None,
) -> Deployment:
    """Create deployment `name` serving the version `model_uri` resolves to now.

    Raises:
        InvalidInput: a bad name, environment, URI or body limit.
        NotFound: the model, version or alias does not exist.
        AlreadyExists: the name is taken.
        PolicyViolation: a production deployment whose version does not pass the gate.
    """
    check_name(name, what="deployment")
    env = check_environment(environment)
    if max_body_bytes < 1024:
        raise InvalidInput(f"The body limit must be at least 1024 bytes, got {max_body_bytes}.")
    uri = parse_model_uri(model_uri)
    with uow:
        version = registry._resolve(uow, uri.name, uri.version, uri.alias)
        config = DeploymentConfig(
            champion=version.version, created_by=actor, created_at=now, reason=reason
        )
        draft = Deployment(
            name=name,
            environment=env,
            model=version.model,
            created_by=actor,
            created_at=now,
            config=config,
            unseen_categories=UnseenCategories(unseen_categories),
            allow_missing=allow_missing,
            max_body_bytes=max_body_bytes,
        )
        _gate_new_versions(uow, draft, config, gate)
        created = uow.deployments.create_deployment(draft)
        after = {"environment": env, "model": version.model, "from_uri": model_uri}
        after |= config.as_dict()
        _audit(uow, "deployment.created", name, actor=actor, at=now, after=after, reason=reason)
        uow.commit()
    return created


def _change(
    uow: UnitOfWork,
    name: str,
    make: Callable[[Deployment], DeploymentConfig],
    *,
    actor: str,
    now: datetime,
    reason: str,
    gate: Gate | None,
) -> Deployment:
    """Append the configuration `make` builds from the live deployment; audit it."""
    with uow:
        current = uow.deployments.get_deployment(name)
        config = replace(make(current), created_by=actor, created_at=now, reason=reason)
        for number in config.versions():
            uow.registry.get_version(current.model, number)  # NotFound for unknown versions
        _gate_new_versions(uow, current, config, gate)
        uow.deployments.append_config(name, config)
        _audit(
            uow,
            f"deployment.{config.action}",
            name,
            actor=actor,
            at=now,
            before=current.config.as_dict() | {"seq": current.config.seq},
            after=config.as_dict(),
            reason=reason,
        )
        updated = uow.deployments.get_deployment(name)
        uow.commit()
    return updated


def set_challenger(
    uow: UnitOfWork,
    *,
    name: str,
    version: int,
    strategy: Strategy,
    actor: str,
    now: datetime,
    share: float = 0.0,
    ab_key: str | None = None,
    reason: str = "",
    gate: Gate | None = None,
) -> Deployment:
    """Put `version` beside the champion with a strategy (canary, shadow, ab, bluegreen).

    Raises:
        InvalidInput: no strategy, a share outside (0, 1), the champion as challenger.
        NotFound: no such deployment or version.
        PolicyViolation: canary/A-B in production with a version that does not pass the gate.
    """
    strategy = Strategy(strategy)
    if strategy is Strategy.NONE:
        raise InvalidInput("Give the challenger a strategy: canary, shadow, ab or bluegreen.")
    return _change(
        uow,
        name,
        lambda d: d.next_config(
            challenger=version, strategy=strategy, share=share, ab_key=ab_key, action="challenger"
        ),
        actor=actor,
        now=now,
        reason=reason,
        gate=gate,
    )


def clear_challenger(
    uow: UnitOfWork, *, name: str, actor: str, now: datetime, reason: str = ""
) -> Deployment:
    """Stop the experiment: the champion answers everything again. Raises NotFound."""
    return _change(
        uow,
        name,
        lambda d: d.next_config(
            challenger=None, strategy=Strategy.NONE, share=0.0, ab_key=None, action="challenger"
        ),
        actor=actor,
        now=now,
        reason=reason,
        gate=None,
    )


def promote(
    uow: UnitOfWork,
    *,
    name: str,
    actor: str,
    now: datetime,
    reason: str = "",
    gate: Gate | None = None,
) -> Deployment:
    """The challenger becomes the champion (for blue-green: switch green and blue at once).

    Raises:
        NotFound: no such deployment.
        Conflict: the deployment has no challenger.
        PolicyViolation: production, and the challenger does not pass the gate.
    """
    return _change(
        uow,
        name,
        lambda d: d.promoted(actor=actor, at=now, reason=reason),
        actor=actor,
        now=now,
        reason=reason,
        gate=gate,
    )


def rollback(
    uow: UnitOfWork, *, name: str, actor: str, now: datetime, reason: str = ""
) -> Deployment:
    """Return to the configuration the live one replaced, in one step (no gate: every version
    it brings back has served this deployment before).

    Raises:
        NotFound: no such deployment.
        Conflict: the live configuration is the first one.
    """

    def previous(d: Deployment) -> DeploymentConfig:
        with_history = uow.deployments.list_configs(name)
        target = rollback_target(with_history, d.config)
        return replace(target, seq=0, action="rollback")

    return _change(uow, name, previous, actor=actor, now=now, reason=reason, gate=None)


def set_kill_switch(
    uow: UnitOfWork,
    *,
    name: str,
    killed: bool,
    actor: str,
    now: datetime,
    fallback: Any = None,
    reason: str = "",
) -> Deployment:
    """Disable (`killed`) or re-enable a deployment; while killed, requests get `fallback`
    as their answer, or a 503 when it is None.

    Raises:
        NotFound: no such deployment.
        Conflict: the deployment is already in that state.
    """
    with uow:
        current = uow.deployments.get_deployment(name)
        if current.killed == killed and (not killed or current.fallback == fallback):
            state = "disabled" if killed else "enabled"
            raise Conflict(f"Deployment {name!r} is already {state}.")
        uow.deployments.update_state(
            name, at=now, killed=killed, fallback=fallback if killed else None
        )
        _audit(
            uow,
            "deployment.killed" if killed else "deployment.revived",
            name,
            actor=actor,
            at=now,
            before={"killed": current.killed, "fallback": current.fallback},
            after={"killed": killed, "fallback": fallback if killed else None},
            reason=reason,
        )
        updated = uow.deployments.get_deployment(name)
        uow.commit()
    return updated


def get_deployment(uow: UnitOfWork, *, name: str) -> Deployment:
    """The deployment with its live configuration. Raises NotFound."""
    with uow:
        return uow.deployments.get_deployment(name)


def list_deployments(uow: UnitOfWork) -> list[Deployment]:
    """Every deployment, by name."""
    with uow:
        return uow.deployments.list_deployments()


def history(uow: UnitOfWork, *, name: str) -> list[DeploymentConfig]:
    """The configuration history, oldest first. Raises NotFound."""
    with uow:
        return uow.deployments.list_configs(name)
