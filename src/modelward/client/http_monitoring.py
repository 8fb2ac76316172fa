"""`client.monitoring` over the platform server: monitoring jobs run on the server, over the
prediction log its scoring services write; the options come from the caller's project
(modelward.yaml) as they do locally. Same methods and results as `client/monitoring.py` (the
`MonitoringAPI` Protocol of `client/contract.py`).

Alert webhooks are sent by monitoring jobs that run next to their configuration: a remote run
records its alerts (shown in the UI, `alerts()`) and sends no webhook.
"""

from __future__ import annotations

import builtins
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelward import errors
from modelward.client.http import HttpBackend, _parquet, segment
from modelward.client.monitoring import (
    monitoring_section,
    options_from,
    review_comment,
    status_of,
)
from modelward.domain.monitoring import Alert, MonitoringWindow
from modelward.domain.obligations import MonitoringDue, WebhookDelivery
from modelward.monitoring.comparison import Evidence
from modelward.monitoring.feeds import DEFAULT_CONTEXT_RETENTION_DAYS, FeedIngestResult
from modelward.monitoring.labels import LabelIngestResult, read_label_frame
from modelward.monitoring.service import RunResult
from modelward.monitoring.windows_compute import MonitorOptions
from modelward.project import Project, load_project
from modelward.schemas import domain as wire

if TYPE_CHECKING:
    import pandas as pd

    from modelward.client.http_governance import HttpGovernanceClient


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class HttpMonitoringClient:
    """Monitoring of deployments over the server."""

    def __init__(
        self,
        backend: HttpBackend,
        governance: HttpGovernanceClient,
        *,
        project: Project | None = None,
    ) -> None:
        self._b = backend
        self._governance = governance
        self._project = project

    @property
    def project(self) -> Project:
        """The caller's project file (modelward.yaml): its monitoring section sets the options."""
        if self._project is None:
            self._project = load_project()
        return self._project

    def options(self, **overrides: Any) -> MonitorOptions:
        """The options of a run: modelward.yaml's monitoring section, then `overrides`."""
        return options_from(monitoring_section(self.project), **overrides)

    def _path(self, deployment: str, tail: str) -> str:
        return f"/monitoring/deployments/{segment(deployment)}/{tail}"

    def ingest_labels(
        self,
        deployment: str,
        data: Any,
        *,
        id_column: str = "request_id",
        label_column: str = "label",
        row_column: str | None = None,
    ) -> LabelIngestResult:
        """Store ground-truth labels (CSV/Parquet path or DataFrame), uploaded as Parquet."""
        form = {"id_column": id_column, "label_column": label_column}
        if row_column:
            form["row_column"] = row_column
        content = _parquet(read_label_frame(data))
        files = {"file": ("labels.parquet", content, "application/octet-stream")}
        found = self._b.json("POST", self._path(deployment, "labels"), data=form, files=files)
        return wire.load(LabelIngestResult, found)

    def run(
        self,
        deployment: str,
        *,
        window: str | timedelta | None = None,
        webhook: str | None = None,
        reference_window: tuple[datetime, datetime] | None = None,
        on_window: Callable[[int, int], None] | None = None,
        **overrides: Any,
    ) -> RunResult:
        """Compute every complete window since the last run, on the server; `on_window` is
        called once per computed window when the answer arrives."""
        if webhook:
            raise errors.InvalidInput(
                "A remote monitoring run sends no webhook; run 'modelward monitor run' where the"
                " webhook is configured (unset MODELWARD_SERVER_URL).",
                field="webhook",
            )
        opts = self.options(window=window, reference_window=reference_window, **overrides)
        if opts.engine != "pandas":  # the server never dials a scheduler a client names
            raise errors.InvalidInput(
                "A remote monitoring run uses the server's engine; run 'modelward monitor run"
                " --engine dask' where the cluster is reachable (unset MODELWARD_SERVER_URL).",
                field="engine",
            )
        body = {
            "window_seconds": opts.window.total_seconds(),
            "margin": opts.margin,
            "min_labels": opts.min_labels,
            "min_metrics": dict(opts.min_metrics),
            "thresholds": {k: dict(v) for k, v in opts.thresholds.items()},
            "reference_start": _when(opts.reference_window[0] if opts.reference_window else None),
            "reference_end": _when(opts.reference_window[1] if opts.reference_window else None),
        }
        found = wire.load(
            RunResult, self._b.json("POST", self._path(deployment, "runs"), json=body)
        )
        if on_window is not None:
            total = len(found.computed) + len(found.refreshed)
            for done in range(1, total + 1):
                on_window(done, total)
        return found

    def _feed(
        self, kind: str, deployment: str, data: Any, id_column: str, row_column: str | None,
        columns: builtins.list[str] | None,
    ) -> FeedIngestResult:  # fmt: skip
        frame = read_label_frame(data)
        keep = [id_column, *([row_column] if row_column else []), *(columns or [])]
        frame = frame[keep] if columns else frame
        form = {"id_column": id_column, **({"row_column": row_column} if row_column else {})}
        files = {"file": (f"{kind}.parquet", _parquet(frame), "application/octet-stream")}
        found = self._b.json("POST", self._path(deployment, kind), data=form, files=files)
        return wire.load(FeedIngestResult, found)

    def ingest_context(
        self, deployment: str, data: Any, *, id_column: str = "request_id",
        row_column: str | None = None, columns: builtins.list[str] | None = None,
    ) -> FeedIngestResult:  # fmt: skip
        """Store records' protected context, uploaded as Parquet."""
        return self._feed("context", deployment, data, id_column, row_column, columns)

    def ingest_outcomes(
        self, deployment: str, data: Any, *, id_column: str = "request_id",
        row_column: str | None = None, columns: builtins.list[str] | None = None,
    ) -> FeedIngestResult:  # fmt: skip
        """Store records' business outcomes, uploaded as Parquet."""
        return self._feed("outcomes", deployment, data, id_column, row_column, columns)

    def purge_context(self, deployment: str, *, retention_days: int | None = None) -> int:
        """Delete protected context older than the retention (the project's, by default)."""
        section = monitoring_section(self.project)
        days = retention_days if retention_days is not None else int(
            section.get("context_retention_days", DEFAULT_CONTEXT_RETENTION_DAYS)
        )  # fmt: skip
        body = {"retention_days": days}
        found = self._b.json("POST", self._path(deployment, "context/purge"), json=body)
        return int(found["purged"])

    def figures(self, deployment: str) -> builtins.list[dict[str, Any]]:
        """Per-window fairness, business and ranking figures, oldest window first."""
        rows: builtins.list[dict[str, Any]] = self._b.json("GET", self._path(deployment, "figures"))
        for row in rows:  # the same types as the local backend's: spans are datetimes
            for key in ("window_start", "window_end"):
                if isinstance(row.get(key), str):
                    row[key] = datetime.fromisoformat(row[key])
        return rows

    def webhooks(self, *, failed_only: bool = False) -> builtins.list[WebhookDelivery]:
        """Kept webhook deliveries."""
        found = self._b.json("GET", "/monitoring/webhooks", params={"failed_only": failed_only})
        return wire.load(builtins.list[WebhookDelivery], found)

    def replay_webhooks(self, *, deployment: str | None = None) -> builtins.list[WebhookDelivery]:
        """The server sends failed deliveries again, each to the URL it was first sent to
        (a client names no URL: the server posts only to targets it stored)."""
        found = self._b.json("POST", "/monitoring/webhooks/replay", json={"deployment": deployment})
        return wire.load(builtins.list[WebhookDelivery], found)

    def obligations(self, model: str | None = None) -> builtins.list[MonitoringDue]:
        """Production deployments and whether monitoring keeps the policy's cadence."""
        params = {"model": model} if model else {}
        found = self._b.json("GET", "/monitoring/obligations", params=params)
        return wire.load(builtins.list[MonitoringDue], found)

    def run_all(self, **kwargs: Any) -> builtins.list[RunResult]:
        """`run` for every deployment."""
        names = [str(d["name"]) for d in self._b.json("GET", "/deployments")]
        return [self.run(name, **kwargs) for name in names]

    def alerts(
        self, *, deployment: str | None = None, model: str | None = None, open_only: bool = False
    ) -> builtins.list[Alert]:
        """Alerts (of one deployment or model), newest first."""
        params: dict[str, Any] = {"open_only": open_only}
        params |= {k: v for k, v in {"deployment": deployment, "model": model}.items() if v}
        found = self._b.json("GET", "/monitoring/alert-records", params=params)
        return wire.load(builtins.list[Alert], found)

    def open_alerts(self, model: str | None = None) -> builtins.list[Alert]:
        """Unacknowledged alerts (of one model), newest first."""
        return self.alerts(model=model, open_only=True)

    def acknowledge(self, alert_id: int, *, comment: str) -> Alert:
        """Mark an alert as seen, saying what was done about it (audited)."""
        path = f"/monitoring/alerts/{segment(alert_id)}/acknowledge"
        return wire.load(Alert, self._b.json("POST", path, json={"comment": comment}))

    def windows(self, deployment: str) -> builtins.list[MonitoringWindow]:
        """Computed monitoring windows, oldest first."""
        found = self._b.json("GET", self._path(deployment, "window-records"))
        return wire.load(builtins.list[MonitoringWindow], found)

    def latest_labelled_window(self, deployment: str) -> MonitoringWindow:
        """The newest window with labels (NotFound when none)."""
        found = self._b.json("GET", self._path(deployment, "labelled-window"))
        return wire.load(MonitoringWindow, found)

    def labelled_rows(
        self,
        deployment: str,
        *,
        features: Sequence[str],
        target: str,
        start: datetime | None = None,
        end: datetime | None = None,
        context: Sequence[str] = (),
    ) -> pd.DataFrame:
        """Logged inputs joined with their labels, oldest first, with ``ts`` (downloaded)."""
        import pandas as pd

        params: dict[str, Any] = {"target": target, "features": list(features)}
        if context:
            params["context"] = list(context)
        params |= {k: v.isoformat() for k, v in {"start": start, "end": end}.items() if v}
        with tempfile.TemporaryDirectory(prefix="mw-labelled-") as scratch:
            path = Path(scratch) / "rows.parquet"
            self._b.download("GET", self._path(deployment, "labelled-rows"), path, params=params)
            return pd.read_parquet(path)

    def status(self, deployment: str) -> dict[str, Any]:
        """Last window, open alerts, labelled windows: what `monitor status` prints."""
        open_alerts = self.alerts(deployment=deployment, open_only=True)
        return status_of(deployment, self.windows(deployment), open_alerts)

    def report(self, deployment: str, output: str | Path | None = None) -> str:
        """The self-contained HTML report; written to `output` when given."""
        html = self._b.call("GET", self._path(deployment, "report.html")).text
        if output is not None:
            Path(output).write_text(html, encoding="utf-8")
        return html

    def compare(
        self,
        deployment: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        request_review: bool = False,
    ) -> Evidence:
        """Champion vs challenger on labelled live traffic (stored and audited on the server);
        with `request_review`, a review of the challenger names the evidence."""
        body = {"start": _when(start), "end": _when(end)}
        found = self._b.json("POST", self._path(deployment, "comparisons"), json=body)
        evidence = wire.load(Evidence, found)
        if request_review:
            self._governance.request_review(
                evidence.model, evidence.challenger, comment=review_comment(evidence)
            )
        return evidence
