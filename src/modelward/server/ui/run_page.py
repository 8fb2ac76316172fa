"""One run's page (params, metric curves, tags, datasets with their profiles, artifacts,
source, environment, the model versions it produced), the download of one of its artifacts,
and the experiments list. Reads only: every route needs VIEW and changes nothing."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from modelward.domain.tracking import DatasetRef, Run
from modelward.registry import service as registry
from modelward.server.deps import Ctx, CtxDep
from modelward.server.ui.render import render
from modelward.server.ui.reproduce_view import reproducibility
from modelward.tracking import service, uploads

router = APIRouter(include_in_schema=False)

# Plotly's default qualitative palette ("D3"): the colour of key i is PALETTE[i % 10], so a
# metric (run page) or a run (compare page) keeps its colour on every chart of the page.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
MAX_CHARTS = 24
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def duration(run: Run) -> str:
    """`1.5 s`, `3 min 20 s`, `2 h 05 min`, or `running` for a run that has not ended."""
    if run.end_time is None:
        return "running"
    seconds = max((run.end_time - run.start_time).total_seconds(), 0.0)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def metric_curves(ctx: Ctx, run: Run) -> list[dict[str, Any]]:
    """One chart per metric key logged at several steps, each key in its own colour."""
    charts = []
    for index, key in enumerate(sorted(run.metrics)[:MAX_CHARTS]):
        history = service.metric_history(ctx.uow(read_only=True), run_id=run.id, key=key)
        if len(history) > 1:
            line = {
                "x": [m.step for m in history],
                "y": [m.value for m in history],
                "name": key,
                "color": colour(index),
            }
            charts.append({"title": key, "xlabel": "step", "ylabel": key, "lines": [line]})
    return charts


def dataset_summary(ref: DatasetRef) -> list[dict[str, Any]]:
    """Per column: kind, missing rate and the figures of its kind (from the stored profile)."""
    columns = ref.profile.get("columns", {}) if isinstance(ref.profile, dict) else {}
    rows = []
    for name, prof in columns.items():
        kind = prof.get("kind", "")
        if kind == "numeric":
            detail = {"min": prof.get("min"), "mean": prof.get("mean"), "max": prof.get("max")}
        elif kind == "categorical":
            top = list(prof.get("top", {}).items())[:3]
            detail = {
                "distinct": prof.get("n_unique"),
                "top": ", ".join(f"{k} ({v})" for k, v in top),
            }
        else:
            detail = {"min": prof.get("min"), "max": prof.get("max")}
        rows.append(
            {
                "column": name,
                "type": ref.schema.get(name, prof.get("dtype", "")),
                "kind": kind,
                "missing": prof.get("missing_rate"),
                "detail": detail,
            }
        )
    return rows


@router.get("/experiments", response_class=HTMLResponse)
def experiments(request: Request, ctx: CtxDep) -> HTMLResponse:
    """Every experiment, with a link to its runs."""
    found = service.list_experiments(ctx.uow(read_only=True))
    return render(request, "experiments.html", ctx, experiments=found)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, ctx: CtxDep, run_id: str) -> HTMLResponse:
    """Everything one run recorded, with metric curves and artifact downloads."""
    run = service.get_run(ctx.uow(read_only=True), run_id=run_id)
    children: list[Run] = []
    if _safe_id(run.id):  # ids are hex; anything else cannot be quoted into a filter
        children = service.search_runs(
            ctx.uow(read_only=True),
            experiments=[run.experiment],
            filter=f"attributes.parent_run_id = '{run.id}'",
            limit=200,
        )
    return render(
        request,
        "run.html",
        ctx,
        run=run,
        duration=duration(run),
        charts=metric_curves(ctx, run),
        datasets=[(ref, dataset_summary(ref)) for ref in run.datasets],
        environment=service.run_environment(ctx.uow(read_only=True), run_id=run.id),
        versions=registry.versions_of_run(ctx.uow(read_only=True), run_id=run.id),
        children=children,
        quote=quote,
        repro=reproducibility(ctx, run),
    )


def _safe_id(run_id: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_-]+", run_id))


@router.get("/runs/{run_id}/artifacts/{path:path}", response_class=StreamingResponse)
def download_artifact(ctx: CtxDep, run_id: str, path: str) -> StreamingResponse:
    """A run's artifact as a download: looked up in the run's record, its bytes checked
    against their sha256 by the artifact store before the first byte is sent."""
    ref = uploads.run_artifact(ctx.uow(read_only=True), run_id=run_id, path=path)
    data = uploads.read_blob(ctx.artifacts, sha256=ref.sha256)
    name = path.rsplit("/", 1)[-1]
    ascii_name = _UNSAFE_FILENAME.sub("_", name) or "artifact"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    headers = {
        "Content-Disposition": disposition,
        "X-Content-SHA256": ref.sha256,
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(data, media_type="application/octet-stream", headers=headers)
