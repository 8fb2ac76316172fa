"""Monitoring pages (drift per feature, performance, fairness, business figures and PSI/CSI
over time with their limits, alerts, deployments with
their strategy and traffic split) and the alert counts the inventory shows as health.

Monitoring is optional: without the monitoring service the pages say so and health is blank.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from modelward.deploy import service as deploy_service
from modelward.domain.roles import Action
from modelward.server.deps import Ctx, CtxDep
from modelward.server.ui import flash
from modelward.server.ui.evidence_pages import actions_of
from modelward.server.ui.model_forms import check_csrf, outcome
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)


def _monitoring() -> Any:
    try:
        from modelward.monitoring import service
    except ImportError:
        return None
    return service


def open_alert_counts(ctx: Ctx, *, by: str = "model") -> dict[str, int]:
    """Open alerts of the versions their deployments serve, per model (or per deployment
    with by="deployment"): the inventory's health and the monitoring table's count."""
    service = _monitoring()
    if service is None:
        return {}
    found = service.serving_open_alerts(ctx.uow(read_only=True))
    return dict(Counter(getattr(a, by) for a in found))


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_index(request: Request, ctx: CtxDep) -> HTMLResponse:
    """Deployments with strategy, traffic split and open alerts."""
    deployments = deploy_service.list_deployments(ctx.uow(read_only=True))
    return render(
        request,
        "monitoring.html",
        ctx,
        deployments=deployments,
        health=open_alert_counts(ctx, by="deployment"),
        available=_monitoring() is not None,
        detail=None,
    )


def _series(windows: list[Any], by_window: dict[int, Any] | None = None) -> dict[str, Any]:
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
    from modelward.monitoring.figures import series as figure_series

    return {
        "drift": drift,
        "performance": performance,
        **early_series(windows),
        **figure_series(windows, by_window or {}),
    }


@router.get("/monitoring/{deployment}", response_class=HTMLResponse)
def monitoring_detail(request: Request, deployment: str, ctx: CtxDep) -> HTMLResponse:
    """One deployment: drift per feature over time, performance over time, alerts."""
    found = deploy_service.get_deployment(ctx.uow(read_only=True), name=deployment)
    service = _monitoring()
    windows = (
        service.list_windows(ctx.uow(read_only=True), deployment=deployment) if service else []
    )
    alerts = service.list_alerts(ctx.uow(read_only=True), deployment=deployment) if service else []
    by_window = (
        service.obligations.list_figures(ctx.uow(read_only=True), deployment=deployment)
        if service
        else {}
    )
    serving = {v for v in (found.config.champion, found.config.challenger) if v is not None}
    return render(
        request,
        "monitoring.html",
        ctx,
        deployments=[found],
        health=open_alert_counts(ctx, by="deployment"),
        serving=serving,
        serving_pairs={(found.name, v) for v in serving},
        may_ack=may(ctx, Action.MONITOR),
        available=service is not None,
        detail=found,
        series=_series(windows, by_window),
        windows=windows,
        alerts=alerts,
    )


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    ctx: CtxDep,
    model: Annotated[str, Query(max_length=256)] = "",
    state: Annotated[str, Query(pattern="^(open|all)$")] = "open",
) -> HTMLResponse:
    """Alerts, newest first (open ones by default), each with the version that raised it and
    an acknowledge form for users who may monitor."""
    service = _monitoring()
    found = (
        service.list_alerts(ctx.uow(read_only=True), model=model or None, open_only=state == "open")
        if service
        else []
    )
    serving = {
        (d.name, v)
        for d in deploy_service.list_deployments(ctx.uow(read_only=True))
        for v in (d.config.champion, d.config.challenger)
        if v is not None
    }
    return render(
        request,
        "alerts.html",
        ctx,
        alerts=found,
        serving=serving,
        model=model,
        state=state,
        available=service is not None,
        may_ack=may(ctx, Action.MONITOR),
    )


def may(ctx: Ctx, action: Action) -> bool:
    """The signed-in user holds a role allowing `action` (to offer its form; the service
    checks again when the form is sent)."""
    return action.value in actions_of(ctx)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(
    alert_id: Annotated[int, PathParam(ge=1, le=2**62)],
    ctx: CtxDep,
    comment: Annotated[str, Form(max_length=10_000)] = "",
    back: Annotated[str, Form(max_length=512)] = "/alerts",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Acknowledge an alert with a comment saying what was done (required; audited)."""
    check_csrf(ctx, csrf)
    service = _monitoring()
    url = back if back.startswith("/") and not back.startswith("//") else "/alerts"
    where = "alerts"
    if service is None:
        return flash.redirect(ctx, url, "Monitoring is not installed.", kind="error", where=where)

    def call() -> None:
        service.acknowledge_alert(ctx.uow(), alert_id=alert_id, guard=ctx.guard(), comment=comment)

    return outcome(ctx, url, where, call, f"Alert {alert_id} acknowledged.")
