"""Deployments API: create, list, read, history, challenger strategy, promote, rollback, kill
switch. The scoring service (`modelward serve`) picks changes up without a restart."""

from __future__ import annotations

from fastapi import APIRouter

from modelward.deploy import service
from modelward.schemas.ops import (
    ChallengerIn,
    DeploymentConfigOut,
    DeploymentIn,
    DeploymentOut,
    KillIn,
    ReasonIn,
)
from modelward.server.deps import CtxDep

router = APIRouter(prefix="/deployments", tags=["deployments"])


def _out(found: object) -> DeploymentOut:
    return DeploymentOut.model_validate(found)


@router.post("", status_code=201)
def create(body: DeploymentIn, ctx: CtxDep) -> DeploymentOut:
    """Deploy a version (a model URI) under a name in an environment."""
    found = service.create_deployment(
        ctx.uow(),
        name=body.name,
        environment=body.environment,
        model_uri=body.model_uri,
        guard=ctx.guard(),
        unseen_categories=body.unseen_categories,
        allow_missing=body.allow_missing,
        max_body_bytes=body.max_body_bytes,
        reason=body.reason,
    )
    return _out(found)


@router.get("")
def list_deployments(ctx: CtxDep) -> list[DeploymentOut]:
    """Every deployment with its live configuration."""
    return [_out(d) for d in service.list_deployments(ctx.uow(read_only=True))]


@router.get("/{name}")
def get(name: str, ctx: CtxDep) -> DeploymentOut:
    """One deployment."""
    return _out(service.get_deployment(ctx.uow(read_only=True), name=name))


@router.get("/{name}/history")
def history(name: str, ctx: CtxDep) -> list[DeploymentConfigOut]:
    """Every configuration the deployment had, oldest first."""
    found = service.history(ctx.uow(read_only=True), name=name)
    return [DeploymentConfigOut.model_validate(c) for c in found]


@router.put("/{name}/challenger")
def set_challenger(name: str, body: ChallengerIn, ctx: CtxDep) -> DeploymentOut:
    """Put a challenger version behind a strategy (canary, shadow, ab, bluegreen)."""
    found = service.set_challenger(
        ctx.uow(),
        name=name,
        version=body.version,
        strategy=body.strategy,
        share=body.share,
        ab_key=body.ab_key,
        guard=ctx.guard(),
        reason=body.reason,
    )
    return _out(found)


@router.post("/{name}/challenger/clear")
def clear_challenger(name: str, body: ReasonIn, ctx: CtxDep) -> DeploymentOut:
    """Remove the challenger; the champion answers everything."""
    found = service.clear_challenger(ctx.uow(), name=name, guard=ctx.guard(), reason=body.reason)
    return _out(found)


@router.post("/{name}/promote")
def promote(name: str, body: ReasonIn, ctx: CtxDep) -> DeploymentOut:
    """The challenger becomes the champion."""
    found = service.promote(ctx.uow(), name=name, guard=ctx.guard(), reason=body.reason)
    return _out(found)


@router.post("/{name}/rollback")
def rollback(name: str, body: ReasonIn, ctx: CtxDep) -> DeploymentOut:
    """Go back to the configuration before the last change."""
    found = service.rollback(ctx.uow(), name=name, guard=ctx.guard(), reason=body.reason)
    return _out(found)


@router.post("/{name}/kill")
def kill(name: str, body: KillIn, ctx: CtxDep) -> DeploymentOut:
    """Stop answering with the model (503, or the fallback answer)."""
    found = service.set_kill_switch(
        ctx.uow(),
        name=name,
        killed=True,
        fallback=body.fallback,
        guard=ctx.guard(),
        reason=body.reason,
    )
    return _out(found)


@router.post("/{name}/revive")
def revive(name: str, body: ReasonIn, ctx: CtxDep) -> DeploymentOut:
    """Answer with the model again."""
    found = service.set_kill_switch(
        ctx.uow(), name=name, killed=False, guard=ctx.guard(), reason=body.reason
    )
    return _out(found)
