"""Artifacts API: content-addressed blobs (upload verified by hash, streamed download), run
artifacts by recorded path, client-serialized models, and datasets uploaded as Parquet.

No client path ever reaches the file system: blobs are addressed by a 64-hex sha256 (checked
by the route's pattern) and run artifacts are looked up in the run's record. Model bytes are
stored as opaque blobs: the server never deserializes them here, and loads them later only in
the skops format (see `modelward.registry.flavors`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from modelward.schemas.core import ArtifactOut, DatasetOut, ShaOut
from modelward.server.deps import CtxDep
from modelward.server.uploads import spooled_body, spooled_file
from modelward.tracking import service, uploads

router = APIRouter(tags=["artifacts"])
Sha = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="sha256 of the bytes")]
OCTETS = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


class ModelLogIn(BaseModel):
    """A model serialized by the client: its description (the model bytes go to /blobs)."""

    name: str = Field(default="model", min_length=1, max_length=256)
    meta: dict[str, Any]


@router.put("/blobs/{sha256}", openapi_extra={"requestBody": {"content": OCTETS}})
async def put_blob(sha256: Sha, request: Request, ctx: CtxDep) -> ShaOut:
    """Upload bytes under their sha256 (refused when they hash to something else)."""
    guard = ctx.guard()
    await run_in_threadpool(lambda: uploads.may_upload(ctx.uow(), guard=guard))
    async with spooled_body(request) as path:
        sha, size = await run_in_threadpool(
            lambda: uploads.store_blob(
                ctx.uow(), ctx.artifacts, guard=guard, path=path, expected_sha256=sha256
            )
        )
    return ShaOut(sha256=sha, size=size)


@router.get("/blobs/{sha256}", response_class=StreamingResponse)
def get_blob(sha256: Sha, ctx: CtxDep) -> StreamingResponse:
    """Download bytes by sha256 (verified on read; 404 when absent)."""
    data = uploads.read_blob(ctx.artifacts, sha256=sha256)
    return StreamingResponse(data, media_type="application/octet-stream")


@router.post(
    "/runs/{run_id}/artifacts",
    status_code=201,
    openapi_extra={"requestBody": {"content": OCTETS}},
)
async def log_artifact(
    run_id: str, request: Request, ctx: CtxDep, path: str = Query(min_length=1, max_length=250)
) -> ArtifactOut:
    """Record the body as the run's artifact at `path` (a name in the record, not a file path)."""
    async with spooled_body(request) as tmp:
        data = await run_in_threadpool(_read, tmp)
    ref = await run_in_threadpool(
        lambda: service.log_artifact_bytes(
            ctx.uow(), ctx.artifacts, guard=ctx.guard(), run_id=run_id, path=path, data=data
        )
    )
    return ArtifactOut.model_validate(ref)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


@router.get("/runs/{run_id}/artifacts/{path:path}", response_class=StreamingResponse)
def get_artifact(run_id: str, path: str, ctx: CtxDep) -> StreamingResponse:
    """Download a run's artifact by its recorded path."""
    ref = uploads.run_artifact(ctx.uow(read_only=True), run_id=run_id, path=path)
    data = uploads.read_blob(ctx.artifacts, sha256=ref.sha256)
    return StreamingResponse(data, media_type="application/octet-stream")


@router.post("/runs/{run_id}/models", status_code=201)
def log_model(run_id: str, body: ModelLogIn, ctx: CtxDep) -> ArtifactOut:
    """Record a model whose bytes were uploaded to /blobs/{meta.model_sha256}."""
    ref = uploads.log_model_description(
        ctx.uow(), ctx.artifacts, guard=ctx.guard(), run_id=run_id, name=body.name, meta=body.meta
    )
    return ArtifactOut.model_validate(ref)


@router.post("/runs/{run_id}/datasets", status_code=201)
async def log_dataset(
    run_id: str,
    ctx: CtxDep,
    file: Annotated[UploadFile, File(description="The data as Parquet.")],
    name: Annotated[str, Form(min_length=1, max_length=256)],
    role: Annotated[str, Form(min_length=1, max_length=250)] = "training",
    source: Annotated[str | None, Form(max_length=4096)] = None,
) -> DatasetOut:
    """Fingerprint, profile and sample an uploaded Parquet file and link it to the run."""
    async with spooled_file(file, suffix=".parquet") as path:
        ref = await run_in_threadpool(
            lambda: uploads.log_dataset_file(
                ctx.uow(),
                ctx.artifacts,
                run_id=run_id,
                path=path,
                name=name,
                role=role,
                source=source,
                guard=ctx.guard(),
            )
        )
    return DatasetOut.model_validate(ref)
