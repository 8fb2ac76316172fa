"""Deployment use-cases: create, change (challenger, promote, switch), roll back, kill switch.

One transaction each, with its audit event. Every change needs the deploy permission; every
change that brings a version into a protected environment (production by default) passes the
risk tier's gate first, through the required `Guard`: create, challenger (canary, shadow, A/B,
blue-green), promote, rollback and revive alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import (
    DEFAULT_MAX_BODY_BYTES,
    MAX_EXPLAIN_TOP,
    Deployment,
    DeploymentConfig,
    Strategy,
    UnseenCategories,
    check_environment,
    rollback_target,
)
from modelward.domain.names import check_name
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.registry import ModelVersion, parse_model_uri
from modelward.domain.roles import Action
from modelward.errors import Conflict, InvalidInput, NotFound
from modelward.governance.graph import impact_in
from modelward.registry import service as registry
from modelward.serving.routing import kill_switch


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


def _gate(
    uow: UnitOfWork,
    guard: Guard,
    deployment: Deployment,
    versions: set[int] | tuple[int, ...],
) -> list[int]:
    """The deploy permission, then the gate for each of `versions` when the deployment's
    environment is protected; returns the audit sequence numbers of the passed gates."""
    guard.require(uow, Action.DEPLOY, subject=f"deployment {deployment.name}")
    passed = []
    for number in sorted(set(versions)):
        target = uow.registry.get_version(deployment.model, number)
        seq = guard.gate(uow, target, target=deployment.environment, kind="environment")
        if seq is not None:
            passed.append(seq)
    return passed


def create_deployment(
    uow: UnitOfWork,
    *,
    name: str,
    environment: str,
    model_uri: str,
    guard: Guard,
    unseen_categories: UnseenCategories = UnseenCategories.ALLOW,
    allow_missing: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    reason: str = "",
) -> Deployment:
    """Create deployment `name` serving the version `model_uri` resolves to now.

    Raises:
        InvalidInput: a bad name, environment, URI or body limit.
        NotFound: the model, version or alias does not exist.
        AlreadyExists: the name is taken.
        PermissionDenied: the actor may not deploy.
        PolicyViolation: a protected environment, and the version does not pass the gate.
    """
    check_name(name, what="deployment")
    actor, now = guard.actor, guard.now()
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
        gates = _gate(uow, guard, draft, config.versions())
        created = uow.deployments.create_deployment(draft)
        after: dict[str, Any] = {"environment": env, "model": version.model}
        after |= {"from_uri": model_uri, "gate_events": gates}
        after |= config.as_dict()
        _audit(uow, "deployment.created", name, actor=actor, at=now, after=after, reason=reason)
        uow.commit()
    return created


def _change(
    uow: UnitOfWork,
    name: str,
    make: Callable[[Deployment], DeploymentConfig],
    *,
    guard: Guard,
    reason: str,
    gate_all: bool = False,
) -> Deployment:
    """Append the configuration `make` builds from the live deployment; audit it.

    Every version the new configuration serves that the live one did not (or every version,
    with `gate_all`) passes the gate of a protected environment.
    """
    actor, now = guard.actor, guard.now()
    with uow:
        current = uow.deployments.get_deployment(name)
        guard.require(uow, Action.DEPLOY, subject=f"deployment {name}")
        config = replace(make(current), created_by=actor, created_at=now, reason=reason)
        for number in config.versions():
            uow.registry.get_version(current.model, number)  # NotFound for unknown versions
        before = set(current.config.versions())
        new = set(config.versions()) if gate_all else set(config.versions()) - before
        gates = _gate(uow, guard, current, new)
        uow.deployments.append_config(name, config)
        _audit(
            uow,
            f"deployment.{config.action}",
            name,
            actor=actor,
            at=now,
            before=current.config.as_dict() | {"seq": current.config.seq},
            after=config.as_dict()
            | {"gate_events": gates, "downstream": impact_in(uow, current.model).as_dict()},
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
    guard: Guard,
    share: float = 0.0,
    ab_key: str | None = None,
    reason: str = "",
) -> Deployment:
    """Put `version` beside the champion with a strategy (canary, shadow, ab, bluegreen).

    Raises:
        InvalidInput: no strategy, a share outside (0, 1), the champion as challenger.
        NotFound: no such deployment or version.
        PermissionDenied: the actor may not deploy.
        PolicyViolation: a protected environment, and the version does not pass the gate
            (every strategy: a shadow or green version sees production data too).
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
        guard=guard,
        reason=reason,
    )


def clear_challenger(uow: UnitOfWork, *, name: str, guard: Guard, reason: str = "") -> Deployment:
    """Stop the experiment: the champion answers everything again.

    Raises:
        NotFound: no such deployment.
        PermissionDenied: the actor may not deploy.
    """
    return _change(
        uow,
        name,
        lambda d: d.next_config(
            challenger=None, strategy=Strategy.NONE, share=0.0, ab_key=None, action="challenger"
        ),
        guard=guard,
        reason=reason,
    )


def promote(uow: UnitOfWork, *, name: str, guard: Guard, reason: str = "") -> Deployment:
    """The challenger becomes the champion (for blue-green: switch green and blue at once).

    Raises:
        NotFound: no such deployment.
        Conflict: the deployment has no challenger.
        PermissionDenied: the actor may not deploy.
        PolicyViolation: a protected environment, and the new champion does not pass the gate.
    """
    return _change(
        uow,
        name,
        lambda d: d.promoted(actor=guard.actor, at=guard.now(), reason=reason),
        guard=guard,
        reason=reason,
        gate_all=True,  # a challenger gated as shadow is gated again to answer everyone
    )


def rollback(uow: UnitOfWork, *, name: str, guard: Guard, reason: str = "") -> Deployment:
    """Return to the configuration the live one replaced, in one step. The versions it brings
    back pass the gate again: what was allowed then may not be now (an expired assessment,
    a rejection since).

    Raises:
        NotFound: no such deployment.
        Conflict: the live configuration is the first one.
        PermissionDenied: the actor may not deploy.
        PolicyViolation: a protected environment, and a version does not pass the gate.
    """

    def previous(d: Deployment) -> DeploymentConfig:
        with_history = uow.deployments.list_configs(name)
        target = rollback_target(with_history, d.config)
        return replace(target, seq=0, action="rollback")

    return _change(uow, name, previous, guard=guard, reason=reason, gate_all=True)


def set_kill_switch(
    uow: UnitOfWork,
    *,
    name: str,
    killed: bool,
    guard: Guard,
    fallback: Any = None,
    reason: str = "",
) -> Deployment:
    """Disable (`killed`) or re-enable a deployment; while killed, requests get `fallback`
    as their answer, or a 503 when it is None. Reviving puts the live versions back in
    front of traffic, so in a protected environment they pass the gate again.

    Raises:
        NotFound: no such deployment.
        Conflict: the deployment is already in that state.
        PermissionDenied: the actor may not deploy.
        PolicyViolation: reviving in a protected environment a version that fails the gate.
    """
    actor, now = guard.actor, guard.now()
    with uow:
        current = uow.deployments.get_deployment(name)
        gates = _gate(uow, guard, current, () if killed else current.config.versions())
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
            after={"killed": killed, "fallback": fallback if killed else None}
            | {"gate_events": gates, "downstream": impact_in(uow, current.model).as_dict()},
            reason=reason,
        )
        updated = uow.deployments.get_deployment(name)
        uow.commit()
    return updated


def set_explanations(
    uow: UnitOfWork, *, name: str, top: int, guard: Guard, reason: str = ""
) -> Deployment:
    """Make each answer of deployment `name` carry its rows' `top` main contributions (and the
    prediction log keep all of them); 0 turns explanations off. Taken up at the next poll.

    Raises:
        InvalidInput: `top` is not between 0 and MAX_EXPLAIN_TOP.
        NotFound: no such deployment.
        Conflict: the deployment already has that setting.
        PermissionDenied: the actor may not deploy.
    """
    if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= MAX_EXPLAIN_TOP:
        raise InvalidInput(
            f"The number of contributions per row must be between 0 (off) and"
            f" {MAX_EXPLAIN_TOP}, got {top!r}; e.g. --top 4."
        )
    actor, now = guard.actor, guard.now()
    with uow:
        current = uow.deployments.get_deployment(name)
        guard.require(uow, Action.DEPLOY, subject=f"deployment {name}")
        if current.explain_top == top:
            state = f"explains the top {top} contributions" if top else "explains nothing"
            raise Conflict(f"Deployment {name!r} already {state}.")
        uow.deployments.update_state(name, at=now, explain_top=top)
        _audit(
            uow,
            "deployment.explanations",
            name,
            actor=actor,
            at=now,
            before={"explain_top": current.explain_top},
            after={"explain_top": top},
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


_SWITCH_ACTIONS = {"deployment.killed": "kill", "deployment.revived": "revive"}


def history(uow: UnitOfWork, *, name: str) -> list[DeploymentConfig]:
    """The configuration history, oldest first, with each kill and revive (from the audit
    trail) as an entry of action ``kill`` / ``revive`` that repeats the configuration then in
    force (its `seq`). Raises NotFound."""
    with uow:
        configs = uow.deployments.list_configs(name)
        events = uow.audit.list_events(entity_type="deployment", entity_id=name, limit=100_000)
    switches = []
    for event in events:
        action = _SWITCH_ACTIONS.get(event.action)
        in_force = [c for c in configs if c.created_at is None or c.created_at <= event.at]
        if action is None or not in_force:
            continue
        switches.append(
            replace(
                in_force[-1],
                action=action,
                created_by=event.actor,
                created_at=event.at,
                reason=event.reason,
            )
        )
    never = datetime.min.replace(tzinfo=UTC)  # configurations always carry a time; kept total
    return sorted([*configs, *switches], key=lambda c: c.created_at or never)


@dataclass(frozen=True)
class BatchPlan:
    """What a batch job may score: the version, and the deployment it scores for (None for
    an ad hoc job), whose kill switch the scoring honours row by row."""

    version: ModelVersion
    deployment: Deployment | None


def authorize_batch(
    uow: UnitOfWork, *, guard: Guard, model_uri: str, deployment: str | None = None
) -> BatchPlan:
    """What a batch scoring job may score, after its checks.

    Scoring for a deployment (a name of an existing one; any other name only labels the
    job's prediction log) honours it: its kill switch applies as at the scoring service (a
    killed deployment with a fallback answers every row with it; without one, nothing is
    scored), and in a protected environment a version the deployment does not serve passes
    the gate first, with the deploy permission. Ad hoc scoring (no deployment) needs the
    register permission. The job is audited.

    Raises:
        InvalidInput: not a model URI.
        NotFound: no such model, version or alias.
        DeploymentDisabled: the deployment is killed and has no fallback answer.
        PermissionDenied: the actor may not deploy (or register, ad hoc).
        PolicyViolation: a protected environment, and the version does not pass the gate.
    """
    uri = parse_model_uri(model_uri)
    with uow:
        version = registry._resolve(uow, uri.name, uri.version, uri.alias)
        subject = f"{version.model}/{version.version}"
        found = None
        if deployment is not None:
            try:
                found = uow.deployments.get_deployment(deployment)
            except NotFound:  # a label for the log of an ad hoc job, not a deployment
                found = None
        if found is None:
            guard.require(uow, Action.REGISTER, subject=subject)
        else:
            kill_switch(found)  # DeploymentDisabled without a fallback answer
            if version.model != found.model:
                raise InvalidInput(
                    f"Deployment {deployment!r} serves {found.model!r}, not {version.model!r}."
                )
            guard.require(uow, Action.DEPLOY, subject=f"deployment {deployment}")
            if version.version not in found.config.versions():
                guard.gate(uow, version, target=found.environment, kind="environment")
        _audit(
            uow,
            "batch.scored",
            deployment or f"batch-{version.model}",
            actor=guard.actor,
            at=guard.now(),
            after={"model": version.model, "version": version.version, "from_uri": model_uri},
        )
        uow.commit()
    return BatchPlan(version, found)
