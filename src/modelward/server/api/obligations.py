"""Monitoring obligations API (issue 14): the protected-context and outcome feeds, per-window
fairness / business / ranking figures, kept webhook deliveries, the monitoring cadence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from modelward.domain.obligations import MonitoringDue, WebhookDelivery
from modelward.monitoring import feeds, obligations, service
from modelward.monitoring.feeds import FeedIngestResult
from modelward.schemas import domain as wire
from modelward.server.deps import Ctx, CtxDep
from modelward.server.uploads import spooled_file
from modelward.tracking.uploads import read_parquet

router = APIRouter(prefix="/monitoring", tags=["monitoring"])


class PurgeIn(BaseModel):
    retention_days: int = Field(ge=1, le=36_500)


def _feed(ctx: Ctx, path: str, deployment: str, channel: str, form: dict[str, Any]) -> Any:
    return feeds.ingest_feed(
        ctx.uow(), ctx.prediction_log(), deployment=deployment, channel=channel,
        data=read_parquet(path), guard=ctx.guard(), **form,
    )  # fmt: skip


async def _upload(
    ctx: Ctx, deployment: str, channel: str, file: UploadFile, form: dict[str, Any]
) -> dict[str, Any]:
    async with spooled_file(file, suffix=".parquet") as path:
        found = await run_in_threadpool(_feed, ctx, path, deployment, channel, form)
    return wire.dump_obj(FeedIngestResult, found)


@router.post("/deployments/{deployment}/context", status_code=201)
async def ingest_context(
    deployment: str,
    ctx: CtxDep,
    file: Annotated[UploadFile, File(description="Protected context as Parquet.")],
    id_column: Annotated[str, Form(min_length=1, max_length=256)] = "request_id",
    row_column: Annotated[str | None, Form(max_length=256)] = None,
) -> dict[str, Any]:
    """Store records' protected context (needs the protected_data permission)."""
    form = {"id_column": id_column, "row_column": row_column}
    return await _upload(ctx, deployment, "context", file, form)


@router.post("/deployments/{deployment}/outcomes", status_code=201)
async def ingest_outcomes(
    deployment: str,
    ctx: CtxDep,
    file: Annotated[UploadFile, File(description="Business outcomes as Parquet.")],
    id_column: Annotated[str, Form(min_length=1, max_length=256)] = "request_id",
    row_column: Annotated[str | None, Form(max_length=256)] = None,
) -> dict[str, Any]:
    """Store records' business outcomes (clicked, converted, value ...)."""
    form = {"id_column": id_column, "row_column": row_column}
    return await _upload(ctx, deployment, "outcome", file, form)


@router.post("/deployments/{deployment}/context/purge")
def purge_context(deployment: str, body: PurgeIn, ctx: CtxDep) -> dict[str, int]:
    """Delete protected context older than the retention (audited)."""
    purged = feeds.purge_context(
        ctx.uow(), deployment=deployment, retention_days=body.retention_days, guard=ctx.guard()
    )
    return {"purged": purged}


@router.get("/deployments/{deployment}/figures")
def figures(deployment: str, ctx: CtxDep) -> list[dict[str, Any]]:
    """Per-window fairness, business and ranking figures, oldest window first."""
    uow = ctx.uow(read_only=True)
    spans = {w.id: w for w in service.list_windows(uow, deployment=deployment)}
    found = obligations.list_figures(ctx.uow(read_only=True), deployment=deployment)
    rows = obligations.figure_rows(spans, found)
    found_rows: list[dict[str, Any]] = wire.dump(list[dict[str, Any]], rows)
    return found_rows


@router.get("/webhooks")
def webhooks(ctx: CtxDep, failed_only: bool = False) -> list[dict[str, Any]]:
    """Kept webhook deliveries, oldest first."""
    found = obligations.list_webhooks(
        ctx.uow(read_only=True), status="failed" if failed_only else None
    )
    return wire.dump_list(WebhookDelivery, found)


class ReplayIn(BaseModel):
    # no URL: the server re-sends stored deliveries to their stored targets only (no SSRF)
    model_config = {"extra": "forbid"}
    deployment: str | None = Field(default=None, max_length=256)


@router.post("/webhooks/replay")
def replay_webhooks(body: ReplayIn, ctx: CtxDep) -> list[dict[str, Any]]:
    """Send failed deliveries again, each to the URL it was first sent to (monitor
    permission; each replay audited)."""
    found = obligations.replay_webhooks(
        ctx.uow(),
        ctx.platform.workspace.webhook_sender(),
        guard=ctx.guard(),
        deployment=body.deployment,
    )
    return wire.dump_list(WebhookDelivery, found)


@router.get("/obligations")
def monitoring_obligations(
    ctx: CtxDep, model: Annotated[str | None, Query(max_length=256)] = None
) -> list[dict[str, Any]]:
    """Production deployments and whether monitoring keeps the policy's cadence."""
    found = obligations.monitoring_overdue(ctx.uow(read_only=True), guard=ctx.guard(), model=model)
    return wire.dump_list(MonitoringDue, found)
