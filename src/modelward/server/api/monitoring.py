"""Monitoring API: a deployment's monitoring windows (drift per feature, performance) and the
alerts, with acknowledgement. Computing windows runs where the prediction logs are
(`modelward monitor run`); the server shows the results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from modelward.monitoring import service
from modelward.schemas.ops import AlertOut, WindowOut
from modelward.server.deps import CtxDep

router = APIRouter(prefix="/monitoring", tags=["monitoring"])


@router.get("/deployments/{deployment}/windows")
def windows(deployment: str, ctx: CtxDep) -> list[WindowOut]:
    """Computed monitoring windows of a deployment, oldest first."""
    found = service.list_windows(ctx.uow(read_only=True), deployment=deployment)
    return [WindowOut.model_validate(w) for w in found]


@router.get("/alerts")
def alerts(
    ctx: CtxDep,
    deployment: Annotated[str | None, Query(max_length=256)] = None,
    model: Annotated[str | None, Query(max_length=256)] = None,
    open_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AlertOut]:
    """Alerts, newest first (of one deployment or model if given)."""
    found = service.list_alerts(
        ctx.uow(read_only=True),
        deployment=deployment,
        model=model,
        open_only=open_only,
        limit=limit,
    )
    return [AlertOut.model_validate(a) for a in found]


@router.post("/alerts/{alert_id}/ack")
def acknowledge(alert_id: Annotated[int, PathParam(ge=1, le=2**62)], ctx: CtxDep) -> AlertOut:
    """Acknowledge an alert (attributed to the signed-in user)."""
    found = service.acknowledge_alert(ctx.uow(), alert_id=alert_id, guard=ctx.guard())
    return AlertOut.model_validate(found)
