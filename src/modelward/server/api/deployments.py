"""Deployments API: create, list, read, history, challenger strategy, promote, rollback, kill
switch. The scoring service (`modelward serve`) picks changes up without a restart."""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from modelward.deploy import package as packaging
from modelward.deploy import service
from modelward.errors import InvalidInput
from modelward.monitoring import service as monitoring_service
from modelward.registry import service as registry_service
from modelward.schemas.ops import (
    BundleIn,
    ChallengerIn,
    DeploymentConfigOut,
    DeploymentIn,
    DeploymentOut,
    KillIn,
    ReasonIn,
)
from modelward.server.deps import Ctx, CtxDep
from modelward.server.uploads import spooled_file
from modelward.serving import batch, notice

router = APIRouter(prefix="/deployments", tags=["deployments"])


def _out(found: object) -> DeploymentOut:
    return DeploymentOut.model_validate(found)


@router.post("", status_code=201)
def create(body: DeploymentIn, ctx: CtxDep) -> DeploymentOut:
    """Deploy a version (a model URI) under a name in an environment."""
    found = service.create_deployment(
        ctx.uow(),
        name=body.name,
        environment=body.environment,
        model_uri=body.model_uri,
        guard=ctx.guard(),
        unseen_categories=body.unseen_categories,
        allow_missing=body.allow_missing,
        max_body_bytes=body.max_body_bytes,
        reason=body.reason,
    )
    return _out(found)


@router.get("")
def list_deployments(ctx: CtxDep) -> list[DeploymentOut]:
    """Every deployment with its live configuration."""
    return [_out(d) for d in service.list_deployments(ctx.uow(read_only=True))]


@router.get("/{name}")
def get(name: str, ctx: CtxDep) -> DeploymentOut:
    """One deployment."""
    return _out(service.get_deployment(ctx.uow(read_only=True), name=name))


@router.get("/{name}/history")
def history(name: str, ctx: CtxDep) -> list[DeploymentConfigOut]:
    """Every configuration the deployment had, oldest first."""
    found = service.history(ctx.uow(read_only=True), name=name)
    return [DeploymentConfigOut.model_validate(c) for c in found]


@router.put("/{name}/challenger")
def set_challenger(name: str, body: ChallengerIn, ctx: CtxDep) -> DeploymentOut:
    """Put a challenger version behind a strategy (canary, shadow, ab, bluegreen)."""
    found = service.set_challenger(
        ctx.uow(),
        name=name,
        version=body.version,
        strategy=body.strategy,
        share=body.share,
        ab_key=body.ab_key,
        guard=ctx.guard(),
        reason=body.reason,
    )
    return _out(found)


@router.post("/{name}/challenger/clear")
def clear_challenger(name: str, body: ReasonIn, ctx: CtxDep) -> DeploymentOut:
    """Remove the challenger; the champion answers everything."""
    found = service.clear_challenger(ctx.uow(), name=name, guard=ctx.guard(), reason=body.reason)
    return _out(found)


@router.post("/{name}/promote")
def promote(name: str, body: ReasonIn, ctx: CtxDep) -> DeploymentOut:
    """The challenger becomes the champion."""
    found = service.promote(ctx.uow(), name=name, guard=ctx.guard(), reason=body.reason)
    return _out(found)


@router.post("/{name}/rollback")
def rollback(name: str, body: ReasonIn, ctx: CtxDep) -> DeploymentOut:
    """Go back to the configuration before the last change."""
    found = service.rollback(ctx.uow(), name=name, guard=ctx.guard(), reason=body.reason)
    return _out(found)


@router.post("/{name}/kill")
def kill(name: str, body: KillIn, ctx: CtxDep) -> DeploymentOut:
    """Stop answering with the model (503, or the fallback answer)."""
    found = service.set_kill_switch(
        ctx.uow(),
        name=name,
        killed=True,
        fallback=body.fallback,
        guard=ctx.guard(),
        reason=body.reason,
    )
    return _out(found)


@router.post("/{name}/revive")
def revive(name: str, body: ReasonIn, ctx: CtxDep) -> DeploymentOut:
    """Answer with the model again."""
    found = service.set_kill_switch(
        ctx.uow(), name=name, killed=False, guard=ctx.guard(), reason=body.reason
    )
    return _out(found)


# -- the client contract: bundles, batch scoring and the prediction log, remotely ----------

BUNDLE_HEADER = "x-modelward-bundle"  # the BundleInfo of a streamed bundle (JSON)
RESULT_HEADER = "x-modelward-result"  # the BatchResult of a streamed batch score (JSON)


def _cleanup(folder: str) -> BackgroundTask:
    return BackgroundTask(shutil.rmtree, folder, ignore_errors=True)


def _build_bundle(ctx: Ctx, body: BundleIn, folder: Path) -> tuple[Path, packaging.BundleInfo]:
    if body.folder in (".", ".."):
        raise InvalidInput("The bundle's folder name must be a plain name.", field="folder")
    built = packaging.build_bundle(
        ctx.uow(),
        ctx.artifacts,
        guard=ctx.guard(),
        model_uri=body.model_uri,
        output=folder / body.folder,
        deployment=body.deployment,
        environment=body.environment,
    )
    archive = folder / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in built.files:
            tar.add(built.path / name, arcname=name, recursive=False)
    return archive, built


@router.post("/bundles", response_class=FileResponse)
def build_bundle(body: BundleIn, ctx: CtxDep) -> FileResponse:
    """Build the bundle of a version (as `modelward package` does) and stream it as a tar.gz;
    the header X-Modelward-Bundle carries what was built."""
    folder = tempfile.mkdtemp(prefix="mw-bundle-")
    try:
        archive, built = _build_bundle(ctx, body, Path(folder))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    info = {
        "model": built.model,
        "version": built.version,
        "files": list(built.files),
        "has_validation_report": built.has_validation_report,
    }
    return FileResponse(
        archive,
        media_type="application/gzip",
        headers={BUNDLE_HEADER: json.dumps(info)},
        background=_cleanup(folder),
    )


def _score(ctx: Ctx, source: str, output: Path, form: dict[str, Any]) -> batch.BatchResult:
    plan = service.authorize_batch(
        ctx.uow(), guard=ctx.guard(), model_uri=form["model_uri"], deployment=form["deployment"]
    )
    version = plan.version
    model = registry_service.load_model(
        ctx.uow(read_only=True),
        ctx.artifacts,
        uri=version.uri,
        allow_pickle=False,  # the server never unpickles bytes a client uploaded
    )
    model = notice.with_explanations(
        ctx.uow(read_only=True), ctx.artifacts, model, version, plan.deployment
    )
    logging: dict[str, Any] = {}
    if form["log_predictions"]:
        label = form["deployment"] or f"batch-{version.model}"
        logging = ctx.batch_log(label, version.model, version.version)
    import pandas as pd
    import pyarrow as pa

    try:
        return batch.score_file(
            model,
            Path(source),
            output,
            chunk_size=form["chunk_size"],
            engine="pandas",
            deployment=plan.deployment,
            **logging,
        )
    except (pa.ArrowException, UnicodeDecodeError, pd.errors.ParserError) as exc:
        kind = "Parquet" if source.endswith(".parquet") else "CSV (UTF-8)"
        raise InvalidInput(
            f"The uploaded file is not a readable {kind} file ({type(exc).__name__}); check it"
            " opens with pandas, then send it again.",
            field="file",
        ) from exc


@router.post("/batch-scores", response_class=FileResponse)
async def batch_score(
    ctx: CtxDep,
    file: Annotated[UploadFile, File(description="The rows to score: Parquet or CSV.")],
    model_uri: Annotated[str, Form(min_length=1, max_length=600)],
    deployment: Annotated[str | None, Form(max_length=256)] = None,
    chunk_size: Annotated[int, Form(ge=1, le=10_000_000)] = 100_000,
    log_predictions: Annotated[bool, Form()] = True,
) -> FileResponse:
    """Score an uploaded file in chunks (pandas) and stream the predictions back as Parquet;
    the header X-Modelward-Result carries rows, seconds, job id. Models stored with pickle
    are refused (422): the server never unpickles what a client uploaded."""
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise InvalidInput(f"Upload a .parquet or .csv file, not {file.filename!r}.", field="file")
    form = {
        "model_uri": model_uri,
        "deployment": deployment or None,
        "chunk_size": chunk_size,
        "log_predictions": log_predictions,
    }
    folder = tempfile.mkdtemp(prefix="mw-score-")
    output = Path(folder) / "scored.parquet"
    try:
        async with spooled_file(file, suffix=suffix) as path:
            found = await run_in_threadpool(_score, ctx, path, output, form)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    result = {
        "rows": found.rows,
        "engine": found.engine,
        "seconds": found.seconds,
        "job_id": found.job_id,
        "logged": found.logged,
    }
    return FileResponse(
        output,
        media_type="application/octet-stream",
        headers={RESULT_HEADER: json.dumps(result)},
        background=_cleanup(folder),
    )


@router.get("/{name}/predictions", response_class=FileResponse)
def read_predictions(
    name: str, ctx: CtxDep, start: datetime | None = None, end: datetime | None = None
) -> FileResponse:
    """The logged records under a deployment's name (default: the last 7 days) as Parquet;
    batch jobs log under names that need not be deployments. Needs the monitor permission."""
    monitoring_service.may_read_records(ctx.uow(), guard=ctx.guard(), deployment=name)
    frame = ctx.read_predictions(name, start, end)
    folder = tempfile.mkdtemp(prefix="mw-predictions-")
    output = Path(folder) / "predictions.parquet"
    frame.to_parquet(output, index=False)
    return FileResponse(output, media_type="application/octet-stream", background=_cleanup(folder))
