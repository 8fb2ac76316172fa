"""What a window says before its labels arrive: multivariate drift (`multivariate`) and the
label-free performance estimate (`estimated`), stored in the window's summary under
``multivariate`` and ``estimated``, and the alerts they raise.

- ``drift`` (warning), subject ``multivariate``: the domain classifier's ROC AUC reached the
  policy's ``drift_auc_threshold`` (default 0.55) and beat 0.5 significantly.
- ``performance`` (warning), subject ``estimated:<metric>``: an estimated metric fell past its
  validation baseline by more than the policy's ``estimated_performance_margin`` (default
  0.05; relative for errors). It is a warning: an estimate, not a measurement.

The service calls `prepare` once per run, `compute` per window, `alerts_for` with the
window's other alerts and `refresh` when late labels arrive (the realised values and the
estimation error join the stored estimate).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from modelward.domain.deployment import Deployment
from modelward.domain.monitoring import (
    Alert,
    AlertKind,
    MonitoringWindow,
    PerformancePoint,
    PredictionLog,
    Severity,
    WindowStatus,
)
from modelward.domain.policy import Policy
from modelward.domain.ports import UnitOfWork
from modelward.monitoring import estimated, multivariate
from modelward.monitoring.reference import MonitoringReference

logger = logging.getLogger("modelward.monitoring")


@dataclass(frozen=True)
class EarlyWarning:
    """What every window of one run shares: the reference, the fitted estimator, the bounds."""

    reference: MonitoringReference
    estimator: estimated.Estimator
    baseline: Mapping[str, float]
    auc_threshold: float
    margin: float


def prepare(
    uow: UnitOfWork,
    log: PredictionLog,
    *,
    deployment: Deployment,
    reference: MonitoringReference,
    reference_window: tuple[datetime, datetime] | None,
    baseline: Mapping[str, float],
    task: str | None,
    policy: Policy,
) -> EarlyWarning:
    """Fit the estimator on the labelled reference (once per monitoring run)."""
    labels = None
    if reference_window is not None:
        with uow:
            labels = uow.monitoring.list_labels(
                deployment.name, start=reference_window[0], end=reference_window[1]
            )
    rows, source = estimated.reference_rows(
        reference, log, labels, deployment=deployment.name, window=reference_window
    )
    try:
        estimator = estimated.fit(rows, source, list(reference.features), task)
    except Exception as exc:  # an optional figure never aborts a monitoring run
        logger.warning("label-free estimation unavailable for %s: %r", deployment.name, exc)
        estimator = estimated.Estimator("none", None, (), "", f"Estimation failed: {exc}")
    return EarlyWarning(
        reference, estimator, baseline, policy.drift_auc_threshold,
        policy.estimated_performance_margin,
    )  # fmt: skip


def compute(
    early: EarlyWarning,
    log: PredictionLog,
    frame: pd.DataFrame | None,
    *,
    deployment: str,
    span: tuple[datetime, datetime],
    points: Sequence[PerformancePoint],
) -> dict[str, Any]:
    """The window summary's ``multivariate`` and ``estimated`` entries (an entry that fails
    says so, ``status: error``; an optional figure never aborts a monitoring run)."""
    found: dict[str, Any] = {}
    try:
        inputs = multivariate.window_inputs(
            early.reference, log, frame, deployment=deployment, span=span
        )
        found["multivariate"] = multivariate.multivariate_drift(
            early.reference, inputs, threshold=early.auc_threshold
        )
    except Exception as exc:
        logger.warning("domain classifier failed on %s %s: %r", deployment, span[0], exc)
        found["multivariate"] = {"status": "error", "drifted": None, "message": str(exc)}
    try:
        found["estimated"] = _estimate(early, log, frame, deployment, span, points)
    except Exception as exc:
        logger.warning("estimation failed on %s %s: %r", deployment, span[0], exc)
        found["estimated"] = {"status": "error", "message": str(exc)}
    return found


def _estimate(
    early: EarlyWarning,
    log: PredictionLog,
    frame: pd.DataFrame | None,
    deployment: str,
    span: tuple[datetime, datetime],
    points: Sequence[PerformancePoint],
) -> dict[str, Any] | None:
    if (
        frame is None and early.estimator.model is not None
    ):  # too large to read whole: estimate on a uniform sample of the window
        frame = multivariate.sample_window(
            log, deployment=deployment, span=span, columns=_log_columns(early), rows=100_000
        )
    estimates = {} if frame is None else estimated.estimate(early.estimator, frame)
    summary = estimated.summarise(
        early.estimator, estimates, baseline=early.baseline, margin=early.margin
    )
    return estimated.with_realised(summary, points)


def _log_columns(early: EarlyWarning) -> list[str]:
    from modelward.monitoring.reference import INPUT_PREFIX

    inputs = [INPUT_PREFIX + f for f in early.estimator.features]
    return [*inputs, "request_id", "row", "prediction", "probabilities"]


def refresh(summary: Mapping[str, Any], points: Sequence[PerformancePoint]) -> dict[str, Any]:
    """The summary with realised values and estimation errors from late labels."""
    fresh = dict(summary)
    if summary.get("estimated"):
        fresh["estimated"] = estimated.with_realised(summary["estimated"], points)
    return fresh


def alerts_for(window: MonitoringWindow, deployment: Deployment, *, now: datetime) -> list[Alert]:
    """The multivariate-drift and estimated-performance alerts of a window."""
    if window.status is WindowStatus.INSUFFICIENT_DATA:
        return []
    found: list[Alert] = []

    def add(kind: AlertKind, subject: str, message: str, details: dict[str, Any]) -> None:
        found.append(
            Alert(
                deployment=deployment.name,
                model=deployment.model,
                version=window.champion_version,
                kind=kind,
                severity=Severity.WARNING,
                subject=subject,
                message=message,
                window_start=window.start,
                window_end=window.end,
                created_at=now,
                details=details,
            )  # fmt: skip
        )

    multi = window.summary.get("multivariate") or {}
    if multi.get("drifted"):
        top = ", ".join(multi.get("top_columns") or []) or "no single column"
        add(AlertKind.DRIFT, "multivariate",
            f"{deployment.name}: the inputs drifted as a whole (domain classifier ROC AUC"
            f" {multi['auc']:.3f} >= {multi['threshold']:g}); carried by {top}.",
            {"auc": multi["auc"], "threshold": multi["threshold"],
             "p_value": multi.get("p_value"), "top_columns": multi.get("top_columns")})  # fmt: skip
    estimate = window.summary.get("estimated") or {}
    for metric, entry in (estimate.get("metrics") or {}).items():
        if not entry.get("degraded"):
            continue
        add(AlertKind.PERFORMANCE, f"estimated:{metric}",
            f"{deployment.name}: estimated {metric} ({estimate['method'].upper()}, no labels)"
            f" is {entry['value']:.4g} [{entry['lower']:.4g}, {entry['upper']:.4g}],"
            f" {estimated.drop_is_worse(metric)} its bound {entry['bound']:.4g} (validation"
            f" baseline {entry['baseline']:.4g}).",
            {"estimate": entry["value"], "lower": entry["lower"], "upper": entry["upper"],
             "bound": entry["bound"], "baseline": entry["baseline"],
             "method": estimate["method"]})  # fmt: skip
    return found


Line = dict[str, list[Any]]


def series(windows: Sequence[MonitoringWindow]) -> dict[str, dict[str, Line]]:
    """Over-time lines for charts (the UI page and the HTML report), x = window start:
    ``multivariate`` (the AUC, its threshold, the significance bound) and ``estimated`` (per
    metric: the estimate, its interval and, once labels arrived, the realised value)."""
    multi: dict[str, Line] = {}
    estimate: dict[str, Line] = {}

    def put(lines: dict[str, Line], name: str, at: str, value: Any) -> None:
        line = lines.setdefault(name, {"x": [], "y": []})
        line["x"].append(at)
        line["y"].append(value)

    for window in windows:
        at = window.start.isoformat()
        found = window.summary.get("multivariate") or {}
        if found.get("auc") is not None:
            put(multi, "domain classifier ROC AUC", at, found["auc"])
            put(multi, "threshold", at, found.get("threshold"))
            put(multi, "significance bound", at, found.get("significance_bound"))
        for metric, entry in ((window.summary.get("estimated") or {}).get("metrics") or {}).items():
            put(estimate, f"estimated {metric}", at, entry.get("value"))
            put(estimate, f"{metric} lower", at, entry.get("lower"))
            put(estimate, f"{metric} upper", at, entry.get("upper"))
            put(estimate, f"realised {metric}", at, entry.get("realised"))
    return {"multivariate": multi, "estimated": estimate}
