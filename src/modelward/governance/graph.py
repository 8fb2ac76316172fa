"""Model interactions: declare what a model consumes, read the graph around a model, list what
a change to a model affects downstream, and record downstream owners' acknowledgements.

Declaring and removing a dependency, and acknowledging an upstream change, are guarded and
audited writes. A declaration that would close a cycle is refused (Conflict naming the cycle).
When a model's policy sets `downstream_ack_required`, the gate of each of its versions holds
one more item, `downstream_acknowledged`, met once the owner of every model downstream of it
acknowledged that version (`acknowledge`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.gate import GateItem
from modelward.domain.graph import (
    Acknowledgement,
    Dependency,
    DependencyKind,
    ack_item_name,
    adjacency,
    cycle_if_added,
    reachable,
    reverse,
)
from modelward.domain.policy import Policy, PolicySet
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.registry import ModelVersion, parse_model_uri
from modelward.domain.roles import Action
from modelward.errors import Conflict, InvalidInput
from modelward.governance.inventory import InventoryRow, _row

UPSTREAM_LOOKBACK = timedelta(days=7)  # how far before an alert upstream changes are named


@dataclass(frozen=True)
class GraphNode:
    """A model in the graph around another: its distance (negative upstream, positive
    downstream, 0 the model asked about), risk level, stage, health and deployments."""

    model: str
    distance: int
    owner: str
    risk_level: str
    stage: str
    health: str  # ok, alerting (open alerts), disabled (a killed deployment), not_deployed
    deployments: tuple[str, ...] = ()
    open_alerts: int = 0


@dataclass(frozen=True)
class ModelGraph:
    """The models upstream and downstream of `model`, and the declarations between them."""

    model: str
    nodes: list[GraphNode]
    dependencies: list[Dependency]

    @property
    def upstream(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.distance < 0]

    @property
    def downstream(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.distance > 0]


@dataclass(frozen=True)
class Impact:
    """What a change to `model` affects: every model downstream of it (at any depth), the
    deployments serving them, and their owners."""

    model: str
    models: list[str] = field(default_factory=list)
    deployments: list[str] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)  # downstream model -> its owner

    def as_dict(self) -> dict[str, Any]:
        return {"models": self.models, "deployments": self.deployments, "owners": self.owners}

    def sentence(self) -> str:
        if not self.models:
            return f"Nothing is declared downstream of {self.model}."
        deployments = ", ".join(self.deployments) or "none"
        return (
            f"Downstream of {self.model}: models {', '.join(self.models)}; deployments"
            f" {deployments}."
        )


def _audit(uow: UnitOfWork, action: str, entity: str, guard: Guard, **kw: Any) -> None:
    uow.audit.append(AuditEvent(action, "model", entity, guard.actor, guard.now(), **kw))


def declare(
    uow: UnitOfWork,
    *,
    model: str,
    upstream_uri: str,
    guard: Guard,
    version: int | None = None,
    deployment: str | None = None,
    dataset: str | None = None,
    reason: str = "",
) -> Dependency:
    """Record that `model` (one `version`, or one `deployment` of it, or the model as a whole)
    consumes the output of the model `upstream_uri` names, or a `dataset` it produced.

    Raises:
        InvalidInput: not a model URI; the model itself; version and deployment both given.
        NotFound: a model, version or deployment that does not exist.
        Conflict: the declaration would close a cycle (the message names it).
        AlreadyExists: the same declaration exists.
        PermissionDenied: the actor may neither register models nor deploy.
    """
    uri = parse_model_uri(upstream_uri)
    ref = str(uri.version) if uri.version is not None else (uri.alias or "")
    kind = DependencyKind.DATASET if dataset else DependencyKind.OUTPUT
    with uow:
        guard.require(uow, Action.REGISTER, Action.DEPLOY, subject=f"model {model}")
        draft = Dependency(
            model=model, upstream=uri.name, upstream_ref=ref, kind=kind, version=version,
            deployment=deployment, dataset=dataset, created_by=guard.actor,
            created_at=guard.now(),
        ).check()  # fmt: skip
        uow.registry.get_model(model)
        uow.registry.get_model(uri.name)
        if uri.version is not None:
            uow.registry.get_version(uri.name, uri.version)
        if version is not None:
            uow.registry.get_version(model, version)
        if deployment is not None and uow.deployments.get_deployment(deployment).model != model:
            raise InvalidInput(f"Deployment {deployment!r} does not serve {model!r}.")
        cycle = cycle_if_added(uow.graph.edges(), uri.name, model)
        if cycle is not None:
            raise Conflict(
                f"{model} cannot consume {uri.name}: that would close the cycle"
                f" {' -> '.join(cycle)}; remove one of its dependencies first.",
                cycle=cycle,
            )
        saved = uow.graph.add_dependency(draft)
        _audit(uow, "dependency.declared", model, guard, after=saved.as_dict() | {"id": saved.id},
               reason=reason)  # fmt: skip
        uow.commit()
    return saved


def remove(uow: UnitOfWork, *, dependency_id: int, guard: Guard, reason: str = "") -> Dependency:
    """Delete a declaration (audited).

    Raises:
        NotFound: no such dependency.
        PermissionDenied: the actor may neither register models nor deploy.
    """
    with uow:
        guard.require(uow, Action.REGISTER, Action.DEPLOY, subject=f"dependency {dependency_id}")
        removed = uow.graph.remove_dependency(dependency_id)
        _audit(uow, "dependency.removed", removed.model, guard,
               before=removed.as_dict() | {"id": removed.id}, reason=reason)  # fmt: skip
        uow.commit()
    return removed


def _health(uow: UnitOfWork, model: str) -> tuple[str, tuple[str, ...], int]:
    deployments = [d for d in uow.deployments.list_deployments() if d.model == model]
    alerts = len(uow.monitoring.list_alerts(model=model, open_only=True))
    if any(d.killed for d in deployments):
        health = "disabled"
    elif alerts:
        health = "alerting"
    else:
        health = "ok" if deployments else "not_deployed"
    return health, tuple(d.name for d in deployments), alerts


def _rows(
    uow: UnitOfWork,
    names: list[str],
    policies: PolicySet,
    now: datetime,
    protected: Collection[str],
) -> dict[str, InventoryRow]:
    facts = uow.governance.inventory_facts(protected=list(protected), names=names)
    return {f.name: _row(f, policies=policies, now=now, protected=protected) for f in facts}


def model_graph(
    uow: UnitOfWork,
    *,
    model: str,
    policies: PolicySet,
    now: datetime,
    protected: Collection[str],
) -> ModelGraph:
    """The graph around `model`: every model upstream and downstream of it (any depth).

    Raises:
        NotFound: no such model.
    """
    with uow:
        uow.registry.get_model(model)
        forward = adjacency(uow.graph.edges())
        distance = {model: 0}
        distance |= {name: -d for name, d in reachable(reverse(forward), model).items()}
        distance |= reachable(forward, model)
        rows = _rows(uow, sorted(distance), policies, now, protected)
        nodes = []
        for name in sorted(distance, key=lambda n: (distance[n], n)):
            row = rows.get(name)
            health, deployments, alerts = _health(uow, name)
            nodes.append(
                GraphNode(
                    model=name,
                    distance=distance[name],
                    owner=row.owner if row else "",
                    risk_level=row.risk_level if row else "unassessed",
                    stage=row.stage if row else "registered",
                    health=health,
                    deployments=deployments,
                    open_alerts=alerts,
                )  # fmt: skip
            )
        declared = [
            d
            for d in uow.graph.list_dependencies()
            if d.model in distance and d.upstream in distance
        ]
    return ModelGraph(model, nodes, declared)


def impact_in(uow: UnitOfWork, model: str) -> Impact:
    """`impact`, inside an open unit of work."""
    downstream = sorted(reachable(adjacency(uow.graph.edges()), model))
    if not downstream:
        return Impact(model)
    wanted = set(downstream)
    deployments = sorted(d.name for d in uow.deployments.list_deployments() if d.model in wanted)
    owners = {name: uow.registry.get_model(name).owner for name in downstream}
    return Impact(model, downstream, deployments, owners)


def impact(uow: UnitOfWork, *, model: str) -> Impact:
    """What a promotion, rollback or kill of `model` affects downstream. Raises NotFound."""
    with uow:
        uow.registry.get_model(model)
        return impact_in(uow, model)


def acknowledge(
    uow: UnitOfWork,
    *,
    upstream: str,
    version: int,
    downstream: str,
    guard: Guard,
    comment: str = "",
) -> Acknowledgement:
    """The owner of `downstream` acknowledges that `upstream` moves to `version` (audited).

    Raises:
        NotFound: no such model or version.
        InvalidInput: `downstream` is not downstream of `upstream`.
        PermissionDenied: the actor does not own `downstream`, or may not view.
        AlreadyExists: acknowledged already.
    """
    with uow:
        guard.require(uow, Action.REGISTER, Action.DEPLOY, Action.MONITOR, subject=downstream)
        uow.registry.get_version(upstream, version)
        owner = uow.registry.get_model(downstream).owner
        if downstream not in reachable(adjacency(uow.graph.edges()), upstream):
            raise InvalidInput(
                f"{downstream} is not downstream of {upstream}; 'modelward models graph"
                f" {upstream}' shows what is."
            )
        guard.require_owner(uow, owner=owner, subject=f"model {downstream}")
        ack = Acknowledgement(upstream, version, downstream, guard.actor, guard.now(), comment)
        uow.graph.save_ack(ack)
        _audit(uow, "dependency.acknowledged", upstream, guard, after=ack.as_dict())
        uow.commit()
    return ack


def acknowledgements(
    uow: UnitOfWork, *, upstream: str, version: int | None = None
) -> list[Acknowledgement]:
    """The acknowledgements of changes to `upstream` (of one version)."""
    with uow:
        return uow.graph.list_acks(upstream, version)


def ack_item(uow: UnitOfWork, policy: Policy, version: ModelVersion) -> GateItem | None:
    """The gate item `downstream_acknowledged` when the policy asks for it, else None."""
    if not getattr(policy, "downstream_ack_required", False):
        return None
    found = impact_in(uow, version.model)
    done = {a.downstream for a in uow.graph.list_acks(version.model, version.version)}
    missing = [m for m in found.models if m not in done]
    if not missing:
        detail = (
            f"every downstream owner acknowledged {version.model} v{version.version}"
            if found.models
            else "nothing is declared downstream"
        )
        return GateItem(ack_item_name(), True, detail)
    who = ", ".join(f"{m} ({found.owners[m]})" for m in missing)
    return GateItem(
        ack_item_name(),
        False,
        f"the owners of downstream models must acknowledge {version.model} v{version.version}:"
        f" {who} ('modelward models acknowledge {version.model} {version.version} --downstream"
        " MODEL')",
    )


def _ago(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:.0f} days"
    if hours >= 1:
        return f"{hours:.0f} hours"
    return f"{max(delta.total_seconds() / 60, 0):.0f} minutes"


def upstream_changes(
    uow: UnitOfWork, model: str, *, until: datetime, lookback: timedelta = UPSTREAM_LOOKBACK
) -> list[str]:
    """Alias moves and deployment changes of every model upstream of `model` in the
    `lookback` before `until`, newest first, as sentences ("fraud-score champion moved v7→v8
    2 days earlier"). Inside an open unit of work."""
    upstream = reachable(reverse(adjacency(uow.graph.edges())), model)
    since = until - lookback
    found: list[tuple[datetime, str]] = []
    for name in upstream:
        for event in uow.registry.alias_history(name):
            if since <= event.at <= until:
                old = f"v{event.previous_version}" if event.previous_version else "none"
                new = f"v{event.version}" if event.version else "none"
                found.append((event.at, f"{name} {event.alias} moved {old}→{new}"))
        for d in uow.deployments.list_deployments():
            if d.model != name:
                continue
            for config in uow.deployments.list_configs(d.name):
                at = config.created_at
                if at is not None and since <= at <= until and config.action != "create":
                    found.append((at, f"deployment {d.name} ({name}) {config.action}"
                                      f" to champion v{config.champion}"))  # fmt: skip
    # newest first; events at the same time keep their recorded order, reversed
    ordered = sorted(enumerate(found), key=lambda item: (item[1][0], item[0]), reverse=True)
    return [f"{text} {_ago(until - at)} earlier" for _, (at, text) in ordered]


def dependents(uow: UnitOfWork) -> dict[str, int]:
    """Model -> how many models consume it directly. Inside an open unit of work."""
    return {name: len(consumers) for name, consumers in adjacency(uow.graph.edges()).items()}
