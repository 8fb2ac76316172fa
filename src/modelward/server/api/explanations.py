"""Explanations API: a deployment's explanation setting, and the notice of one logged decision
(`modelward explain REQUEST_ID` over the server)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from modelward.deploy import service
from modelward.schemas.ops import DeploymentOut, ReasonIn
from modelward.server.deps import CtxDep
from modelward.serving import notice

router = APIRouter(tags=["explanations"])


class ExplanationsIn(ReasonIn):
    top: int = Field(ge=0, le=100)


class NoticeIn(BaseModel):
    request_id: str = Field(min_length=1, max_length=128)
    deployment: str | None = Field(default=None, max_length=256)
    row: int = Field(default=0, ge=0)
    # the caller's project file `explain:` section (favourable, reasons, reason_codes)
    settings: dict[str, Any] = Field(default_factory=dict)


@router.put("/deployments/{name}/explanations")
def set_explanations(name: str, body: ExplanationsIn, ctx: CtxDep) -> DeploymentOut:
    """Answers carry each row's `top` main contributions (0: none); the log keeps all."""
    found = service.set_explanations(
        ctx.uow(), name=name, top=body.top, guard=ctx.guard(), reason=body.reason
    )
    return DeploymentOut.model_validate(found)


@router.post("/explanations")
def explain_decision(body: NoticeIn, ctx: CtxDep) -> dict[str, Any]:
    """The notice of one logged decision, recomputed from the registered version (audited)."""
    found = notice.explain_decision(
        ctx.uow(),
        ctx.artifacts,
        ctx.prediction_log(),
        request_id=body.request_id,
        deployment=body.deployment,
        row=body.row,
        settings=notice.NoticeSettings.from_mapping(body.settings),
        guard=ctx.guard(),
        allow_pickle=False,
    )
    return found.to_dict()
