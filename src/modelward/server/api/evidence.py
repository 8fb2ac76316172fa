"""Findings, waivers, governance alerts and the evidence pack of a version (REST face of
`governance/findings.py` and `governance/evidence_pack.py`; the rules are there)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import Response

from modelward.domain.findings import Finding, GovernanceAlert, Waiver
from modelward.governance import evidence_pack
from modelward.governance import findings as service
from modelward.schemas import domain as wire
from modelward.schemas.evidence import (
    FindingIn,
    FindingUpdateIn,
    WaiverApproveIn,
    WaiverIn,
    WaiverRevokeIn,
)
from modelward.server.deps import CtxDep, VersionPath

router = APIRouter(prefix="/governance", tags=["findings and evidence"])
# Ids in paths stay within the store's integer range (a 422, never a driver overflow).
IdPath = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

_VERSION = "/models/{model}/versions/{version}"


@router.post(f"{_VERSION}/findings", status_code=201)
def record_finding(model: str, version: VersionPath, body: FindingIn, ctx: CtxDep) -> Any:
    """Record a validation finding on a version."""
    found = service.record_finding(
        ctx.uow(),
        guard=ctx.guard(),
        model=model,
        version=version,
        title=body.title,
        severity=body.severity,
        owner=body.owner,
        due_at=body.due,
        detail=body.detail,
    )
    return wire.dump_obj(Finding, found)


@router.patch("/findings/{finding_id}")
def update_finding(finding_id: IdPath, body: FindingUpdateIn, ctx: CtxDep) -> Any:
    """Change a finding's status, severity, owner or due date."""
    found = service.update_finding(
        ctx.uow(),
        guard=ctx.guard(),
        finding_id=finding_id,
        status=body.status,
        severity=body.severity,
        owner=body.owner,
        due_at=body.due,
        resolution=body.resolution,
    )
    return wire.dump_obj(Finding, found)


@router.get("/findings")
def list_findings(
    ctx: CtxDep,
    model: str | None = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    open_only: bool = False,
) -> Any:
    """Findings, oldest first (of a version, a model, or all)."""
    found = service.list_findings(
        ctx.uow(read_only=True), model=model, version=version, open_only=open_only
    )
    return wire.dump_list(Finding, found)


@router.post(f"{_VERSION}/waivers", status_code=201)
def request_waiver(model: str, version: VersionPath, body: WaiverIn, ctx: CtxDep) -> Any:
    """Ask that one gate item of a version pass until the waiver expires."""
    found = service.request_waiver(
        ctx.uow(),
        guard=ctx.guard(),
        model=model,
        version=version,
        item=body.item,
        reason=body.reason,
        approver_role=body.approver_role,
        expires_at=body.expires,
    )
    return wire.dump_obj(Waiver, found)


@router.post("/waivers/{waiver_id}/approve")
def approve_waiver(waiver_id: IdPath, body: WaiverApproveIn, ctx: CtxDep) -> Any:
    """Approve a waiver (the role it names; never the requester or an author)."""
    found = service.approve_waiver(
        ctx.uow(), guard=ctx.guard(), waiver_id=waiver_id, comment=body.comment
    )
    return wire.dump_obj(Waiver, found)


@router.post("/waivers/{waiver_id}/revoke")
def revoke_waiver(waiver_id: IdPath, body: WaiverRevokeIn, ctx: CtxDep) -> Any:
    """Revoke a waiver."""
    found = service.revoke_waiver(
        ctx.uow(), guard=ctx.guard(), waiver_id=waiver_id, reason=body.reason
    )
    return wire.dump_obj(Waiver, found)


@router.get("/waivers")
def list_waivers(
    ctx: CtxDep,
    model: str | None = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Any:
    """Waivers, oldest first (of a version, a model, or all)."""
    found = service.list_waivers(ctx.uow(read_only=True), model=model, version=version)
    return wire.dump_list(Waiver, found)


@router.get("/alerts")
def governance_alerts(
    ctx: CtxDep,
    model: str | None = None,
    within_days: int = 14,
) -> Any:
    """Overdue findings and waivers expiring within `within_days` (the service checks the
    bound, so this face and the local one give the same message)."""
    found = service.alerts(
        ctx.uow(read_only=True), now=ctx.now(), model=model, within_days=within_days
    )
    return wire.dump_list(GovernanceAlert, found)


def build(ctx: CtxDep, model: str, version: int) -> evidence_pack.EvidencePack:
    """The pack of a version, built by the server's workspace (shared with the UI)."""
    workspace = ctx.platform.workspace
    return evidence_pack.build_pack(
        ctx.uow(read_only=True),
        ctx.artifacts,
        model=model,
        version=version,
        policies=workspace.policies,
        policy_hash=workspace.policy_hash,
        now=ctx.now(),
        actor=ctx.actor,
    )


@router.get(f"{_VERSION}/evidence-pack", response_class=Response)
def evidence(model: str, version: VersionPath, ctx: CtxDep) -> Response:
    """The evidence pack of a version, as a zip (verify it with 'modelward audit verify-pack')."""
    pack = build(ctx, model, version)
    name = f"evidence-{model}-v{version}.zip".replace('"', "")
    return Response(
        pack.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Manifest-SHA256": pack.manifest_sha256,
        },
    )
