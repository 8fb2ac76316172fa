"""Runs pages: the list (search language, experiment filter) and several runs compared side
by side (params, metrics, metric curves drawn with Plotly)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from modelward.errors import InvalidInput
from modelward.server.deps import CtxDep
from modelward.server.ui import monitoring_view
from modelward.server.ui.render import render
from modelward.tracking import service

router = APIRouter(include_in_schema=False)
router.include_router(monitoring_view.router)


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    ctx: CtxDep,
    filter: Annotated[str, Query(max_length=4000)] = "",
    experiment: Annotated[str, Query(max_length=256)] = "",
    order: Annotated[str, Query(max_length=256)] = "attributes.start_time DESC",
) -> HTMLResponse:
    """Runs matching a filter, newest first, with checkboxes to compare."""
    error = ""
    try:
        found = service.search_runs(
            ctx.uow(read_only=True),
            experiments=[experiment] if experiment else None,
            filter=filter or None,
            order_by=[order] if order else None,
            limit=200,
        )
    except InvalidInput as exc:
        found, error = [], str(exc)
    experiments = service.list_experiments(ctx.uow(read_only=True))
    metric_keys = sorted({k for r in found for k in r.metrics})[:8]
    return render(
        request,
        "runs.html",
        ctx,
        runs=found,
        experiments=experiments,
        metric_keys=metric_keys,
        filter=filter,
        experiment=experiment,
        order=order,
        error=error,
    )


@router.get("/runs/compare", response_class=HTMLResponse)
def compare(
    request: Request, ctx: CtxDep, id: Annotated[list[str], Query(max_length=20)]
) -> HTMLResponse:
    """Runs side by side: params, metrics (differences marked) and metric curves."""
    chosen = [service.get_run(ctx.uow(read_only=True), run_id=run_id) for run_id in id[:10]]
    params = sorted({k for r in chosen for k in r.params})
    metrics = sorted({k for r in chosen for k in r.metrics})
    curves: dict[str, list[dict[str, Any]]] = {}
    for key in metrics[:12]:
        for run in chosen:
            history = service.metric_history(ctx.uow(read_only=True), run_id=run.id, key=key)
            if len(history) > 1:
                points = {"x": [m.step for m in history], "y": [m.value for m in history]}
                curves.setdefault(key, []).append(points | {"name": run.name or run.id[:8]})
    differs = {
        key: len({str(getattr(r, kind).get(key)) for r in chosen}) > 1
        for kind, keys in (("params", params), ("metrics", metrics))
        for key in keys
    }
    return render(
        request,
        "compare.html",
        ctx,
        runs=chosen,
        params=params,
        metrics=metrics,
        curves=curves,
        differs=differs,
    )
