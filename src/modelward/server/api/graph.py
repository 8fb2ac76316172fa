"""Model graph API (what models consume, the graph around a model, the downstream impact of a
change, acknowledgements) and deployments' guardrails."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder

from modelward.deploy import guardrails as guardrail_service
from modelward.governance import graph as graph_service
from modelward.schemas.graph import AcknowledgeIn, DependencyIn, GuardrailsIn
from modelward.server.deps import CtxDep

router = APIRouter(tags=["graph"])
Reason = Annotated[str, Query(max_length=10_000)]


@router.post("/graph/dependencies", status_code=201)
def declare(body: DependencyIn, ctx: CtxDep) -> dict[str, Any]:
    """Declare that a model (a version, or a deployment of it) consumes another model's output
    or a data set it produced; refused when it would close a cycle (409)."""
    found = graph_service.declare(
        ctx.uow(),
        model=body.model,
        upstream_uri=body.upstream_uri,
        guard=ctx.guard(),
        version=body.version,
        deployment=body.deployment,
        dataset=body.dataset,
        reason=body.reason,
    )
    return dict(jsonable_encoder(found))


@router.delete("/graph/dependencies/{dependency_id}")
def remove(
    dependency_id: Annotated[int, PathParam(ge=1, le=2**62)], ctx: CtxDep, reason: Reason = ""
) -> dict[str, Any]:
    """Remove a declared dependency."""
    found = graph_service.remove(
        ctx.uow(), dependency_id=dependency_id, guard=ctx.guard(), reason=reason
    )
    return dict(jsonable_encoder(found))


@router.get("/graph/models/{model}")
def model_graph(model: str, ctx: CtxDep) -> dict[str, Any]:
    """Every model upstream and downstream of `model`, with risk level, stage and health."""
    found = graph_service.model_graph(
        ctx.uow(read_only=True),
        model=model,
        policies=ctx.policies,
        now=ctx.now(),
        protected=ctx.protected,
    )
    return dict(jsonable_encoder(found))


@router.get("/graph/models/{model}/impact")
def impact(model: str, ctx: CtxDep) -> dict[str, Any]:
    """The models downstream of `model` and the deployments serving them."""
    return dict(jsonable_encoder(graph_service.impact(ctx.uow(read_only=True), model=model)))


@router.post("/graph/acknowledgements", status_code=201)
def acknowledge(body: AcknowledgeIn, ctx: CtxDep) -> dict[str, Any]:
    """The downstream model's owner acknowledges an upstream version (a gate item)."""
    found = graph_service.acknowledge(
        ctx.uow(),
        upstream=body.upstream,
        version=body.version,
        downstream=body.downstream,
        guard=ctx.guard(),
        comment=body.comment,
    )
    return dict(jsonable_encoder(found))


@router.get("/graph/acknowledgements")
def acknowledgements(
    ctx: CtxDep,
    upstream: Annotated[str, Query(max_length=256)],
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[dict[str, Any]]:
    """Acknowledgements of changes to `upstream` (one version's)."""
    found = graph_service.acknowledgements(
        ctx.uow(read_only=True), upstream=upstream, version=version
    )
    return [dict(jsonable_encoder(a)) for a in found]


@router.put("/deployments/{name}/guardrails")
def set_guardrails(name: str, body: GuardrailsIn, ctx: CtxDep) -> dict[str, Any]:
    """Set the deployment's guardrails; the scoring service picks them up at its next poll."""
    found = guardrail_service.set_guardrails(
        ctx.uow(), name=name, spec=body.spec, guard=ctx.guard(), reason=body.reason
    )
    return found.as_dict()


@router.get("/deployments/{name}/guardrails")
def get_guardrails(name: str, ctx: CtxDep) -> dict[str, Any] | None:
    """The deployment's guardrails (null: none)."""
    found = guardrail_service.get_guardrails(ctx.uow(read_only=True), name=name)
    return None if found is None else found.as_dict()


@router.delete("/deployments/{name}/guardrails", status_code=204)
def clear_guardrails(name: str, ctx: CtxDep, reason: Reason = "") -> None:
    """Remove the deployment's guardrails."""
    guardrail_service.clear_guardrails(ctx.uow(), name=name, guard=ctx.guard(), reason=reason)
