"""Registry API: models, versions (register from a run), aliases (protected ones pass the
governance gate), URI resolution, model cards and version metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from modelward.registry import card
from modelward.registry import service as registry
from modelward.schemas.core import (
    AliasAtOut,
    AliasEventOut,
    AliasIn,
    ModelCreateIn,
    ModelOut,
    ReasonOnlyIn,
    RegisterIn,
    TextOut,
    VersionOut,
)
from modelward.server.deps import CtxDep, VersionPath

router = APIRouter(prefix="/models", tags=["registry"])


@router.post("", status_code=201)
def create_model(body: ModelCreateIn, ctx: CtxDep) -> ModelOut:
    """Create a registered model owned by the actor."""
    found = registry.create_model(
        ctx.uow(),
        guard=ctx.guard(),
        name=body.name,
        description=body.description,
        tags=body.tags,
    )
    return ModelOut.model_validate(found)


@router.get("")
def list_models(
    ctx: CtxDep,
    search: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> list[ModelOut]:
    """Registered models by name, paginated, optionally filtered by a name substring."""
    found = registry.list_models(ctx.uow(read_only=True), search=search, limit=limit, offset=offset)
    return [ModelOut.model_validate(m) for m in found]


@router.get("/resolve")
def resolve(ctx: CtxDep, uri: Annotated[str, Query(max_length=600)]) -> VersionOut:
    """The version a URI points at: models:/NAME/3, models:/NAME@alias, models:/NAME/latest."""
    return VersionOut.model_validate(registry.resolve(ctx.uow(read_only=True), uri))


@router.get("/{name}")
def get_model(name: str, ctx: CtxDep) -> ModelOut:
    """One registered model with its aliases."""
    return ModelOut.model_validate(registry.get_model(ctx.uow(read_only=True), name=name))


@router.post("/{name}/versions", status_code=201)
def register(name: str, body: RegisterIn, ctx: CtxDep) -> VersionOut:
    """Register the model logged in a run as the next version (the model is made on first use)."""
    found = registry.register_version(
        ctx.uow(),
        ctx.artifacts,
        run_id=body.run_id,
        artifact=body.artifact,
        name=name,
        guard=ctx.guard(),
        description=body.description,
    )
    return VersionOut.model_validate(found)


@router.get("/{name}/versions")
def list_versions(name: str, ctx: CtxDep) -> list[VersionOut]:
    """Every version of a model."""
    found = registry.list_versions(ctx.uow(read_only=True), name=name)
    return [VersionOut.model_validate(v) for v in found]


@router.get("/{name}/versions/{version}")
def get_version(name: str, version: VersionPath, ctx: CtxDep) -> VersionOut:
    """One version."""
    found = registry.get_version(ctx.uow(read_only=True), name=name, version=version)
    return VersionOut.model_validate(found)


@router.get("/{name}/versions/{version}/meta")
def version_meta(name: str, version: VersionPath, ctx: CtxDep) -> dict[str, Any]:
    """The model's description: flavor, signature, requirements, input example."""
    found = registry.get_version(ctx.uow(read_only=True), name=name, version=version)
    return registry.version_meta(ctx.artifacts, found)


@router.get("/{name}/versions/{version}/card")
def model_card(name: str, version: VersionPath, ctx: CtxDep) -> TextOut:
    """The version's model card (Markdown)."""
    text = card.model_card(ctx.uow(read_only=True), ctx.artifacts, name=name, version=version)
    return TextOut(text=text)


@router.put("/{name}/aliases/{alias}")
def set_alias(name: str, alias: str, body: AliasIn, ctx: CtxDep) -> AliasEventOut:
    """Point an alias at a version; protected aliases (champion) need a passing gate (409)."""
    event = registry.set_alias(
        ctx.uow(),
        name=name,
        alias=alias,
        version=body.version,
        guard=ctx.guard(),  # protected aliases (champion) pass the governance gate
        reason=body.reason,
    )
    return AliasEventOut.model_validate(event)


@router.post("/{name}/aliases/{alias}/delete")
def delete_alias(name: str, alias: str, body: ReasonOnlyIn, ctx: CtxDep) -> AliasEventOut:
    """Remove an alias (kept in its history)."""
    event = registry.delete_alias(
        ctx.uow(), guard=ctx.guard(), name=name, alias=alias, reason=body.reason
    )
    return AliasEventOut.model_validate(event)


@router.post("/{name}/delete", status_code=204)
def delete_model(name: str, body: ReasonOnlyIn, ctx: CtxDep) -> None:
    """Delete a model and its versions (soft: governance records stay; the name stays
    reserved). Refused while a version holds a protected alias or is deployed."""
    registry.delete_model(ctx.uow(), guard=ctx.guard(), name=name, reason=body.reason)


@router.post("/{name}/versions/{version}/delete", status_code=204)
def delete_version(name: str, version: VersionPath, body: ReasonOnlyIn, ctx: CtxDep) -> None:
    """Delete a version (soft: governance records stay). Refused while it holds a protected
    alias or is deployed."""
    registry.delete_version(
        ctx.uow(), guard=ctx.guard(), name=name, version=version, reason=body.reason
    )


@router.get("/{name}/aliases")
def alias_history(
    name: str, ctx: CtxDep, alias: Annotated[str | None, Query(max_length=64)] = None
) -> list[AliasEventOut]:
    """Every alias move of a model (of one alias if given), oldest first."""
    found = registry.alias_history(ctx.uow(read_only=True), name=name, alias=alias)
    return [AliasEventOut.model_validate(e) for e in found]


@router.get("/{name}/aliases/{alias}/at")
def alias_at(name: str, alias: str, when: datetime, ctx: CtxDep) -> AliasAtOut:
    """Which version held the alias at `when` (ISO date/time with a timezone); null: none."""
    found = registry.alias_at(ctx.uow(read_only=True), name=name, alias=alias, when=when)
    return AliasAtOut(version=found)
