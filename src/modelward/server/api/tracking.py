"""Tracking API: experiments, runs (start, log a batch, end, get, search, metric history, diff)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query

from modelward.domain.tracking import Source
from modelward.schemas.core import (
    EndRunIn,
    ExperimentOut,
    LogBatchIn,
    MetricIO,
    RunDiffOut,
    RunOut,
    RunSearchIn,
    RunStartIn,
)
from modelward.server.deps import CtxDep
from modelward.tracking import service

router = APIRouter(tags=["tracking"])


@router.get("/experiments")
def list_experiments(ctx: CtxDep) -> list[ExperimentOut]:
    """Every experiment."""
    found = service.list_experiments(ctx.uow(read_only=True))
    return [ExperimentOut.model_validate(e) for e in found]


@router.post("/runs", status_code=201)
def start_run(body: RunStartIn, ctx: CtxDep) -> RunOut:
    """Start a run in an experiment (created on first use); the actor is its user."""
    src = body.source
    run = service.start_run(
        ctx.uow(),
        guard=ctx.guard(),
        experiment=body.experiment,
        name=body.name,
        parent_run_id=body.parent_run_id,
        source=Source(src.entry_point, src.git_commit, src.git_dirty) if src else None,
        environment=(body.environment_id, body.environment) if body.environment_id else None,
        tags=body.tags,
    )
    return RunOut.model_validate(run)


@router.post("/runs/{run_id}/batch", status_code=204)
def log_batch(run_id: str, body: LogBatchIn, ctx: CtxDep) -> None:
    """Params, metrics and tags in one transaction (what ActiveRun's buffer flushes)."""
    service.log_batch(
        ctx.uow(),
        guard=ctx.guard(),
        run_id=run_id,
        params=body.params,
        metrics=body.domain_metrics(),
        tags=body.tags,
    )


@router.post("/runs/{run_id}/end", status_code=204)
def end_run(run_id: str, body: EndRunIn, ctx: CtxDep) -> None:
    """Write the last batch and end the run with a terminal status."""
    service.end_run(
        ctx.uow(),
        run_id=run_id,
        status=body.status,
        guard=ctx.guard(),
        params=body.params,
        metrics=body.domain_metrics(),
        tags=body.tags,
    )


@router.post("/runs/{run_id}/heartbeat", status_code=204)
def heartbeat(run_id: str, ctx: CtxDep) -> None:
    """The logging process of a RUNNING run is alive (ActiveRun sends this every ~30 s)."""
    service.record_heartbeat(ctx.uow(), guard=ctx.guard(), run_id=run_id)


@router.post("/runs/{run_id}/delete", status_code=204)
def delete_run(run_id: str, ctx: CtxDep) -> None:
    """Delete a run (soft: hidden from searches, kept as a record; its owner only)."""
    service.set_run_deleted(ctx.uow(), guard=ctx.guard(), run_id=run_id, deleted=True)


@router.post("/runs/{run_id}/restore", status_code=204)
def restore_run(run_id: str, ctx: CtxDep) -> None:
    """Bring a deleted run back."""
    service.set_run_deleted(ctx.uow(), guard=ctx.guard(), run_id=run_id, deleted=False)


@router.post("/runs/reap")
def reap_stale_runs(ctx: CtxDep) -> list[str]:
    """Mark RUNNING runs without a heartbeat for the server's MODELWARD_RUN_HEARTBEAT_TIMEOUT
    as FAILED; returns their ids. (The server also does this every minute.)"""
    timeout = timedelta(seconds=ctx.platform.settings.run_heartbeat_timeout)
    return service.reap_stale_runs(ctx.uow(), now=ctx.now(), timeout=timeout)


@router.get("/runs/{run_id}")
def get_run(run_id: str, ctx: CtxDep) -> RunOut:
    """One run with params, latest metrics, tags, datasets and artifacts."""
    return RunOut.model_validate(service.get_run(ctx.uow(read_only=True), run_id=run_id))


@router.get("/runs/{run_id}/metrics/{key:path}")  # keys group with "/": train/loss
def metric_history(run_id: str, key: str, ctx: CtxDep) -> list[MetricIO]:
    """Every value logged for a metric, by step."""
    found = service.metric_history(ctx.uow(read_only=True), run_id=run_id, key=key)
    return [MetricIO.model_validate(m) for m in found]


@router.post("/runs/search")
def search_runs(body: RunSearchIn, ctx: CtxDep) -> list[RunOut]:
    """Runs matching a filter (the search language of `modelward runs list`)."""
    found = service.search_runs(
        ctx.uow(read_only=True),
        experiments=body.experiments,
        filter=body.filter,
        order_by=body.order_by,
        limit=body.limit,
        offset=body.offset,
    )
    return [RunOut.model_validate(r) for r in found]


@router.get("/runs-diff")
def diff_runs(
    ctx: CtxDep, a: str = Query(max_length=64), b: str = Query(max_length=64)
) -> RunDiffOut:
    """Two runs side by side: params, metrics, datasets, environment."""
    found = service.diff_runs(ctx.uow(read_only=True), run_a=a, run_b=b)
    return RunDiffOut(
        a=RunOut.model_validate(found.a), b=RunOut.model_validate(found.b), sections=found.sections
    )
