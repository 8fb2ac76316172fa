"""Monitoring entities: ground-truth labels, monitoring windows and their time series, alerts.

Plain records and the few rules that need no I/O (alert severities, the duplicate-label rule).
Computing drift and performance belongs to `modelward.monitoring`; storing them to the store.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class WindowStatus(enum.StrEnum):
    """What a monitoring window could say."""

    OK = "ok"
    INSUFFICIENT_DATA = "insufficient_data"  # too few rows to judge: never an alarm


class AlertKind(enum.StrEnum):
    DRIFT = "drift"  # an input feature or the model's outputs moved
    PERFORMANCE = "performance"  # a metric on labelled rows fell below its baseline
    DATA = "data"  # a column is missing from the log or changed kind
    GUARDRAIL = "guardrail"  # a minute's share of answers breaking a guardrail passed its rate
    FAIRNESS = "fairness"  # a fairness figure of a window crossed the policy's limit
    BUSINESS = "business"  # a declared business metric of a window crossed its bound


class Severity(enum.StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Label:
    """The ground truth of one logged record (request id and row within the request).

    Duplicate rule: the newest label received for a record wins; `times_received` counts the
    ingestions that brought one, so repeats stay visible.
    """

    request_id: str
    row: int
    label: Any
    predicted_at: datetime
    received_at: datetime
    times_received: int = 1


@dataclass(frozen=True)
class DriftPoint:
    """One column's drift in one window (`target` is ``input`` or ``prediction``)."""

    column: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    effect_size: float | None
    threshold: float | None
    drifted: bool | None
    status: str
    message: str = ""
    target: str = "input"


@dataclass(frozen=True)
class PerformancePoint:
    """One metric on the labelled rows of one window, against its baseline."""

    metric: str
    value: float | None
    baseline: float | None
    threshold: float | None  # the bound the value was held to (baseline minus the margin)
    degraded: bool | None  # None: not judged (no baseline, too few labels)
    n_labels: int


@dataclass(frozen=True)
class MonitoringWindow:
    """One monitored span ``[start, end)`` of a deployment's prediction log."""

    deployment: str
    start: datetime
    end: datetime
    status: WindowStatus
    n_rows: int
    n_labels: int
    computed_at: datetime
    champion_version: int | None = None
    reference: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    performance_at: datetime | None = None
    drift: tuple[DriftPoint, ...] = ()
    performance: tuple[PerformancePoint, ...] = ()
    id: int | None = None


@dataclass(frozen=True)
class Alert:
    """Something people should look at; unique per deployment, window, kind and subject."""

    deployment: str
    model: str
    version: int | None
    kind: AlertKind
    severity: Severity
    subject: str
    message: str
    window_start: datetime
    window_end: datetime
    created_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    webhook_status: str = "not_configured"  # not_configured, delivered, failed
    webhook_detail: str = ""
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    def payload(self) -> dict[str, Any]:
        """The JSON the webhook receives for this alert."""
        return {
            "id": self.id,
            "deployment": self.deployment,
            "model": self.model,
            "version": self.version,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "subject": self.subject,
            "message": self.message,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "created_at": self.created_at.isoformat(),
            "details": self.details,
        }


class PredictionLog(Protocol):
    """Read access to the prediction log (adapter: `modelward.store.prediction_log`).

    Frames are pandas DataFrames with the log's columns (``request_id, row, ts, arm, version,
    prediction, probabilities, in_<column>``); typed `Any` because the domain imports no pandas.
    """

    def time_range(self, deployment: str) -> tuple[datetime, datetime] | None:
        """Earliest and latest ``ts`` logged, or None when nothing is logged."""
        ...

    def count(self, deployment: str, start: datetime, end: datetime) -> int: ...

    def read(self, deployment: str, start: datetime, end: datetime) -> Any:
        """Records with ``start <= ts < end`` (only that window is read)."""
        ...

    def iter_batches(
        self, deployment: str, start: datetime, end: datetime, *, columns: list[str], rows: int
    ) -> Iterator[Any]:
        """The window as Arrow record batches of about `rows` rows (larger than memory)."""
        ...

    def lookup(self, deployment: str, keys: Any) -> Any:
        """For a frame of ``request_id, row``: the logged ``request_id, row, ts`` among them."""
        ...
