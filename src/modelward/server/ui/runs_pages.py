"""Runs pages: the list (search language, experiment filter) and several runs compared side
by side (params, metrics, metric curves drawn with Plotly)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from modelward.domain.tracking import Run
from modelward.errors import InvalidInput
from modelward.server.deps import CtxDep
from modelward.server.ui import monitoring_view, run_page
from modelward.server.ui.render import render
from modelward.tracking import service

router = APIRouter(include_in_schema=False)
router.include_router(monitoring_view.router)
MAX_COLUMNS = 20


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    ctx: CtxDep,
    filter: Annotated[str, Query(max_length=4000)] = "",
    experiment: Annotated[str, Query(max_length=256)] = "",
    order: Annotated[str, Query(max_length=256)] = "attributes.start_time DESC",
    columns: Annotated[str, Query(max_length=2000)] = "",
) -> HTMLResponse:
    """Runs matching a filter, newest first, children under their parent, with the chosen
    `params.X` / `metrics.Y` columns (default: the first metrics) and checkboxes to compare."""
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
    chosen = chosen_columns(columns, found)
    return render(
        request,
        "runs.html",
        ctx,
        rows=nest(found),
        runs=found,
        experiments=experiments,
        columns=chosen,
        columns_text=",".join(f"{kind}.{key}" for kind, key in chosen),
        filter=filter,
        experiment=experiment,
        order=order,
        error=error,
        duration=run_page.duration,
    )


def chosen_columns(text: str, found: list[Run]) -> list[tuple[str, str]]:
    """`params.C,metrics.auc` as [("params", "C"), ("metrics", "auc")]; unknown prefixes are
    dropped. Empty text: the first eight metric keys of the runs found."""
    picked = []
    for item in text.split(","):
        kind, _, key = item.strip().partition(".")
        if kind in ("params", "metrics", "tags") and key and (kind, key) not in picked:
            picked.append((kind, key))
    if picked or text.strip():
        return picked[:MAX_COLUMNS]
    return [("metrics", k) for k in sorted({k for r in found for k in r.metrics})[:8]]


def nest(found: list[Run]) -> list[tuple[Run, int]]:
    """(run, depth) in display order: each run followed by its children found in the same
    search (depth 1, 2, ...); a child whose parent is not in the list stays at the top."""
    ids = {r.id for r in found}
    children: dict[str, list[Run]] = {}
    for run in found:
        if run.parent_run_id in ids and run.parent_run_id != run.id:
            children.setdefault(run.parent_run_id, []).append(run)
    rows: list[tuple[Run, int]] = []
    seen: set[str] = set()

    def walk(run: Run, depth: int) -> None:
        if run.id in seen:  # a cycle in bad data must not loop forever
            return
        seen.add(run.id)
        rows.append((run, depth))
        for child in children.get(run.id, []):
            walk(child, depth + 1)

    for run in found:
        if run.parent_run_id not in ids or run.parent_run_id == run.id:
            walk(run, 0)
    rows += [(r, 0) for r in found if r.id not in seen]
    return rows


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
        for index, run in enumerate(chosen):  # one colour per run, the same on every chart
            history = service.metric_history(ctx.uow(read_only=True), run_id=run.id, key=key)
            if len(history) > 1:
                points = {"x": [m.step for m in history], "y": [m.value for m in history]}
                label = {"name": run.name or run.id[:8], "color": run_page.colour(index)}
                curves.setdefault(key, []).append(points | label)
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


router.include_router(run_page.router)  # after /runs/compare, so "compare" is not a run id
