"""Validation API: validate a version on uploaded held-out data (Parquet), and read the stored
reports as JSON or as the self-contained HTML page."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from modelward.errors import InvalidInput
from modelward.schemas.core import ReportRecordOut, ValidationOut
from modelward.server.deps import Ctx, CtxDep, VersionPath
from modelward.server.uploads import spooled_file
from modelward.tracking.uploads import read_parquet
from modelward.validation import service
from modelward.validation.config import ValidationConfig

router = APIRouter(tags=["validation"])


def _config(text: str | None) -> ValidationConfig | None:
    if not text:
        return None
    try:
        mapping = json.loads(text)
    except ValueError as exc:
        raise InvalidInput("'config' must be a JSON object.", field="config") from exc
    if not isinstance(mapping, dict):
        raise InvalidInput("'config' must be a JSON object.", field="config")
    return ValidationConfig.from_mapping(mapping)


def _out(found: service.Validated) -> ValidationOut:
    report: dict[str, Any] = found.report.to_dict()
    return ValidationOut(record=ReportRecordOut.model_validate(found.record), report=report)


def _validate(ctx: Ctx, path: str, form: dict[str, Any]) -> service.Validated:
    return service.validate_version(
        ctx.uow(),
        ctx.artifacts,
        data=read_parquet(path),
        actor=ctx.actor,
        now=ctx.now(),
        permissions=ctx.policies.permissions,
        **form,
    )


@router.post("/validations", status_code=201)
async def validate(
    ctx: CtxDep,
    file: Annotated[UploadFile, File(description="Held-out data as Parquet.")],
    model_uri: Annotated[str, Form(min_length=1, max_length=600)],
    target: Annotated[str, Form(min_length=1, max_length=256)],
    sensitive: Annotated[str, Form(max_length=4096, description="Comma-separated.")] = "",
    against: Annotated[str | None, Form(max_length=600)] = None,
    config: Annotated[str | None, Form(max_length=100_000, description="JSON.")] = None,
) -> ValidationOut:
    """Validate a version; the report is stored with it (checks that fail are a result: 201)."""
    form = {
        "model_uri": model_uri,
        "target": target,
        "sensitive": [s.strip() for s in sensitive.split(",") if s.strip()],
        "against": against or None,
        "config": _config(config),
    }
    async with spooled_file(file, suffix=".parquet") as path:
        found = await run_in_threadpool(_validate, ctx, path, form)
    return _out(found)


@router.get("/models/{name}/reports")
def list_reports(
    name: str, ctx: CtxDep, version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> list[ReportRecordOut]:
    """Every stored validation of a model (of one version if given), newest first."""
    found = service.list_reports(ctx.uow(read_only=True), model=name, version=version)
    return [ReportRecordOut.model_validate(r) for r in found]


@router.get("/models/{name}/versions/{version}/report")
def latest_report(name: str, version: VersionPath, ctx: CtxDep) -> ValidationOut:
    """The newest validation report of a version (JSON)."""
    return _out(
        service.latest_report(ctx.uow(read_only=True), ctx.artifacts, model=name, version=version)
    )


@router.get("/models/{name}/versions/{version}/report.html", response_class=HTMLResponse)
def latest_report_html(name: str, version: VersionPath, ctx: CtxDep) -> HTMLResponse:
    """The newest validation report of a version as its self-contained HTML page."""
    return HTMLResponse(
        service.report_html(ctx.uow(read_only=True), ctx.artifacts, model=name, version=version)
    )
