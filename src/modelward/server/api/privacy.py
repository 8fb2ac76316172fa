"""Data protection and reproducibility API: a deployment's legal basis, retention and
personal columns; erasing a data subject; the maintenance pass; reproductions of runs.

Reproducing a run happens where its code is (the client); the server stores the result,
checked and audited like any evidence: it never runs code a client sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from modelward.domain.privacy import (
    DataProtection,
    ErasureResult,
    MaintenanceResult,
    PersonalDataHolding,
    Reproduction,
)
from modelward.governance import erasure, privacy
from modelward.schemas import domain as wire
from modelward.server.deps import CtxDep
from modelward.tracking import reproduction

router = APIRouter(tags=["data protection"])


class ProtectionIn(BaseModel):
    legal_basis: str | None = Field(default=None, max_length=64)
    retention_days: int | None = None
    personal_columns: list[str] | None = Field(default=None, max_length=1000)
    subject_column: str | None = Field(default=None, max_length=256)
    note: str = Field(default="", max_length=10_000)


class EraseIn(BaseModel):
    subject: str = Field(min_length=1, max_length=1024)
    columns: list[str] = Field(default_factory=list, max_length=100)


class MaintenanceIn(BaseModel):
    compact: bool = True


class ReproductionIn(BaseModel):
    reproduced_run_id: str | None = Field(default=None, max_length=64)
    metrics_match: bool
    model_identical: bool | None
    metric_diffs: dict[str, list[float | None]] = Field(default_factory=dict)
    tolerance: float
    environment: str = Field(max_length=16)
    detail: str = Field(default="", max_length=10_000)


@router.put("/deployments/{deployment}/data-protection")
def protect(deployment: str, body: ProtectionIn, ctx: CtxDep) -> dict[str, Any]:
    """Set a deployment's legal basis, retention and personal columns."""
    found = privacy.set_protection(
        ctx.uow(), guard=ctx.guard(), deployment=deployment, **body.model_dump()
    )
    return wire.dump_obj(DataProtection, found)


@router.get("/deployments/{deployment}/data-protection")
def protection(deployment: str, ctx: CtxDep) -> dict[str, Any]:
    """A deployment's data-protection settings."""
    found = privacy.get_protection(ctx.uow(read_only=True), deployment=deployment)
    return wire.dump_obj(DataProtection, found)


@router.get("/deployments/{deployment}/pseudonymised-columns")
def pseudonymised(deployment: str, ctx: CtxDep) -> list[str]:
    """The input columns the prediction log pseudonymises for the deployment."""
    found = ctx.platform.workspace.pseudonymiser(deployment)
    return sorted(found.columns) if found else []


@router.get("/data-protection")
def protections(ctx: CtxDep) -> list[dict[str, Any]]:
    """Every deployment's data-protection settings."""
    return wire.dump_list(DataProtection, privacy.list_protection(ctx.uow(read_only=True)))


@router.get("/data-protection/inventory")
def inventory(ctx: CtxDep) -> list[dict[str, Any]]:
    """Every deployment holding personal data: columns, legal basis, retention."""
    found = privacy.personal_data_inventory(ctx.uow(read_only=True), policies=ctx.policies)
    return wire.dump_list(PersonalDataHolding, found)


@router.post("/data/erase")
def erase(body: EraseIn, ctx: CtxDep) -> dict[str, Any]:
    """Remove one data subject's rows everywhere; the audit keeps a keyed hash and counts."""
    workspace = ctx.platform.workspace
    found = erasure.erase_subject(
        ctx.uow(),
        ctx.artifacts,
        workspace.prediction_files(),
        guard=ctx.guard(),
        subject=body.subject,
        key=workspace.pseudonym_key(),
        columns=body.columns,
    )
    return wire.dump_obj(ErasureResult, found)


@router.post("/data/maintenance")
def maintenance(body: MaintenanceIn, ctx: CtxDep) -> dict[str, Any]:
    """Enforce every deployment's retention and compact the prediction log."""
    found = erasure.run_maintenance(
        ctx.uow(),
        ctx.artifacts,
        ctx.platform.workspace.prediction_files(),
        guard=ctx.guard(),
        compact=body.compact,
    )
    return wire.dump_obj(MaintenanceResult, found)


@router.post("/runs/{run_id}/reproductions")
def record(run_id: str, body: ReproductionIn, ctx: CtxDep) -> dict[str, Any]:
    """Store how a reproduction of the run compared (the actor and time are the server's)."""
    result = Reproduction(run_id=run_id, actor=ctx.actor, created_at=ctx.now(), **body.model_dump())
    stored = reproduction.record_reproduction(ctx.uow(), guard=ctx.guard(), result=result)
    return wire.dump_obj(Reproduction, stored)


@router.get("/runs/{run_id}/reproductions")
def reproductions(run_id: str, ctx: CtxDep) -> list[dict[str, Any]]:
    """A run's reproductions, newest first."""
    found = reproduction.list_reproductions(ctx.uow(read_only=True), run_id=run_id)
    return wire.dump_list(Reproduction, found)
