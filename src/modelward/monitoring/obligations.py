"""What a monitoring run owes besides drift and performance (issue 14):

- a **check-in** per deployment, so the policy's `monitoring_cadence_days` can be enforced
  (`monitoring_status`; overdue in the inventory, `governance status` and the gate);
- per-window **figures** (fairness, business, ranking: `figures`), stored and alerted;
- the policy's **automatic responses** to critical alerts (`alert_responses`: notify,
  kill_switch, rollback), run through the deploy services with the system guard and audited;
- **webhook deliveries** retried with exponential backoff and kept with their target URL;
  failures are replayed by `replay_webhooks`, which re-sends stored deliveries to their stored
  targets only, so a replay through the server cannot be pointed anywhere by a client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import Deployment
from modelward.domain.monitoring import (
    Alert,
    AlertKind,
    MonitoringWindow,
    PredictionLog,
    Severity,
)
from modelward.domain.obligations import (
    WEBHOOK_SCHEMES,
    Channel,
    MonitoringDue,
    WebhookDelivery,
    WindowFigure,
    target_origin,
)
from modelward.domain.policy import Policy
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.monitoring import feeds, figures
from modelward.monitoring.alerts import webhook_payload

log = logging.getLogger("modelward.monitoring")
Notify = Callable[[dict[str, Any]], tuple[str, str]]
Sender = Callable[[str, dict[str, Any]], tuple[str, str]]  # (url, payload) -> (status, detail)
RETRIES = 3  # attempts per delivery
BACKOFF = 0.5  # seconds before the 2nd attempt; doubled each time
REPLAY_LIMIT = 100  # failed deliveries one replay re-sends, oldest first (call again for more)


@dataclass(frozen=True)
class ObligationsResult:
    """What the obligations part of a run did."""

    figured: list[int] = field(default_factory=list)  # window ids whose figures were made
    alerts: list[Alert] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)


# -- webhooks -------------------------------------------------------------------------------


def _attempt(notify: Notify, payload: dict[str, Any], *, retries: int, backoff: float,
             sleep: Callable[[float], None]) -> tuple[str, str, int]:  # fmt: skip
    status, detail, tries = "failed", "", 0
    for tries in range(1, retries + 1):
        try:
            status, detail = notify(payload)
        except Exception as exc:  # a webhook never aborts a run
            status, detail = "failed", f"{type(exc).__name__}: {exc}"
        if status == "delivered":
            break
        if tries < retries:
            sleep(backoff * 2 ** (tries - 1))
    return status, detail, tries


def kept_notifier(
    notify: Notify,
    open_uow: Callable[[], UnitOfWork],
    *,
    guard: Guard,
    target: str = "",
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> Notify:
    """`notify` retried with exponential backoff, each delivery kept with `target` (the URL
    `notify` posts to) for a replay."""

    def deliver(payload: dict[str, Any]) -> tuple[str, str]:
        status, detail, tries = _attempt(
            notify, payload, retries=retries, backoff=backoff, sleep=sleep
        )
        now = guard.now()
        uow = open_uow()
        with uow:
            guard.require(uow, Action.MONITOR, subject=f"webhook of {payload.get('deployment')}")
            uow.obligations.save_delivery(WebhookDelivery(
                str(payload.get("deployment", "")), payload, status, tries,
                "" if status == "delivered" else detail, now, now, target=target,
            ))  # fmt: skip
            uow.commit()
        return status, detail

    return deliver


def shown(delivery: WebhookDelivery) -> WebhookDelivery:
    """The delivery as services hand it out: its target reduced to the origin."""
    return replace(delivery, target=target_origin(delivery.target) if delivery.target else "")


def replay_webhooks(
    uow: UnitOfWork,
    send: Sender,
    *,
    guard: Guard,
    deployment: str | None = None,
    fallback: str | None = None,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
    limit: int = REPLAY_LIMIT,
) -> list[WebhookDelivery]:
    """Send failed deliveries again (oldest first, at most `limit`), each to the target it
    was first sent to and nowhere else; each outcome stored and audited. `fallback` is the
    URL for deliveries kept before targets were recorded (the local face passes the project's
    configured webhook; the server passes none, and those stay failed, not attempted).

    Raises:
        NotFound: an unknown deployment.
        PermissionDenied: the actor may not monitor.
    """
    with uow:
        guard.require(uow, Action.MONITOR, subject=f"webhooks of {deployment or 'all'}")
        failed = uow.obligations.list_deliveries(status="failed", deployment=deployment)
    # those with somewhere to go (deliveries without a target and no fallback, or with a
    # target that is not a web URL, are left as they are and do not use up the limit)
    sendable = [
        (item, target)
        for item in failed
        if urlsplit(target := item.target or fallback or "").scheme in WEBHOOK_SCHEMES
    ]
    done = []
    for item, target in sendable[:limit]:
        status, detail, tries = _attempt(
            partial(send, target), item.payload, retries=retries, backoff=backoff, sleep=sleep
        )
        now = guard.now()
        attempts, error = item.attempts + tries, "" if status == "delivered" else detail
        with uow:
            assert item.id is not None
            uow.obligations.update_delivery(
                item.id, status=status, attempts=attempts, last_error=error, at=now, target=target
            )
            uow.audit.append(AuditEvent(
                "monitoring.webhook_replayed", "deployment", item.deployment, guard.actor, now,
                after={"delivery": item.id, "status": status, "attempts": attempts,
                       "target": target_origin(target)},
            ))  # fmt: skip
            uow.commit()
        done.append(shown(replace(item, status=status, attempts=attempts, last_error=error,
                                  last_attempt_at=now, target=target)))  # fmt: skip
    return done


def list_webhooks(
    uow: UnitOfWork, *, status: str | None = None, deployment: str | None = None
) -> list[WebhookDelivery]:
    """Kept webhook deliveries, oldest first (targets shown as their origin only)."""
    with uow:
        return [
            shown(d) for d in uow.obligations.list_deliveries(status=status, deployment=deployment)
        ]


# -- per-window figures ------------------------------------------------------------------


MAX_FIGURE_ROWS = 1_000_000  # larger windows get no figures (they would be read whole)


def _window_frames(
    uow: UnitOfWork, predictions: PredictionLog, window: MonitoringWindow
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(labelled records, those with their context, records with their outcomes) of
    `window`; the log is not read when no label or outcome arrived for the window."""
    name, span = window.deployment, (window.start, window.end)
    with uow:
        labels = uow.monitoring.list_labels(name, start=span[0], end=span[1])
        context = uow.obligations.list_annotations(name, Channel.CONTEXT.value, start=span[0],
                                                   end=span[1])  # fmt: skip
        outcomes = uow.obligations.list_annotations(name, Channel.OUTCOME.value, start=span[0],
                                                    end=span[1])  # fmt: skip
    empty = pd.DataFrame()
    if (not labels and not outcomes) or window.n_rows > MAX_FIGURE_ROWS:
        return empty, empty, empty
    frame = predictions.read(name, *span)
    frame = frame[frame["arm"] != "shadow"] if "arm" in frame else frame
    truth = pd.DataFrame({"request_id": [lb.request_id for lb in labels],
                          "row": [lb.row for lb in labels],
                          "label": [lb.label for lb in labels]})  # fmt: skip
    keys = frame.assign(row=frame["row"].astype("int64")) if len(frame) else frame
    labelled = keys.merge(truth, on=["request_id", "row"], how="inner") if labels else empty
    with_context = feeds.joined(labelled, context, prefix=figures.CONTEXT) if len(labelled) \
        else empty  # fmt: skip
    with_outcomes = feeds.joined(frame, outcomes, prefix=figures.OUTCOME) if len(frame) else empty
    if len(labelled) and len(with_outcomes):  # labels may serve business metrics too
        with_outcomes = with_outcomes.merge(truth, on=["request_id", "row"], how="left")
    return labelled, with_context, with_outcomes


def window_figures(
    uow: UnitOfWork, predictions: PredictionLog, window: MonitoringWindow, *,
    policy: Policy, options: figures.FigureOptions, now: datetime,
) -> list[WindowFigure]:  # fmt: skip
    """Fairness, business, ranking and stability (PSI/CSI) figures of one stored window."""
    labelled, with_context, with_outcomes = _window_frames(uow, predictions, window)
    found = figures.fairness_figures(
        with_context, policy=policy, sensitive=options.sensitive, min_rows=options.min_rows
    )
    found += figures.business_figures(with_outcomes, options.business)
    if len(labelled) >= options.min_rows:
        found += figures.ranking_figures(labelled, options.ranking_k)
    found += figures.stability_figures(window.summary.get("stability") or {})
    return [replace(f, computed_at=now) for f in found]


def figure_alerts(
    window: MonitoringWindow, deployment: Deployment, found: Iterable[WindowFigure], now: datetime
) -> list[Alert]:
    """A fairness breach is critical; a business breach has its metric's severity."""
    alerts = []
    for fig in found:
        if not fig.breached or fig.family == figures.STABILITY:
            continue  # a PSI/CSI shift is the drift alert's business (same columns, own test)
        fair = fig.family == "fairness"
        severity = Severity.CRITICAL if fair or fig.details.get("severity") == "critical" \
            else Severity.WARNING  # fmt: skip
        value = "n/a" if fig.value is None else f"{fig.value:.4g}"
        alerts.append(Alert(
            deployment.name, deployment.model, window.champion_version,
            AlertKind.FAIRNESS if fair else AlertKind.BUSINESS, severity, fig.name,
            f"{deployment.name}: {fig.name} is {value} on {fig.n_rows} records, past its limit"
            f" {fig.threshold}.", window.start, window.end, now,
            {"value": fig.value, "bound": fig.threshold, "n_rows": fig.n_rows},
        ))  # fmt: skip
    return alerts


# -- after a run ---------------------------------------------------------------------------


def after_run(
    uow: UnitOfWork,
    predictions: PredictionLog,
    *,
    deployment: Deployment,
    windows: list[MonitoringWindow],
    raised: list[Alert],
    guard: Guard,
    options: figures.FigureOptions,
    notify: Notify | None = None,
    system: Guard | None = None,
) -> ObligationsResult:
    """Check in, make the figures of new, relabelled or newly annotated windows, alert, and
    run the policy's responses to this run's critical alerts (`raised` and the figures')."""
    from modelward.monitoring import responses

    now, name = guard.now(), deployment.name
    with uow:
        uow.obligations.check_in(name, at=now, by=guard.actor, windows=len(windows))
        policy = responses.policy_of(uow, guard.policies, deployment.model)
        stale = set(uow.obligations.windows_with_new_annotations(name))
        every = {w.id: w for w in uow.monitoring.list_windows(name, with_series=False)}
        uow.commit()
    ids = sorted({w.id for w in windows if w.id is not None} | stale)
    result = ObligationsResult()
    for window_id in ids:
        window = every.get(window_id)
        if window is None or window.id is None:
            continue
        found = window_figures(uow, predictions, window, policy=policy, options=options, now=now)
        new = figure_alerts(window, deployment, found, now)
        with uow:
            uow.obligations.replace_figures(window.id, found)
            saved = [a for a in map(uow.monitoring.save_alert, new) if a is not None]
            uow.commit()
        if saved and notify is not None:
            status, detail = notify(webhook_payload(saved))
            with uow:
                uow.monitoring.set_webhook_status([a.id for a in saved if a.id], status, detail)
                uow.commit()
        result.figured.append(window.id)
        result.alerts.extend(saved)
    critical = [*raised, *result.alerts]
    if system is None:
        result.responses.extend(responses.not_run(critical, policy=policy))
    else:
        result.responses.extend(responses.respond(
            uow, deployment, critical, policy=policy, guard=system, notify=notify,
            fallback=options.fallback,
        ))  # fmt: skip
    return result


def monitoring_overdue(
    uow: UnitOfWork, *, guard: Guard, model: str | None = None
) -> list[MonitoringDue]:
    """Production deployments (of `model`) and whether monitoring keeps the policy's cadence."""
    from modelward.monitoring import responses

    return responses.monitoring_status(uow, policies=guard.policies, now=guard.now(), model=model)


def list_figures(uow: UnitOfWork, *, deployment: str) -> dict[int, list[WindowFigure]]:
    """Window id -> its fairness, business, ranking and stability (PSI/CSI) figures."""
    with uow:
        uow.deployments.get_deployment(deployment)
        return uow.obligations.list_figures(deployment)


def figure_rows(
    spans: Mapping[int | None, MonitoringWindow], found: Mapping[int, list[WindowFigure]]
) -> list[dict[str, Any]]:
    """One row per window figure, with the window's span (both backends)."""
    rows = []
    for window_id, figs in found.items():
        window = spans.get(window_id)
        for fig in figs:
            rows.append({"window_start": window.start if window else None,
                         "window_end": window.end if window else None,
                         "family": fig.family, "name": fig.name, "value": fig.value,
                         "threshold": fig.threshold, "breached": fig.breached,
                         "n_rows": fig.n_rows})  # fmt: skip
    return rows
