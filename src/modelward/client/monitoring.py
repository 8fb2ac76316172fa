"""MonitoringClient: labels, monitoring runs, alerts, reports, live comparisons, retraining.

Settings of the ``monitoring:`` section of ``modelward.yaml`` (every key optional)::

    monitoring:
      window: 1d                      # window size: 30m, 12h, 1d, 1w ...
      margin: 0.05                    # performance margin below the validation baseline
      min_labels: 30                  # labelled rows a window needs for performance figures
      min_metrics: {roc_auc: 0.7}     # floors, besides the baseline
      thresholds: {income: {method: psi, threshold: 0.2}}   # drift overrides per column
      webhook: https://hooks.example.com/modelward          # JSON POST of new alerts
      webhook_timeout: 5              # seconds
      webhook_retries: 3              # attempts per delivery (exponential backoff); failures
                                      # are kept: 'modelward monitor webhooks --replay'
      business:                       # per-window metrics over records joined with outcomes
        conversion: {column: converted, agg: mean, min: 0.05}
        revenue: {column: value, agg: sum, where: "converted == 1"}
      ranking_k: [1, 3]               # precision/recall/NDCG@k (more than two classes)
      context_retention_days: 365     # protected context kept this long ('purge-context')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelward.client.local import LocalBackend
from modelward.domain.monitoring import Alert, MonitoringWindow
from modelward.domain.obligations import MonitoringDue, WebhookDelivery, check_webhook_url
from modelward.errors import InvalidInput
from modelward.monitoring import comparison, feeds, obligations, service
from modelward.monitoring.distributed import check_engine
from modelward.monitoring.figures import FigureOptions, parse_business
from modelward.monitoring.labels import LabelIngestResult
from modelward.monitoring.windows import parse_window
from modelward.monitoring.windows_compute import MonitorOptions
from modelward.project import Project, load_project
from modelward.store.prediction_log import ParquetPredictionLog
from modelward.store.webhooks import http_sender

if TYPE_CHECKING:
    import pandas as pd

MONITORING_KEYS = frozenset(
    {"window", "margin", "min_labels", "min_metrics", "thresholds", "webhook", "webhook_timeout",
     "webhook_retries", "business", "ranking_k", "context_retention_days"}
    | {"engine", "scheduler"}  # Dask for big windows (modelward.monitoring.distributed)
)  # fmt: skip


def figure_options(project: Project) -> FigureOptions:
    """Per-window figures from the project file: business metrics, the sensitive attributes
    judged for fairness (``sensitive:``), ranking cut-offs, the deployment's fallback."""
    section = monitoring_section(project)
    ks = section.get("ranking_k") or [1, 3]
    return FigureOptions(
        business=parse_business(section.get("business") or {}),
        sensitive=tuple(project.sensitive()),
        ranking_k=tuple(int(k) for k in ks),
        min_rows=int(section.get("min_labels", 30)),
        fallback=project.section("deployment").get("fallback"),
    )


def monitoring_section(project: Project) -> dict[str, Any]:
    """The ``monitoring:`` section, with unknown keys refused by name."""
    section = project.section("monitoring")
    unknown = sorted(set(section) - MONITORING_KEYS)
    if unknown:
        raise InvalidInput(
            f"{project.path}: unknown monitoring key(s) {', '.join(map(repr, unknown))}; known"
            f" keys are {', '.join(sorted(MONITORING_KEYS))}."
        )
    return section


def options_from(section: Mapping[str, Any], **overrides: Any) -> MonitorOptions:
    """MonitorOptions from the project section, overridden by explicit (non-None) values."""
    values = {**section, **{k: v for k, v in overrides.items() if v is not None}}
    opts: dict[str, Any] = {"window": parse_window(values.get("window", "1d"))}
    for key in ("margin", "min_labels", "min_metrics", "thresholds", "reference_window"):
        if values.get(key) is not None:
            opts[key] = values[key]
    for key in ("engine", "scheduler"):
        if values.get(key) is not None:
            opts[key] = str(values[key])
    check_engine(opts.get("engine", "pandas"), opts.get("scheduler"))
    return MonitorOptions(**opts)


def http_notifier(url: str, *, timeout: float = 5.0) -> service.Notify:
    """POST the payload as JSON to `url`; (status, detail) for the alerts' delivery record."""
    return partial(http_sender(timeout=timeout), check_webhook_url(url))


def status_of(
    deployment: str, windows: list[MonitoringWindow], open_alerts: list[Alert]
) -> dict[str, Any]:
    """The summary `status` returns, from the windows and the open alerts (both backends)."""
    last = windows[-1] if windows else None
    return {
        "deployment": deployment,
        "windows": len(windows),
        "last_window": None if last is None else f"{last.start} - {last.end}",
        "last_status": None if last is None else last.status.value,
        "last_drifted": [] if last is None else last.summary.get("drifted", []),
        "labelled_windows": sum(1 for w in windows if w.n_labels),
        "open_alerts": len(open_alerts),
        "alerts": open_alerts,
    }


def review_comment(evidence: comparison.Evidence) -> str:
    """The comment of the review a comparison requests, naming its evidence."""
    return (
        f"Live comparison with v{evidence.champion} on {evidence.rows} labelled"
        f" requests ({'paired, shadow' if evidence.paired else 'unpaired'}):"
        f" {evidence.verdict}; evidence artifact sha256:{evidence.artifact_sha256}."
    )


class MonitoringClient:
    """Monitoring of deployments over the local workspace."""

    def __init__(self, backend: LocalBackend, *, project: Project | None = None) -> None:
        self._b = backend
        self._project = project

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = load_project()
        return self._project

    @property
    def log(self) -> ParquetPredictionLog:
        return ParquetPredictionLog(self._b.settings.resolved_predictions_root())

    def ingest_labels(
        self,
        deployment: str,
        data: Any,
        *,
        id_column: str = "request_id",
        label_column: str = "label",
        row_column: str | None = None,
    ) -> LabelIngestResult:
        """Store ground-truth labels (CSV/Parquet path or DataFrame) for logged requests."""
        return service.ingest_labels(
            self._b.uow(),
            self.log,
            deployment=deployment,
            data=data,
            id_column=id_column,
            label_column=label_column,
            row_column=row_column,
            guard=self._b.guard(),
        )

    def options(self, **overrides: Any) -> MonitorOptions:
        """The options of a run: modelward.yaml's monitoring section, then `overrides`."""
        return options_from(monitoring_section(self.project), **overrides)

    def _notifier(self, webhook: str | None) -> service.Notify | None:
        section = monitoring_section(self.project)
        url = webhook or section.get("webhook")
        if not url:
            return None
        plain = http_notifier(str(url), timeout=float(section.get("webhook_timeout", 5.0)))
        return obligations.kept_notifier(
            plain,
            self._b.uow,
            guard=self._b.guard(),
            target=str(url).strip(),  # kept with each delivery: a replay goes there again
            retries=int(section.get("webhook_retries", 3)),
        )

    def run(
        self,
        deployment: str,
        *,
        window: str | timedelta | None = None,
        webhook: str | None = None,
        reference_window: tuple[datetime, datetime] | None = None,
        on_window: Callable[[int, int], None] | None = None,
        **overrides: Any,
    ) -> service.RunResult:
        """Compute every complete window since the last run of `deployment`."""
        opts = self.options(window=window, reference_window=reference_window, **overrides)
        opts = replace(opts, pseudonym_key=self._b.workspace.pseudonym_key())
        return service.run_monitoring(
            self._b.uow(),
            self._b.artifacts,
            self.log,
            deployment=deployment,
            guard=self._b.guard(),
            options=opts,
            notify=self._notifier(webhook),
            on_window=on_window,
            figures=figure_options(self.project),
            system=self._b.workspace.system_guard(),
        )

    def run_all(self, **kwargs: Any) -> list[service.RunResult]:
        """`run` for every deployment."""
        from modelward.deploy import service as deploy_service

        names = [d.name for d in deploy_service.list_deployments(self._b.uow(read_only=True))]
        return [self.run(name, **kwargs) for name in names]

    def alerts(
        self, *, deployment: str | None = None, model: str | None = None, open_only: bool = False
    ) -> list[Alert]:
        return service.list_alerts(
            self._b.uow(read_only=True), deployment=deployment, model=model, open_only=open_only
        )

    def open_alerts(self, model: str | None = None) -> list[Alert]:
        """Unacknowledged alerts (of one model), newest first."""
        return service.open_alerts(self._b.uow(read_only=True), model=model)

    def acknowledge(self, alert_id: int, *, comment: str) -> Alert:
        """Mark an alert as seen, saying what was done about it (audited)."""
        return service.acknowledge_alert(
            self._b.uow(), alert_id=alert_id, guard=self._b.guard(), comment=comment
        )

    def windows(self, deployment: str) -> list[MonitoringWindow]:
        return service.list_windows(self._b.uow(read_only=True), deployment=deployment)

    def latest_labelled_window(self, deployment: str) -> MonitoringWindow:
        """The newest window with labels.

        Raises:
            NotFound: no such deployment, or no labelled window yet.
        """
        return service.latest_labelled_window(self._b.uow(read_only=True), deployment=deployment)

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
        """Logged inputs joined with their labels (answered rows only), oldest first, with
        ``ts``; between `start` (inclusive) and `end` (exclusive) when given; with `context`,
        those protected-context columns (needs ``protected_data``)."""
        from modelward.monitoring import retrain

        if context:
            feeds.may_read_context(self._b.uow(), guard=self._b.guard(), deployment=deployment)
        uow = self._b.uow(read_only=True)
        with uow:
            uow.deployments.get_deployment(deployment)  # NotFound for an unknown name
        return retrain.labelled_rows(
            uow,
            self.log,
            deployment=deployment,
            features=list(features),
            target=target,
            start=start,
            end=end,
            context=list(context),
        )

    def ingest_context(
        self, deployment: str, data: Any, *, id_column: str = "request_id",
        row_column: str | None = None, columns: list[str] | None = None,
    ) -> feeds.FeedIngestResult:  # fmt: skip
        """Store records' protected context (sensitive attributes; never given to the model)."""
        return self._feed("context", deployment, data, id_column, row_column, columns)

    def ingest_outcomes(
        self, deployment: str, data: Any, *, id_column: str = "request_id",
        row_column: str | None = None, columns: list[str] | None = None,
    ) -> feeds.FeedIngestResult:  # fmt: skip
        """Store records' business outcomes (clicked, converted, value ...)."""
        return self._feed("outcome", deployment, data, id_column, row_column, columns)

    def _feed(
        self, channel: str, deployment: str, data: Any, id_column: str,
        row_column: str | None, columns: list[str] | None,
    ) -> feeds.FeedIngestResult:  # fmt: skip
        return feeds.ingest_feed(
            self._b.uow(), self.log, deployment=deployment, channel=channel, data=data,
            id_column=id_column, row_column=row_column, columns=columns, guard=self._b.guard(),
        )  # fmt: skip

    def purge_context(self, deployment: str, *, retention_days: int | None = None) -> int:
        """Delete protected context older than the retention (``context_retention_days``)."""
        section = monitoring_section(self.project)
        default = section.get("context_retention_days", feeds.DEFAULT_CONTEXT_RETENTION_DAYS)
        days = int(default) if retention_days is None else retention_days
        return feeds.purge_context(
            self._b.uow(), deployment=deployment, retention_days=days, guard=self._b.guard()
        )

    def figures(self, deployment: str) -> list[dict[str, Any]]:
        """Per-window fairness, business and ranking figures, oldest window first."""
        spans = {w.id: w for w in self.windows(deployment)}
        found = obligations.list_figures(self._b.uow(read_only=True), deployment=deployment)
        return obligations.figure_rows(spans, found)

    def webhooks(self, *, failed_only: bool = False) -> list[WebhookDelivery]:
        """Kept webhook deliveries (`failed_only`: those waiting for a replay)."""
        return obligations.list_webhooks(
            self._b.uow(read_only=True), status="failed" if failed_only else None
        )

    def replay_webhooks(self, *, deployment: str | None = None) -> list[WebhookDelivery]:
        """Send failed webhook deliveries (of one deployment) again, each to the URL it was
        first sent to (retried with backoff; audited). Deliveries kept before targets were
        recorded go to the project's configured webhook, if any."""
        section = monitoring_section(self.project)
        fallback = section.get("webhook")
        return obligations.replay_webhooks(
            self._b.uow(),
            http_sender(timeout=float(section.get("webhook_timeout", 5.0))),
            guard=self._b.guard(),
            deployment=deployment,
            fallback=str(fallback) if fallback else None,
            retries=int(section.get("webhook_retries", 3)),
        )

    def obligations(self, model: str | None = None) -> list[MonitoringDue]:
        """Production deployments and whether monitoring keeps the policy's cadence."""
        return obligations.monitoring_overdue(
            self._b.uow(read_only=True), guard=self._b.guard(), model=model
        )

    def status(self, deployment: str) -> dict[str, Any]:
        """Last window, open alerts, labelled windows: what `monitor status` prints."""
        return status_of(
            deployment, self.windows(deployment), self.alerts(deployment=deployment, open_only=True)
        )

    def report(self, deployment: str, output: str | Path | None = None) -> str:
        """The self-contained HTML report; written to `output` when given."""
        from modelward.monitoring import report

        html = report.build_report(
            self._b.uow(read_only=True),
            self._b.artifacts,
            self.log,
            deployment=deployment,
            now=self._b.now(),
        )
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
    ) -> comparison.Evidence:
        """Champion vs challenger on labelled live traffic (shadow: paired); the evidence is
        stored as an artifact and audited; with `request_review`, a review of the challenger is
        requested with the evidence named in its comment."""
        now = self._b.now()
        evidence = comparison.compare_live(
            self._b.uow(),
            self._b.artifacts,
            self.log,
            deployment=deployment,
            start=start or datetime(1970, 1, 1, tzinfo=UTC),
            end=end or now + timedelta(seconds=1),
            guard=self._b.guard(),
        )
        if request_review:
            from modelward.client.governance import GovernanceClient

            GovernanceClient(self._b).request_review(
                evidence.model, evidence.challenger, comment=review_comment(evidence)
            )
        return evidence
