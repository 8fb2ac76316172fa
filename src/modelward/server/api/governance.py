"""Governance API: risk assessments, review requests, sign-offs, the gate checklist, the
inventory (paged) and the review queue of the signed-in user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from modelward.domain.gate import GateDecision
from modelward.domain.governance import ColumnTag
from modelward.governance import assessment as risk
from modelward.governance import card, data, queue, service
from modelward.governance import inventory as inventory_service
from modelward.governance.policies import dump_policies
from modelward.schemas import domain as wire
from modelward.schemas.core import AliasEventOut
from modelward.schemas.ops import (
    AssessIn,
    AssessmentOut,
    AutoPromotedOut,
    CardFieldIn,
    ColumnTagIn,
    GateItemOut,
    GovernanceSettingsOut,
    InventoryPageOut,
    InventoryRowOut,
    PreviousOut,
    ReviewIn,
    ReviewOut,
    SignOffIn,
    SignOffOut,
    StatusOut,
)
from modelward.server.deps import Ctx, CtxDep, VersionPath

router = APIRouter(prefix="/governance", tags=["governance"])


class QueueItemOut(BaseModel):
    model: str
    version: int
    roles: list[str]
    requested_at: str
    created_by: str
    risk_level: str


def status_of(ctx: Ctx, model: str, version: int) -> StatusOut:
    """The gate checklist of a version as a wire model (shared with the UI)."""
    found = service.governance_status(
        ctx.uow(read_only=True),
        model=model,
        version=version,
        policies=ctx.policies,
        now=ctx.now(),
        protected=ctx.protected,
    )
    return StatusOut(
        model=model,
        version=version,
        level=found.level,
        stage=found.stage.value,
        allowed=found.decision.allowed,
        items=[GateItemOut.model_validate(i) for i in found.decision.items],
        missing=list(found.decision.missing),
        evidence_id=found.decision.evidence_id,
        evidence_sha256=found.decision.evidence_sha256,
    )


@router.post("/models/{model}/assessment", status_code=201)
def assess(model: str, body: AssessIn, ctx: CtxDep) -> AssessmentOut:
    """Record a risk assessment (likelihood x severity, or questionnaire answers)."""
    found = risk.assess_risk(
        ctx.uow(),
        model=model,
        likelihood=body.likelihood,
        severity=body.severity,
        rationale=body.rationale,
        answers=body.answers,
        guard=ctx.guard(),
    )
    return AssessmentOut.of(found)


@router.get("/models/{model}/assessments")
def assessments(model: str, ctx: CtxDep) -> list[AssessmentOut]:
    """Every assessment of a model, newest first."""
    return [
        AssessmentOut.of(a) for a in risk.assessment_history(ctx.uow(read_only=True), model=model)
    ]


@router.get("/models/{model}/versions/{version}/status")
def status(model: str, version: VersionPath, ctx: CtxDep) -> StatusOut:
    """The gate checklist, risk level and stage of a version."""
    return status_of(ctx, model, version)


@router.post("/models/{model}/versions/{version}/review", status_code=201)
def request_review(model: str, version: VersionPath, body: ReviewIn, ctx: CtxDep) -> ReviewOut:
    """Ask for sign-offs; a low-risk version whose policy auto-promotes may be promoted."""
    found = service.request_review(
        ctx.uow(), model=model, version=version, comment=body.comment, guard=ctx.guard()
    )
    promoted = auto_promote(ctx, model, version)
    out = ReviewOut.model_validate(found)
    return out.model_copy(update={"promoted_to": promoted.alias if promoted else None})


def auto_promote(ctx: Ctx, model: str, version: int) -> AliasEventOut | None:
    """Move the first protected alias when the policy allows it and the gate passes."""
    first = ctx.protected[0] if ctx.protected else None
    event = service.auto_promote(
        ctx.uow(), guard=ctx.guard(), model=model, version=version, alias=first
    )
    return AliasEventOut.model_validate(event) if event is not None else None


@router.post("/models/{model}/versions/{version}/sign-offs", status_code=201)
def sign_off(model: str, version: VersionPath, body: SignOffIn, ctx: CtxDep) -> SignOffOut:
    """Approve or reject a version in a role (403 for a role you lack or your own version)."""
    found = service.record_sign_off(
        ctx.uow(),
        model=model,
        version=version,
        role=body.role,
        decision=body.decision,
        comment=body.comment,
        guard=ctx.guard(),
    )
    return SignOffOut.model_validate(found)


@router.get("/inventory")
def inventory(
    ctx: CtxDep,
    risk: Annotated[str | None, Query(max_length=32)] = None,
    stage: Annotated[str | None, Query(max_length=32)] = None,
    owner: Annotated[str | None, Query(max_length=256)] = None,
    search: Annotated[str | None, Query(max_length=256)] = None,
    overdue: bool = False,
    pending: bool = False,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> InventoryPageOut:
    """Every model with risk, stage, validation, pending sign-offs and what is overdue; paged."""
    rows, total = inventory_service.inventory_page(
        ctx.uow(read_only=True),
        policies=ctx.policies,
        now=ctx.now(),
        protected=ctx.protected,
        offset=offset,
        limit=limit,
        risk=risk,
        stage=stage,
        owner=owner,
        search=search,
        overdue=overdue,
        pending=pending,
    )
    page = [InventoryRowOut.model_validate(r) for r in rows]
    return InventoryPageOut(items=page, total=total, offset=offset, limit=limit)


@router.get("/queue")
def review_queue(ctx: CtxDep) -> list[QueueItemOut]:
    """What waits for the signed-in user's sign-off."""
    found = queue.review_queue(
        ctx.uow(read_only=True), actor=ctx.actor, policies=ctx.policies, protected=ctx.protected
    )
    return [
        QueueItemOut(
            model=i.model,
            version=i.version,
            roles=list(i.roles),
            requested_at=i.requested_at.isoformat(),
            created_by=i.created_by,
            risk_level=i.risk_level,
        )
        for i in found
    ]


# -- the client contract: every GovernanceAPI method has a route ----------------------------


@router.get("/settings")
def governance_settings(ctx: CtxDep) -> GovernanceSettingsOut:
    """The policies in force (as a policy file that reads back to the same set) and the
    protected aliases and environments."""
    return GovernanceSettingsOut(
        policies=dump_policies(ctx.policies),
        protected_aliases=list(ctx.protected),
        protected_environments=list(ctx.platform.workspace.protected_environments),
    )


@router.get("/models/{model}/versions/{version}/governance-status")
def governance_status(model: str, version: VersionPath, ctx: CtxDep) -> dict[str, Any]:
    """The full governance status of a version (policy, gate decision with its evidence,
    stage), as `client.governance.status` returns it."""
    found = service.governance_status(
        ctx.uow(read_only=True),
        model=model,
        version=version,
        policies=ctx.policies,
        now=ctx.now(),
        protected=ctx.protected,
    )
    return wire.dump_obj(service.GovernanceStatus, found)


@router.get("/models/{model}/versions/{version}/gate")
def check_promotion(model: str, version: VersionPath, ctx: CtxDep) -> dict[str, Any]:
    """The gate decision for promoting a version; 409 listing every unmet item."""
    uow = ctx.uow(read_only=True)
    with uow:
        target = uow.registry.get_version(model, version)
        found = service.check_promotion(uow, target, policies=ctx.policies, now=ctx.now())
    return wire.dump_obj(GateDecision, found)


@router.post("/models/{model}/versions/{version}/auto-promote")
def auto_promote_version(model: str, version: VersionPath, ctx: CtxDep) -> AutoPromotedOut:
    """Promote to the first protected alias when the policy allows it automatically and the
    gate passes (needs request_review); `event` is null when nothing moved."""
    return AutoPromotedOut(event=auto_promote(ctx, model, version))


@router.put("/models/{model}/card-fields/{field}")
def set_card_field(model: str, field: str, body: CardFieldIn, ctx: CtxDep) -> PreviousOut:
    """Fill a model card field (version 0: every version); returns the previous value."""
    previous = card.set_card_field(
        ctx.uow(),
        model=model,
        version=body.version,
        field=field,
        value=body.value,
        guard=ctx.guard(),
    )
    return PreviousOut(previous=previous)


@router.put("/datasets/{dataset}/columns/{column}/tag")
def tag_column(dataset: str, column: str, body: ColumnTagIn, ctx: CtxDep) -> dict[str, Any]:
    """Mark a dataset column as personal data (with its legal basis) or not."""
    found = data.tag_column(
        ctx.uow(),
        dataset=dataset,
        column=column,
        personal_data=body.personal,
        legal_basis=body.legal_basis,
        note=body.note,
        guard=ctx.guard(),
    )
    return wire.dump_obj(ColumnTag, found)


@router.get("/column-tags")
def column_tags(
    ctx: CtxDep, dataset: Annotated[str | None, Query(max_length=256)] = None
) -> list[dict[str, Any]]:
    """Column tags of one dataset (fingerprint or unique prefix) or all."""
    found = data.column_tags(ctx.uow(read_only=True), dataset=dataset)
    return wire.dump_list(ColumnTag, found)
