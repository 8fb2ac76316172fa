"""SQL repository for monitoring: ground-truth labels, windows with their drift and
performance series, and alerts. Implements ``modelward.domain.ports.MonitoringRepo``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, insert, select, tuple_, update

from modelward.domain.monitoring import (
    Alert,
    AlertKind,
    DriftPoint,
    Label,
    MonitoringWindow,
    PerformancePoint,
    Severity,
    WindowStatus,
)
from modelward.errors import AlreadyExists, NotFound
from modelward.store.sql._util import inserted_id
from modelward.store.sql.tables import (
    deployments,
    ground_truth_labels,
    monitoring_alerts,
    monitoring_drift,
    monitoring_performance,
    monitoring_windows,
)

CHUNK = 500  # keys per IN (...) query: well below every backend's parameter limit
W, L, A = monitoring_windows, ground_truth_labels, monitoring_alerts


def _label(row: Any) -> Label:
    return Label(
        row.request_id, row.row, row.label, row.predicted_at, row.received_at, row.times_received
    )


def _window(row: Any, deployment: str) -> MonitoringWindow:
    return MonitoringWindow(
        deployment=deployment,
        start=row.window_start,
        end=row.window_end,
        status=WindowStatus(row.status),
        n_rows=row.n_rows,
        n_labels=row.n_labels,
        computed_at=row.computed_at,
        champion_version=row.champion_version,
        reference=row.reference,
        summary=row.summary,
        performance_at=row.performance_at,
        id=row.id,
    )


def _alert(row: Any) -> Alert:
    return Alert(
        deployment=row.deployment_name,
        model=row.model_name,
        version=row.version,
        kind=AlertKind(row.kind),
        severity=Severity(row.severity),
        subject=row.subject,
        message=row.message,
        window_start=row.window_start,
        window_end=row.window_end,
        created_at=row.created_at,
        details=row.details,
        webhook_status=row.webhook_status,
        webhook_detail=row.webhook_detail,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        id=row.id,
    )


def _drift_values(window_id: int, point: DriftPoint) -> dict[str, Any]:
    return {
        "window_id": window_id,
        "target": point.target,
        "column_name": point.column,
        "kind": point.kind,
        "method": point.method,
        "statistic": point.statistic,
        "p_value": point.p_value,
        "effect_size": point.effect_size,
        "threshold": point.threshold,
        "drifted": point.drifted,
        "status": point.status,
        "message": point.message,
    }


def _performance_values(window_id: int, point: PerformancePoint) -> dict[str, Any]:
    return {
        "window_id": window_id,
        "metric": point.metric,
        "value": point.value,
        "baseline": point.baseline,
        "threshold": point.threshold,
        "degraded": point.degraded,
        "n_labels": point.n_labels,
    }


_ALERTS = select(A, deployments.c.name.label("deployment_name")).join(
    deployments, deployments.c.id == A.c.deployment_id
)


class SqlMonitoringRepo:
    """Implements ``modelward.domain.ports.MonitoringRepo``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _deployment_id(self, name: str) -> int:
        found = self.conn.execute(
            select(deployments.c.id).where(deployments.c.name == name)
        ).scalar()
        if found is None:
            raise NotFound(
                f"Deployment {name!r} does not exist; 'modelward deploy list' shows the others."
            )
        return int(found)

    # -- labels ------------------------------------------------------------------------

    def find_labels(
        self, deployment: str, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], Label]:
        dep = self._deployment_id(deployment)
        found: dict[tuple[str, int], Label] = {}
        keys = list(keys)
        for at in range(0, len(keys), CHUNK):
            ids = sorted({key[0] for key in keys[at : at + CHUNK]})
            rows = self.conn.execute(
                select(L).where(L.c.deployment_id == dep, L.c.request_id.in_(ids))
            )
            for row in rows:
                found[(row.request_id, row.row)] = _label(row)
        wanted = set(keys)
        return {key: label for key, label in found.items() if key in wanted}

    def save_labels(self, deployment: str, labels: Sequence[Label]) -> None:
        dep = self._deployment_id(deployment)
        existing = self.find_labels(deployment, [(lb.request_id, lb.row) for lb in labels])
        fresh = [lb for lb in labels if (lb.request_id, lb.row) not in existing]
        if fresh:
            self.conn.execute(
                insert(L),
                [
                    {
                        "deployment_id": dep,
                        "request_id": lb.request_id,
                        "row": lb.row,
                        "label": lb.label,
                        "predicted_at": lb.predicted_at,
                        "received_at": lb.received_at,
                        "times_received": lb.times_received,
                    }
                    for lb in fresh
                ],
            )
        for lb in labels:
            if (lb.request_id, lb.row) in existing:
                self.conn.execute(
                    update(L)
                    .where(
                        L.c.deployment_id == dep,
                        L.c.request_id == lb.request_id,
                        L.c.row == lb.row,
                    )
                    .values(
                        label=lb.label, received_at=lb.received_at, times_received=lb.times_received
                    )
                )

    def list_labels(
        self, deployment: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[Label]:
        query = select(L).where(L.c.deployment_id == self._deployment_id(deployment))
        if start is not None:
            query = query.where(L.c.predicted_at >= start)
        if end is not None:
            query = query.where(L.c.predicted_at < end)
        rows = self.conn.execute(query.order_by(L.c.predicted_at, L.c.request_id, L.c.row))
        return [_label(row) for row in rows]

    # -- windows -----------------------------------------------------------------------

    def find_window(
        self, deployment: str, start: datetime, end: datetime
    ) -> MonitoringWindow | None:
        row = self.conn.execute(
            select(W).where(
                W.c.deployment_id == self._deployment_id(deployment),
                W.c.window_start == start,
                W.c.window_end == end,
            )
        ).first()
        return None if row is None else _window(row, deployment)

    def last_window(self, deployment: str) -> MonitoringWindow | None:
        row = self.conn.execute(
            select(W)
            .where(W.c.deployment_id == self._deployment_id(deployment))
            .order_by(W.c.window_end.desc())
            .limit(1)
        ).first()
        return None if row is None else _window(row, deployment)

    def recent_windows(
        self, deployment: str, *, ending_after: datetime | None = None, limit: int = 24
    ) -> list[MonitoringWindow]:
        # one query (the deployment joined by name): the scoring service's poll thread asks
        # this every poll while a challenger has monitored-metric bounds
        query = (
            select(W)
            .join(deployments, deployments.c.id == W.c.deployment_id)
            .where(deployments.c.name == deployment)
        )
        if ending_after is not None:
            query = query.where(W.c.window_end > ending_after)
        rows = self.conn.execute(query.order_by(W.c.window_end.desc()).limit(limit)).all()
        return [_window(row, deployment) for row in rows]

    def list_windows(self, deployment: str, *, with_series: bool = True) -> list[MonitoringWindow]:
        rows = self.conn.execute(
            select(W)
            .where(W.c.deployment_id == self._deployment_id(deployment))
            .order_by(W.c.window_start)
        ).all()
        windows = [_window(row, deployment) for row in rows]
        if not with_series or not windows:
            return windows
        return self._with_series(windows)

    def _with_series(self, windows: list[MonitoringWindow]) -> list[MonitoringWindow]:
        from dataclasses import replace

        ids = [w.id for w in windows]
        drift: dict[int, list[DriftPoint]] = {}
        perf: dict[int, list[PerformancePoint]] = {}
        for at in range(0, len(ids), CHUNK):
            chunk = ids[at : at + CHUNK]
            query = select(monitoring_drift).where(monitoring_drift.c.window_id.in_(chunk))
            for row in self.conn.execute(query.order_by(monitoring_drift.c.column_name)):
                drift.setdefault(row.window_id, []).append(
                    DriftPoint(
                        row.column_name,
                        row.kind,
                        row.method,
                        row.statistic,
                        row.p_value,
                        row.effect_size,
                        row.threshold,
                        row.drifted,
                        row.status,
                        row.message,
                        row.target,
                    )  # fmt: skip
                )
            query = select(monitoring_performance).where(
                monitoring_performance.c.window_id.in_(chunk)
            )
            for row in self.conn.execute(query.order_by(monitoring_performance.c.metric)):
                perf.setdefault(row.window_id, []).append(
                    PerformancePoint(
                        row.metric,
                        row.value,
                        row.baseline,
                        row.threshold,
                        row.degraded,
                        row.n_labels,
                    )  # fmt: skip
                )
        return [
            replace(w, drift=tuple(drift.get(w.id, ())), performance=tuple(perf.get(w.id, ())))  # type: ignore[arg-type]
            for w in windows
        ]

    def save_window(self, window: MonitoringWindow) -> int:
        values = {
            "deployment_id": self._deployment_id(window.deployment),
            "window_start": window.start,
            "window_end": window.end,
            "status": window.status.value,
            "n_rows": window.n_rows,
            "n_labels": window.n_labels,
            "champion_version": window.champion_version,
            "reference": window.reference,
            "computed_at": window.computed_at,
            "performance_at": window.performance_at,
            "summary": window.summary,
        }
        if self.find_window(window.deployment, window.start, window.end) is not None:
            raise AlreadyExists(
                f"Window {window.start.isoformat()} - {window.end.isoformat()} of deployment"
                f" {window.deployment!r} was already computed."
            )
        # a concurrent writer of the same window fails on the unique key at commit (Conflict)
        window_id = inserted_id(self.conn.execute(insert(W).values(**values)))
        if window.drift:
            rows = [_drift_values(window_id, p) for p in window.drift]
            self.conn.execute(insert(monitoring_drift), rows)
        if window.performance:
            rows = [_performance_values(window_id, p) for p in window.performance]
            self.conn.execute(insert(monitoring_performance), rows)
        return window_id

    def windows_with_new_labels(self, deployment: str) -> list[MonitoringWindow]:
        dep = self._deployment_id(deployment)
        newer = exists().where(
            L.c.deployment_id == dep,
            L.c.predicted_at >= W.c.window_start,
            L.c.predicted_at < W.c.window_end,
            L.c.received_at > W.c.performance_at,
        )
        never = and_(
            W.c.performance_at.is_(None),
            exists().where(
                L.c.deployment_id == dep,
                L.c.predicted_at >= W.c.window_start,
                L.c.predicted_at < W.c.window_end,
            ),
        )
        rows = self.conn.execute(
            select(W).where(W.c.deployment_id == dep, newer | never).order_by(W.c.window_start)
        ).all()
        return [_window(row, deployment) for row in rows]

    def replace_performance(
        self, window_id: int, points: Sequence[PerformancePoint], *, n_labels: int, at: datetime
    ) -> None:
        table = monitoring_performance
        self.conn.execute(delete(table).where(table.c.window_id == window_id))
        if points:
            self.conn.execute(insert(table), [_performance_values(window_id, p) for p in points])
        self.conn.execute(
            update(W).where(W.c.id == window_id).values(n_labels=n_labels, performance_at=at)
        )

    def update_window_summary(self, window_id: int, summary: dict[str, Any]) -> None:
        self.conn.execute(update(W).where(W.c.id == window_id).values(summary=summary))

    # -- alerts ------------------------------------------------------------------------

    def save_alert(self, alert: Alert) -> Alert | None:
        from dataclasses import replace

        dep = self._deployment_id(alert.deployment)
        key = tuple_(A.c.deployment_id, A.c.window_start, A.c.kind, A.c.subject)
        same = (dep, alert.window_start, alert.kind.value, alert.subject)
        if self.conn.execute(select(A.c.id).where(key == same)).first() is not None:
            return None
        result = self.conn.execute(
            insert(A).values(
                deployment_id=dep,
                model_name=alert.model,
                version=alert.version,
                kind=alert.kind.value,
                severity=alert.severity.value,
                subject=alert.subject,
                message=alert.message,
                window_start=alert.window_start,
                window_end=alert.window_end,
                created_at=alert.created_at,
                webhook_status=alert.webhook_status,
                webhook_detail=alert.webhook_detail,
                details=alert.details,
            )
        )
        return replace(alert, id=int(inserted_id(result)))

    def list_alerts(
        self,
        *,
        deployment: str | None = None,
        model: str | None = None,
        open_only: bool = False,
        limit: int = 1000,
    ) -> list[Alert]:
        query = _ALERTS
        if deployment is not None:
            query = query.where(A.c.deployment_id == self._deployment_id(deployment))
        if model is not None:
            query = query.where(A.c.model_name == model)
        if open_only:
            query = query.where(A.c.acknowledged_at.is_(None))
        rows = self.conn.execute(query.order_by(A.c.created_at.desc(), A.c.id.desc()).limit(limit))
        return [_alert(row) for row in rows]

    def set_webhook_status(self, alert_ids: Sequence[int], status: str, detail: str) -> None:
        if alert_ids:
            self.conn.execute(
                update(A)
                .where(A.c.id.in_(list(alert_ids)))
                .values(webhook_status=status, webhook_detail=detail[:2000])
            )

    def acknowledge_alert(self, alert_id: int, *, by: str, at: datetime) -> Alert:
        self.conn.execute(
            update(A)
            .where(A.c.id == alert_id, A.c.acknowledged_at.is_(None))
            .values(acknowledged_at=at, acknowledged_by=by)
        )
        row = self.conn.execute(_ALERTS.where(A.c.id == alert_id)).first()
        if row is None:
            raise NotFound(
                f"Alert {alert_id} does not exist; 'modelward monitor alerts' lists them."
            )
        return _alert(row)
