"""Monitoring use-cases: ingest labels, run monitoring over complete windows, list and
acknowledge alerts, a deployment's status. One public function per user action.

A run is safe from cron: each window is stored under a unique (deployment, start, end) key
and skipped once computed, alerts are unique per window, kind and subject, and a window's
performance is recomputed only when labels arrived for it after it was last computed. The
webhook is called through `notify`, given by the caller (services do no HTTP); its failure is
recorded on the alerts and never aborts the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import Deployment
from modelward.domain.monitoring import (
    Alert,
    AlertKind,
    Label,
    MonitoringWindow,
    PerformancePoint,
    PredictionLog,
    WindowStatus,
)
from modelward.domain.policy import PolicySet
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.errors import InvalidInput, NotFound
from modelward.governance.graph import upstream_changes
from modelward.monitoring import alerts as alert_rules
from modelward.monitoring import (
    early_warning,
    obligations,
    performance,
    stability,
    versions,
    windows,
)
from modelward.monitoring import labels as label_rules
from modelward.monitoring import reference as references
from modelward.monitoring.figures import FigureOptions
from modelward.monitoring.windows_compute import (
    MonitorOptions,
    input_drift,
    output_drift,
    window_performance,
)

log = logging.getLogger("modelward.monitoring")
Notify = Callable[[dict[str, Any]], tuple[str, str]]  # payload -> (status, detail)


@dataclass(frozen=True)
class RunResult:
    """What one monitoring run of one deployment did."""

    deployment: str
    computed: list[MonitoringWindow] = field(default_factory=list)
    refreshed: list[MonitoringWindow] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    reference: str = ""
    responses: list[dict[str, Any]] = field(default_factory=list)  # the policy's, see responses
    window_seconds: float | None = None  # the window size of this run
    last_window_end: datetime | None = None  # end of the newest computed window (None: none)
    next_window_end: datetime | None = None  # when the next window closes (None: no traffic)


def ingest_labels(
    uow: UnitOfWork,
    predictions: PredictionLog,
    *,
    deployment: str,
    data: object,
    id_column: str,
    label_column: str = "label",
    row_column: str | None = None,
    guard: Guard,
) -> label_rules.LabelIngestResult:
    """Store ground-truth labels of logged records (the duplicate rule is in `labels`).

    Raises:
        NotFound: no such deployment.
        InvalidInput: the file cannot be read or lacks a named column.
        PermissionDenied: the actor may not monitor.
    """
    now = guard.now()
    with uow:
        uow.deployments.get_deployment(deployment)
        guard.require(uow, Action.MONITOR, subject=f"deployment {deployment}")
    frame = label_rules.read_label_frame(data)
    wanted, duplicates, missing = label_rules.prepare_labels(
        frame, id_column=id_column, label_column=label_column, row_column=row_column
    )
    logged = predictions.lookup(deployment, wanted[["request_id", "row"]])
    known = wanted.merge(logged, on=["request_id", "row"], how="inner")
    unknown = wanted.merge(logged, on=["request_id", "row"], how="left", indicator=True)
    unknown_ids = unknown.loc[unknown["_merge"] == "left_only", "request_id"]
    counts = {"stored": 0, "replaced": 0, "unchanged": 0}
    with uow:
        keys = list(zip(known["request_id"].astype(str), known["row"].astype(int), strict=True))
        existing = uow.monitoring.find_labels(deployment, keys)
        batch = []
        for key, value, ts in zip(keys, known["label"], known["ts"], strict=True):
            value = label_rules.plain(value)
            old = existing.get(key)
            if old is None:
                counts["stored"] += 1
                batch.append(Label(key[0], key[1], value, ts.to_pydatetime(), now))
                continue
            counts["unchanged" if old.label == value else "replaced"] += 1
            received = now if old.label != value else old.received_at
            batch.append(replace(old, label=value, received_at=received,
                                 times_received=old.times_received + 1))  # fmt: skip
        uow.monitoring.save_labels(deployment, batch)
        uow.commit()
    return label_rules.LabelIngestResult(
        deployment=deployment,
        received=len(frame),
        duplicates_in_file=duplicates,
        unknown=len(unknown_ids),
        missing_label=missing,
        unknown_examples=[str(v) for v in unknown_ids.head(label_rules.EXAMPLES)],
        **counts,
    )


def _baseline(uow: UnitOfWork, deployment: Deployment) -> tuple[dict[str, float], str | None]:
    with uow:
        record = uow.validation.latest_report(deployment.model, deployment.config.champion)
    if record is None:
        return {}, None
    return performance.baseline_from_report(record.summary), record.task


def _reference(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    predictions: PredictionLog,
    deployment: Deployment,
    options: MonitorOptions,
    policies: PolicySet,
) -> references.MonitoringReference:
    training = references.from_training(uow, artifacts, deployment)
    if options.pseudonym_key is not None:
        training = references.pseudonymised(
            uow, deployment, training, key=options.pseudonym_key, policies=policies
        )
    if options.reference_window is None:
        return training
    return references.from_window(
        predictions, deployment, training.features, *options.reference_window
    )


@dataclass(frozen=True)
class _Context:
    deployment: Deployment
    reference: references.MonitoringReference
    baseline: dict[str, float]
    task: str | None
    options: MonitorOptions
    now: datetime
    early: early_warning.EarlyWarning | None = None  # multivariate drift, estimates


def _compute_window(
    uow: UnitOfWork, predictions: PredictionLog, ctx: _Context, span: tuple[datetime, datetime]
) -> MonitoringWindow:
    name, opts = ctx.deployment.name, ctx.options
    n_rows = predictions.count(name, *span)
    small = n_rows < opts.drift.min_rows
    frame = logged = None
    if n_rows <= opts.max_rows_in_memory:
        frame = logged = predictions.read(name, *span)
        frame = frame[frame["arm"] != "shadow"] if "arm" in frame else frame
    drift = () if small else input_drift(
        ctx.reference, predictions, frame, deployment=name, span=span, options=opts
    )  # fmt: skip
    drift += () if small else output_drift(ctx.reference, frame, opts)
    with uow:
        labels = uow.monitoring.list_labels(name, start=span[0], end=span[1])
    points: list[PerformancePoint] = []
    n_labels, perf_status = 0, "insufficient_data"
    if frame is not None:
        points, n_labels, perf_status = window_performance(
            frame, labels, baseline=ctx.baseline, task=ctx.task, options=opts
        )
    status = WindowStatus.INSUFFICIENT_DATA if small else WindowStatus.OK
    summary = {
        "drifted": [p.column for p in drift if p.drifted and p.target == "input"],
        "prediction_drifted": any(p.drifted for p in drift if p.target == "prediction"),
        "performance_status": perf_status,
        "min_rows": opts.drift.min_rows,
    }
    if ctx.early is not None and not small:
        summary.update(early_warning.compute(
            ctx.early, predictions, frame, deployment=name, span=span, points=points
        ))  # fmt: skip
    if not small:
        summary["stability"] = _stability(ctx, predictions, frame, span)
    estimator = ctx.early.estimator if ctx.early is not None and not small else None
    summary.update(
        versions.figures(logged, labels, task=ctx.task, options=opts, estimator=estimator)
    )  # a challenger's own figures, for canary analysis
    return MonitoringWindow(
        deployment=name, start=span[0], end=span[1], status=status, n_rows=n_rows,
        n_labels=n_labels, computed_at=ctx.now, champion_version=ctx.deployment.config.champion,
        reference=ctx.reference.description, summary=summary,
        performance_at=ctx.now, drift=drift, performance=tuple(points),
    )  # fmt: skip


def _stability(
    ctx: _Context,
    predictions: PredictionLog,
    frame: Any,
    span: tuple[datetime, datetime],
) -> dict[str, Any]:
    """PSI and CSI of the window (an optional figure: a failure says so, never aborts)."""
    try:
        return stability.window_stability(
            ctx.reference, predictions, frame, deployment=ctx.deployment.name, span=span
        )
    except Exception as exc:
        log.warning("PSI/CSI failed on %s %s: %r", ctx.deployment.name, span[0], exc)
        return {"status": "error", "message": str(exc)}


def _store(
    uow: UnitOfWork, window: MonitoringWindow, new_alerts: list[Alert]
) -> tuple[MonitoringWindow | None, list[Alert]]:
    with uow:
        if uow.monitoring.find_window(window.deployment, window.start, window.end) is not None:
            return None, []  # computed meanwhile (another cron run): nothing changes
        window = replace(window, id=uow.monitoring.save_window(window))
        named = [_name_upstream(uow, alert) for alert in new_alerts]
        saved = [a for a in map(uow.monitoring.save_alert, named) if a is not None]
        uow.commit()
    return window, saved


def _name_upstream(uow: UnitOfWork, alert: Alert) -> Alert:
    """A drift or performance alert names the upstream changes in the week before it."""
    if alert.kind not in (AlertKind.DRIFT, AlertKind.PERFORMANCE):
        return alert
    changes = upstream_changes(uow, alert.model, until=alert.window_end)
    if not changes:
        return alert
    message = f"{alert.message} Upstream changes before it: {'; '.join(changes[:5])}."
    return replace(alert, message=message, details=alert.details | {"upstream_changes": changes})


def _deliver(uow: UnitOfWork, saved: list[Alert], notify: Notify | None) -> list[Alert]:
    for alert in saved:
        log.warning("monitoring alert [%s/%s] %s", alert.kind, alert.severity, alert.message)
    if not saved or notify is None:
        return saved
    payload = alert_rules.webhook_payload(saved)
    try:
        status, detail = notify(payload)
    except Exception as exc:  # never abort a run for a webhook
        status, detail = "failed", f"{type(exc).__name__}: {exc}"
    with uow:
        uow.monitoring.set_webhook_status([a.id for a in saved if a.id], status, detail)
        uow.commit()
    return [replace(a, webhook_status=status, webhook_detail=detail) for a in saved]


def run_monitoring(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    predictions: PredictionLog,
    *,
    deployment: str,
    guard: Guard,
    options: MonitorOptions | None = None,
    notify: Notify | None = None,
    on_window: Callable[[int, int], None] | None = None,
    figures: FigureOptions | None = None,
    system: Guard | None = None,
) -> RunResult:
    """Compute every complete window since the last run; refresh windows with new labels;
    then the obligations (`monitoring.obligations`): check in, per-window fairness, business
    and ranking figures, and the policy's responses to critical alerts (with `system`, the
    system guard; without it a response is recorded as not run).

    Raises:
        NotFound: no such deployment, or its champion version is gone.
        PermissionDenied: the actor may not monitor.
    """
    opts = options or MonitorOptions()
    now = guard.now()
    with uow:
        dep = uow.deployments.get_deployment(deployment)
        guard.require(uow, Action.MONITOR, subject=f"deployment {deployment}")
        last = uow.monitoring.last_window(deployment)
    span = predictions.time_range(deployment)
    spans = [] if span is None else windows.complete_windows(
        first=span[0], now=now, size=opts.window, after=last.end if last else None
    )  # fmt: skip
    baseline, task = _baseline(uow, dep)
    reference = _reference(uow, artifacts, predictions, dep, opts, guard.policies)
    with uow:
        policy = guard.policies.for_assessment(uow.governance.find_assessment(dep.model))
    early = early_warning.prepare(
        uow, predictions, deployment=dep, reference=reference,
        reference_window=opts.reference_window, baseline=baseline, task=task, policy=policy,
    ) if spans else None  # fmt: skip
    ctx = _Context(dep, reference, baseline, task, opts, now, early)
    result = RunResult(
        deployment, reference=ctx.reference.description, **_next_window(span, spans, last, opts)
    )
    for index, current in enumerate(spans):
        window = _compute_window(uow, predictions, ctx, current)
        new_alerts = alert_rules.alerts_for(window, dep, now=now)
        new_alerts += early_warning.alerts_for(window, dep, now=now)
        stored, saved = _store(uow, window, new_alerts)
        if stored is not None:
            result.computed.append(stored)
            result.alerts.extend(_deliver(uow, saved, notify))
        if on_window is not None:
            on_window(index + 1, len(spans))
    _refresh_performance(uow, predictions, ctx, result, notify)
    owed = obligations.after_run(
        uow, predictions, deployment=dep, windows=[*result.computed, *result.refreshed],
        raised=list(result.alerts), guard=guard, options=figures or FigureOptions(),
        notify=notify, system=system,
    )  # fmt: skip
    result.alerts.extend(owed.alerts)
    result.responses.extend(owed.responses)
    return result


def _next_window(
    logged: tuple[datetime, datetime] | None,
    spans: list[tuple[datetime, datetime]],
    last: MonitoringWindow | None,
    opts: MonitorOptions,
) -> dict[str, Any]:
    """The window size, the end of the newest window computed, and when the next closes
    (what `monitor run` tells when no new window closed yet)."""
    size = opts.window
    done = spans[-1][1] if spans else (last.end if last else None)
    first = None if logged is None else windows.floor_time(logged[0], size)
    known = [t for t in (done, first) if t is not None]
    start = spans[-1][1] if spans else max(known, default=None)
    return {
        "window_seconds": size.total_seconds(),
        "last_window_end": done,
        "next_window_end": None if start is None else start + size,
    }


def _refresh_performance(
    uow: UnitOfWork,
    predictions: PredictionLog,
    ctx: _Context,
    result: RunResult,
    notify: Notify | None,
) -> None:
    with uow:
        stale = uow.monitoring.windows_with_new_labels(ctx.deployment.name)
    for window in stale:
        frame = logged = predictions.read(window.deployment, window.start, window.end)
        frame = frame[frame["arm"] != "shadow"] if "arm" in frame else frame
        with uow:
            labels = uow.monitoring.list_labels(
                window.deployment, start=window.start, end=window.end
            )
        points, n_labels, _ = window_performance(
            frame, labels, baseline=ctx.baseline, task=ctx.task, options=ctx.options
        )
        summary = early_warning.refresh(window.summary, points)
        summary.update(versions.figures(
            logged, labels, task=ctx.task, options=ctx.options,
            earlier=window.summary.get(versions.KEY),
        ))  # fmt: skip
        fresh = replace(
            window, performance=tuple(points), n_labels=n_labels, performance_at=ctx.now,
            summary=summary,
        )  # fmt: skip
        new = [a for a in alert_rules.alerts_for(fresh, ctx.deployment, now=ctx.now)
               if a.kind == "performance"]  # fmt: skip
        with uow:
            assert window.id is not None
            uow.monitoring.replace_performance(window.id, points, n_labels=n_labels, at=ctx.now)
            if summary != window.summary:
                uow.monitoring.update_window_summary(window.id, summary)
            named = [_name_upstream(uow, alert) for alert in new]
            saved = [a for a in map(uow.monitoring.save_alert, named) if a is not None]
            uow.commit()
        result.refreshed.append(fresh)
        result.alerts.extend(_deliver(uow, saved, notify))


def list_alerts(
    uow: UnitOfWork,
    *,
    deployment: str | None = None,
    model: str | None = None,
    open_only: bool = False,
    limit: int = 1000,
) -> list[Alert]:
    """Alerts, newest first. Raises NotFound for an unknown deployment."""
    with uow:
        return uow.monitoring.list_alerts(
            deployment=deployment, model=model, open_only=open_only, limit=limit
        )


def open_alerts(uow: UnitOfWork, *, model: str | None = None) -> list[Alert]:
    """Unacknowledged alerts (of one model): what the inventory flags."""
    return list_alerts(uow, model=model, open_only=True)


def serving_open_alerts(uow: UnitOfWork, *, model: str | None = None) -> list[Alert]:
    """Open alerts raised by a version its deployment still serves (champion or challenger):
    what the inventory's health counts. Alerts of a version since replaced stay listed on
    their deployment but no longer make the model unhealthy."""
    with uow:
        serving = {
            (d.name, v)
            for d in uow.deployments.list_deployments()
            for v in (d.config.champion, d.config.challenger)
            if v is not None
        }
        found = uow.monitoring.list_alerts(model=model, open_only=True, limit=10_000)
    return [a for a in found if (a.deployment, a.version) in serving]


def acknowledge_alert(uow: UnitOfWork, *, alert_id: int, guard: Guard, comment: str) -> Alert:
    """Mark an alert as seen, with what was done about it (required); audited.

    Raises:
        InvalidInput: the comment is empty.
        NotFound: no such alert.
        PermissionDenied: the actor may not monitor.
    """
    actor, now = guard.actor, guard.now()
    comment = comment.strip()
    if not comment:
        raise InvalidInput(
            f"Say what was done about alert {alert_id} in a comment to acknowledge it."
        )
    with uow:
        guard.require(uow, Action.MONITOR, subject=f"alert {alert_id}")
        alert = uow.monitoring.acknowledge_alert(alert_id, by=actor, at=now)
        uow.audit.append(
            AuditEvent(
                "alert.acknowledged",
                "alert",
                str(alert_id),
                actor,
                now,
                after={"deployment": alert.deployment, "kind": alert.kind, "comment": comment},
                reason=comment,
            )
        )
        uow.commit()
    return alert


def list_windows(uow: UnitOfWork, *, deployment: str) -> list[MonitoringWindow]:
    """Every computed window with its drift and performance series, oldest first.

    Raises:
        NotFound: no such deployment.
    """
    with uow:
        uow.deployments.get_deployment(deployment)
        return uow.monitoring.list_windows(deployment)


def latest_labelled_window(uow: UnitOfWork, *, deployment: str) -> MonitoringWindow:
    """The newest window with labelled rows. Raises NotFound when there is none."""
    for window in reversed(list_windows(uow, deployment=deployment)):
        if window.n_labels > 0:
            return window
    raise NotFound(
        f"Deployment {deployment!r} has no labelled monitoring window yet; ingest labels with"
        f" 'modelward monitor labels {deployment} FILE --id-column ID' and run"
        " 'modelward monitor run'."
    )


def may_read_records(uow: UnitOfWork, *, guard: Guard, deployment: str) -> None:
    """Check, before any is read, that the actor may read the logged records (model inputs,
    which may hold personal data) of `deployment`: the monitor permission, as for labels.

    Raises:
        PermissionDenied: the actor may not monitor (a viewer sees figures, not records).
    """
    with uow:
        guard.require(uow, Action.MONITOR, subject=f"records of {deployment}")
