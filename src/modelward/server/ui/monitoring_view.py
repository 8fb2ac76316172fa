"""Monitoring pages (drift per feature and performance over time, alerts, deployments with
their strategy and traffic split) and the alert counts the inventory shows as health.

Monitoring is optional: without the monitoring service the pages say so and health is blank.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelward.deploy import service as deploy_service
from modelward.server.deps import Ctx, CtxDep
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)


def _monitoring() -> Any:
    try:
        from modelward.monitoring import service
    except ImportError:
        return None
    return service


def open_alert_counts(ctx: Ctx) -> dict[str, int]:
    """Open (unacknowledged) alerts per model: one query."""
    service = _monitoring()
    if service is None:
        return {}
    return dict(Counter(a.model for a in service.open_alerts(ctx.uow(read_only=True))))


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_index(request: Request, ctx: CtxDep) -> HTMLResponse:
    """Deployments with strategy, traffic split and open alerts."""
    deployments = deploy_service.list_deployments(ctx.uow(read_only=True))
    return render(
        request,
        "monitoring.html",
        ctx,
        deployments=deployments,
        health=open_alert_counts(ctx),
        available=_monitoring() is not None,
        detail=None,
    )


def _series(windows: list[Any]) -> dict[str, Any]:
    drift: dict[str, dict[str, list[Any]]] = {}
    performance: dict[str, dict[str, list[Any]]] = {}
    for window in windows:
        at = window.end.isoformat()
        for point in window.drift:
            line = drift.setdefault(point.column, {"x": [], "y": []})
            line["x"].append(at)
            line["y"].append(point.statistic)
        for perf in window.performance:
            line = performance.setdefault(perf.metric, {"x": [], "y": []})
            line["x"].append(at)
            line["y"].append(perf.value)
    from modelward.monitoring.early_warning import series as early_series

    return {"drift": drift, "performance": performance, **early_series(windows)}


@router.get("/monitoring/{deployment}", response_class=HTMLResponse)
def monitoring_detail(request: Request, deployment: str, ctx: CtxDep) -> HTMLResponse:
    """One deployment: drift per feature over time, performance over time, alerts."""
    found = deploy_service.get_deployment(ctx.uow(read_only=True), name=deployment)
    service = _monitoring()
    windows = (
        service.list_windows(ctx.uow(read_only=True), deployment=deployment) if service else []
    )
    alerts = service.list_alerts(ctx.uow(read_only=True), deployment=deployment) if service else []
    return render(
        request,
        "monitoring.html",
        ctx,
        deployments=[found],
        health={},
        available=service is not None,
        detail=found,
        series=_series(windows),
        windows=windows,
        alerts=alerts,
    )
