"""Monitoring obligations: records' protected context and outcomes, per-window figures,
the policy's monitoring cadence, automatic responses to critical alerts, webhook deliveries.

Pure records and rules; computing is in `modelward.monitoring`, storing in the store.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from modelward.errors import InvalidInput


class Channel(enum.StrEnum):
    """The feeds joined to logged records by request id and row, apart from model inputs."""

    CONTEXT = "context"  # sensitive attributes: never given to the model; own retention
    OUTCOME = "outcome"  # business outcomes: clicked, converted, value ...


@dataclass(frozen=True)
class Annotation:
    """What one feed says about one logged record."""

    request_id: str
    row: int
    values: dict[str, Any]
    predicted_at: datetime
    received_at: datetime


@dataclass(frozen=True)
class WindowFigure:
    """One fairness, business or ranking figure of a monitoring window."""

    family: str  # "fairness", "business", "ranking"
    name: str
    value: float | None
    threshold: float | None = None
    breached: bool | None = None  # None: not judged
    n_rows: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    computed_at: datetime | None = None


class Response(enum.StrEnum):
    """What the platform does by itself when a critical alert of a kind is raised."""

    NOTIFY = "notify"  # deliver the alert to the webhook (retried, kept for replay)
    KILL_SWITCH = "kill_switch"  # the deployment answers its fallback (or 503)
    ROLLBACK = "rollback"  # the previous champion serves again


def parse_response(value: object, *, field: str = "alert_responses") -> Response:
    """Read a response name. Raises InvalidInput naming the known ones."""
    if isinstance(value, str) and value in set(Response):
        return Response(value)
    known = ", ".join(r.value for r in Response)
    raise InvalidInput(f"Unknown alert response {value!r}; expected one of {known}.", field=field)


SYSTEM_ACTOR = "system:monitoring"  # who acts when a policy's response runs


@dataclass(frozen=True)
class MonitoringDue:
    """Whether a deployment's monitoring keeps the policy's cadence."""

    deployment: str
    cadence_days: int | None  # None: the policy requires no monitoring
    last_run_at: datetime | None
    due_at: datetime | None
    overdue: bool

    @property
    def message(self) -> str:
        if self.cadence_days is None:
            return f"{self.deployment}: monitoring not required"
        last = self.last_run_at.isoformat() if self.last_run_at else "never"
        state = "OVERDUE" if self.overdue else "on time"
        due = self.due_at.isoformat() if self.due_at else "-"
        return (
            f"{self.deployment}: monitoring every {self.cadence_days} day(s) {state}"
            f" (last run {last}, due {due})"
        )


def monitoring_due(
    deployment: str,
    *,
    cadence_days: int | None,
    last_run_at: datetime | None,
    deployed_at: datetime,
    now: datetime,
) -> MonitoringDue:
    """Due `cadence_days` after the last run (or after deployment when it never ran)."""
    if cadence_days is None:
        return MonitoringDue(deployment, None, last_run_at, None, False)
    since = last_run_at if last_run_at is not None else deployed_at
    due = since + timedelta(days=cadence_days)
    return MonitoringDue(deployment, cadence_days, last_run_at, due, now > due)


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook POST, kept: delivered, or failed after its retries (replayable).

    `target` is where it was sent. The store keeps the whole URL (a replay re-sends to it and
    nowhere else); what services hand out is only its origin (`target_origin`), since a
    webhook URL often carries its secret in the path or the query. Empty: a delivery kept
    before targets were recorded.
    """

    deployment: str
    payload: dict[str, Any]
    status: str  # "delivered" or "failed"
    attempts: int
    last_error: str
    created_at: datetime
    last_attempt_at: datetime
    id: int | None = None
    target: str = ""


WEBHOOK_SCHEMES = ("http", "https")


def target_origin(url: str) -> str:
    """The scheme, host and port of a webhook URL: what may be shown of it (no path, query,
    user or password, where secrets live)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}"


def check_webhook_url(url: str) -> str:
    """`url` if it is an http(s) URL with a host.

    Raises:
        InvalidInput: anything else (the message shows only the URL's scheme).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in WEBHOOK_SCHEMES or not parts.hostname:
        raise InvalidInput(
            f"A webhook must be an http:// or https:// URL with a host, got a"
            f" {parts.scheme or 'scheme-less'} URL.",
            field="webhook",
        )
    return url.strip()
