"""Monitoring API: a deployment's monitoring windows (drift per feature, performance) and the
alerts, with acknowledgement. Computing windows runs where the prediction logs are
(`modelward monitor run`); the server shows the results."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from starlette.background import BackgroundTask

from modelward.domain.monitoring import Alert, MonitoringWindow
from modelward.monitoring import comparison, feeds, retrain, service
from modelward.monitoring.labels import LabelIngestResult
from modelward.monitoring.service import RunResult
from modelward.monitoring.windows_compute import MonitorOptions
from modelward.schemas import domain as wire
from modelward.schemas.ops import AcknowledgeIn, AlertOut, CompareIn, MonitorRunIn, WindowOut
from modelward.server.deps import Ctx, CtxDep
from modelward.server.uploads import spooled_file
from modelward.tracking.uploads import read_parquet

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
def acknowledge(
    alert_id: Annotated[int, PathParam(ge=1, le=2**62)], body: AcknowledgeIn, ctx: CtxDep
) -> AlertOut:
    """Acknowledge an alert (attributed to the signed-in user) saying what was done."""
    found = service.acknowledge_alert(
        ctx.uow(), alert_id=alert_id, guard=ctx.guard(), comment=body.comment
    )
    return AlertOut.model_validate(found)


# -- the client contract: monitoring jobs over the server's prediction log -----------------


def _ingest(ctx: Ctx, path: str, deployment: str, form: dict[str, Any]) -> LabelIngestResult:
    return service.ingest_labels(
        ctx.uow(),
        ctx.prediction_log(),
        deployment=deployment,
        data=read_parquet(path),
        guard=ctx.guard(),
        **form,
    )


@router.post("/deployments/{deployment}/labels", status_code=201)
async def ingest_labels(
    deployment: str,
    ctx: CtxDep,
    file: Annotated[UploadFile, File(description="Labels as Parquet.")],
    id_column: Annotated[str, Form(min_length=1, max_length=256)] = "request_id",
    label_column: Annotated[str, Form(min_length=1, max_length=256)] = "label",
    row_column: Annotated[str | None, Form(max_length=256)] = None,
) -> dict[str, Any]:
    """Store ground-truth labels of logged requests (the newest label of a record wins)."""
    form = {"id_column": id_column, "label_column": label_column, "row_column": row_column}
    async with spooled_file(file, suffix=".parquet") as path:
        found = await run_in_threadpool(_ingest, ctx, path, deployment, form)
    return wire.dump_obj(LabelIngestResult, found)


@router.post("/deployments/{deployment}/runs", status_code=201)
def run_monitoring(deployment: str, body: MonitorRunIn, ctx: CtxDep) -> dict[str, Any]:
    """Compute every complete window since the last run (alerts are recorded; webhooks are
    sent by jobs that run next to their configuration, not by the server)."""
    options = MonitorOptions(
        window=timedelta(seconds=body.window_seconds),
        margin=body.margin,
        min_labels=body.min_labels,
        min_metrics=body.min_metrics,
        thresholds=body.thresholds,
        reference_window=(
            (body.reference_start, body.reference_end)
            if body.reference_start is not None and body.reference_end is not None
            else None
        ),
        pseudonym_key=ctx.platform.workspace.pseudonym_key(),
    )
    found = service.run_monitoring(
        ctx.uow(),
        ctx.artifacts,
        ctx.prediction_log(),
        deployment=deployment,
        guard=ctx.guard(),
        options=options,
        system=ctx.platform.workspace.system_guard(),  # the policy's automatic responses
    )
    return wire.dump_obj(RunResult, found)


@router.get("/deployments/{deployment}/window-records")
def window_records(deployment: str, ctx: CtxDep) -> list[dict[str, Any]]:
    """Computed windows in full (summary, drift, performance), oldest first."""
    found = service.list_windows(ctx.uow(read_only=True), deployment=deployment)
    return wire.dump_list(MonitoringWindow, found)


@router.get("/deployments/{deployment}/labelled-window")
def latest_labelled_window(deployment: str, ctx: CtxDep) -> dict[str, Any]:
    """The newest window with labels (404 when none)."""
    found = service.latest_labelled_window(ctx.uow(read_only=True), deployment=deployment)
    return wire.dump_obj(MonitoringWindow, found)


@router.get("/deployments/{deployment}/labelled-rows", response_class=FileResponse)
def labelled_rows(
    deployment: str,
    ctx: CtxDep,
    target: Annotated[str, Query(min_length=1, max_length=256)],
    features: Annotated[list[str], Query(max_length=10_000)],
    start: datetime | None = None,
    end: datetime | None = None,
    context: Annotated[list[str] | None, Query(max_length=1000)] = None,
) -> FileResponse:
    """Logged inputs joined with their labels, oldest first, with ``ts`` (Parquet). Needs the
    monitor permission, and ``protected_data`` for `context` columns."""
    service.may_read_records(ctx.uow(), guard=ctx.guard(), deployment=deployment)
    if context:
        feeds.may_read_context(ctx.uow(), guard=ctx.guard(), deployment=deployment)
    uow = ctx.uow(read_only=True)
    with uow:
        uow.deployments.get_deployment(deployment)  # 404 for an unknown name
    frame = retrain.labelled_rows(
        uow,
        ctx.prediction_log(),
        deployment=deployment,
        features=list(features),
        target=target,
        start=start,
        end=end,
        context=context or (),
    )
    folder = tempfile.mkdtemp(prefix="mw-labelled-")
    output = Path(folder) / "rows.parquet"
    frame.to_parquet(output, index=False)
    return FileResponse(
        output,
        media_type="application/octet-stream",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.get("/alert-records")
def alert_records(
    ctx: CtxDep,
    deployment: Annotated[str | None, Query(max_length=256)] = None,
    model: Annotated[str | None, Query(max_length=256)] = None,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    """Alerts in full (details, webhook delivery), newest first."""
    found = service.list_alerts(
        ctx.uow(read_only=True), deployment=deployment, model=model, open_only=open_only
    )
    return wire.dump_list(Alert, found)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_with_comment(
    alert_id: Annotated[int, PathParam(ge=1, le=2**62)], body: AcknowledgeIn, ctx: CtxDep
) -> dict[str, Any]:
    """Acknowledge an alert saying what was done about it (audited)."""
    found = service.acknowledge_alert(
        ctx.uow(), alert_id=alert_id, guard=ctx.guard(), comment=body.comment
    )
    return wire.dump_obj(Alert, found)


@router.get("/deployments/{deployment}/report.html", response_class=HTMLResponse)
def report_html(deployment: str, ctx: CtxDep) -> HTMLResponse:
    """The self-contained HTML monitoring report of a deployment."""
    from modelward.monitoring import report

    html = report.build_report(
        ctx.uow(read_only=True),
        ctx.artifacts,
        ctx.prediction_log(),
        deployment=deployment,
        now=ctx.now(),
    )
    return HTMLResponse(html)


@router.post("/deployments/{deployment}/comparisons", status_code=201)
def compare(deployment: str, body: CompareIn, ctx: CtxDep) -> dict[str, Any]:
    """Champion vs challenger on labelled live traffic; the evidence is stored and audited."""
    found = comparison.compare_live(
        ctx.uow(),
        ctx.artifacts,
        ctx.prediction_log(),
        deployment=deployment,
        start=body.start or datetime(1970, 1, 1, tzinfo=UTC),
        end=body.end or ctx.now() + timedelta(seconds=1),
        guard=ctx.guard(),
    )
    return wire.dump_obj(comparison.Evidence, found)
