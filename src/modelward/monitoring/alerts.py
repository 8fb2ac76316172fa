"""Which alerts a monitoring window raises, and the webhook payload (pure rules).

- ``drift`` (warning): an input feature drifted (its effect size reached the threshold and
  the guard test was significant, see `modelward.stats.drift`), or the model's outputs did.
- ``data`` (warning): a feature is missing from the log, or changed kind.
- ``performance`` (critical): a metric crossed its bound (see `monitoring.performance`).

A window with ``insufficient_data`` raises nothing: too little data is never an alarm.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelward.domain.deployment import Deployment
from modelward.domain.monitoring import (
    Alert,
    AlertKind,
    DriftPoint,
    MonitoringWindow,
    PerformancePoint,
    Severity,
    WindowStatus,
)

DATA_STATUSES = frozenset({"missing_in_current", "kind_changed"})


def _drift_message(deployment: str, point: DriftPoint) -> str:
    what = "model outputs" if point.target == "prediction" else f"feature {point.column!r}"
    effect = "n/a" if point.effect_size is None else f"{point.effect_size:.3g}"
    return (
        f"{deployment}: {what} drifted ({point.method} effect size {effect} >="
        f" threshold {point.threshold}). {point.message}"
    ).strip()


def _performance_message(deployment: str, point: PerformancePoint) -> str:
    value = "n/a" if point.value is None else f"{point.value:.4g}"
    base = "none" if point.baseline is None else f"{point.baseline:.4g}"
    return (
        f"{deployment}: {point.metric} is {value} on {point.n_labels} labelled rows, past its"
        f" bound {point.threshold:.4g} (validation baseline {base})."
    )


def alerts_for(window: MonitoringWindow, deployment: Deployment, *, now: datetime) -> list[Alert]:
    """The alerts `window` raises (none for insufficient data)."""
    found: list[Alert] = []

    def add(
        kind: AlertKind, severity: Severity, subject: str, message: str, **details: Any
    ) -> None:
        found.append(
            Alert(
                deployment=deployment.name,
                model=deployment.model,
                version=window.champion_version,
                kind=kind,
                severity=severity,
                subject=subject,
                message=message,
                window_start=window.start,
                window_end=window.end,
                created_at=now,
                details=details,
            )  # fmt: skip
        )

    if window.status is not WindowStatus.INSUFFICIENT_DATA:
        for point in window.drift:
            subject = point.column if point.target == "input" else f"prediction:{point.column}"
            if point.status in DATA_STATUSES:
                add(AlertKind.DATA, Severity.WARNING, subject,
                    f"{deployment.name}: {point.message}", status=point.status)  # fmt: skip
            elif point.drifted:
                add(AlertKind.DRIFT, Severity.WARNING, subject,
                    _drift_message(deployment.name, point), method=point.method,
                    effect_size=point.effect_size, threshold=point.threshold,
                    p_value=point.p_value, target=point.target)  # fmt: skip
    for perf in window.performance:
        if perf.degraded and perf.threshold is not None:
            add(AlertKind.PERFORMANCE, Severity.CRITICAL, perf.metric,
                _performance_message(deployment.name, perf), value=perf.value,
                baseline=perf.baseline, bound=perf.threshold, n_labels=perf.n_labels)  # fmt: skip
    return found


def webhook_payload(alerts: list[Alert]) -> dict[str, Any]:
    """One POST per monitoring window with new alerts (see docs/monitoring.md)."""
    first = alerts[0]
    return {
        "event": "modelward.monitoring.alerts",
        "deployment": first.deployment,
        "model": first.model,
        "version": first.version,
        "window_start": first.window_start.isoformat(),
        "window_end": first.window_end.isoformat(),
        "alerts": [a.payload() for a in alerts],
    }
