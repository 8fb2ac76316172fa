"""SQL repository for monitoring obligations: protected context and outcomes of logged
records, per-window figures, monitoring check-ins and webhook deliveries. Implements
``modelward.domain.ports.ObligationsRepo``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from modelward.domain.obligations import Annotation, WebhookDelivery, WindowFigure
from modelward.errors import NotFound
from modelward.store.sql._util import chunks, inserted_id, upsert
from modelward.store.sql.tables import (
    deployments,
    monitoring_checkins,
    monitoring_windows,
    record_annotations,
    webhook_deliveries,
    window_figures,
)

R, F, C, D = record_annotations, window_figures, monitoring_checkins, webhook_deliveries


def _delivery(row: Any) -> WebhookDelivery:
    return WebhookDelivery(
        deployment=row.deployment_name, payload=row.payload, status=row.status,
        attempts=row.attempts, last_error=row.last_error, created_at=row.created_at,
        last_attempt_at=row.last_attempt_at, id=row.id, target=row.target or "",
    )  # fmt: skip


_DELIVERIES = select(D, deployments.c.name.label("deployment_name")).join(
    deployments, deployments.c.id == D.c.deployment_id
)


class SqlObligationsRepo:
    """Implements ``modelward.domain.ports.ObligationsRepo``."""

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

    # -- annotations -------------------------------------------------------------------

    def save_annotations(
        self, deployment: str, channel: str, items: Sequence[Annotation]
    ) -> tuple[int, int]:
        """Store each record's values (a newer one replaces); (new, replaced)."""
        dep = self._deployment_id(deployment)
        keys = {(a.request_id, a.row) for a in items}
        existing: set[tuple[str, int]] = set()
        ids = sorted({k[0] for k in keys})
        for part in chunks(ids):
            rows = self.conn.execute(
                select(R.c.request_id, R.c.row).where(
                    R.c.deployment_id == dep, R.c.channel == channel, R.c.request_id.in_(part)
                )
            )
            existing.update((r.request_id, r.row) for r in rows if (r.request_id, r.row) in keys)
        for item in items:
            values = {"payload": item.values, "predicted_at": item.predicted_at,
                      "received_at": item.received_at}  # fmt: skip
            key = (item.request_id, item.row)
            if key in existing:
                self.conn.execute(
                    update(R)
                    .where(
                        R.c.deployment_id == dep,
                        R.c.channel == channel,
                        R.c.request_id == item.request_id,
                        R.c.row == item.row,
                    )  # fmt: skip
                    .values(**values)
                )
            else:
                self.conn.execute(
                    insert(R).values(deployment_id=dep, channel=channel,
                                     request_id=item.request_id, row=item.row, **values)
                )  # fmt: skip
        return len(keys - existing), len(keys & existing)

    def list_annotations(
        self, deployment: str, channel: str, *, start: datetime, end: datetime
    ) -> list[Annotation]:
        rows = self.conn.execute(
            select(R)
            .where(
                R.c.deployment_id == self._deployment_id(deployment),
                R.c.channel == channel,
                R.c.predicted_at >= start,
                R.c.predicted_at < end,
            )  # fmt: skip
            .order_by(R.c.predicted_at, R.c.request_id, R.c.row)
        )
        return [
            Annotation(r.request_id, r.row, r.payload, r.predicted_at, r.received_at) for r in rows
        ]

    def purge_annotations(self, deployment: str, channel: str, *, before: datetime) -> int:
        """Delete the channel's values received before `before`; how many."""
        result = self.conn.execute(
            delete(R).where(
                R.c.deployment_id == self._deployment_id(deployment),
                R.c.channel == channel,
                R.c.received_at < before,
            )  # fmt: skip
        )
        return int(result.rowcount or 0)

    # -- window figures ----------------------------------------------------------------

    def replace_figures(self, window_id: int, figures: Sequence[WindowFigure]) -> None:
        self.conn.execute(delete(F).where(F.c.window_id == window_id))
        for fig in figures:
            self.conn.execute(
                insert(F).values(window_id=window_id, family=fig.family, name=fig.name,
                                 value=fig.value, threshold=fig.threshold, breached=fig.breached,
                                 n_rows=fig.n_rows, details=fig.details,
                                 computed_at=fig.computed_at)
            )  # fmt: skip

    def list_figures(self, deployment: str) -> dict[int, list[WindowFigure]]:
        """Window id -> its figures, for every window of `deployment`."""
        W = monitoring_windows
        rows = self.conn.execute(
            select(F)
            .join(W, W.c.id == F.c.window_id)
            .where(W.c.deployment_id == self._deployment_id(deployment))
            .order_by(W.c.window_start, F.c.family, F.c.name)
        )
        found: dict[int, list[WindowFigure]] = {}
        for r in rows:
            found.setdefault(int(r.window_id), []).append(
                WindowFigure(
                    r.family,
                    r.name,
                    r.value,
                    r.threshold,
                    r.breached,
                    r.n_rows,
                    r.details,
                    r.computed_at,
                )  # fmt: skip
            )
        return found

    def windows_with_new_annotations(self, deployment: str) -> list[int]:
        """Ids of windows holding a record annotated after the window's figures were made."""
        W, dep = monitoring_windows, self._deployment_id(deployment)
        made = (
            select(F.c.window_id, func.max(F.c.computed_at).label("at"))
            .group_by(F.c.window_id)
            .subquery()
        )
        newer = (
            select(R.c.id)
            .where(
                R.c.deployment_id == dep,
                R.c.predicted_at >= W.c.window_start,
                R.c.predicted_at < W.c.window_end,
                (made.c.at.is_(None)) | (R.c.received_at > made.c.at),
            )  # fmt: skip
            .exists()
        )
        rows = self.conn.execute(
            select(W.c.id)
            .outerjoin(made, made.c.window_id == W.c.id)
            .where(W.c.deployment_id == dep, newer)
            .order_by(W.c.window_start)
        )
        return [int(r.id) for r in rows]

    # -- check-ins ---------------------------------------------------------------------

    def check_in(self, deployment: str, *, at: datetime, by: str, windows: int) -> None:
        dep = self._deployment_id(deployment)
        stmt = upsert(self.conn, C).values(
            deployment_id=dep, last_run_at=at, last_run_by=by, windows=windows
        )
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[C.c.deployment_id],
                set_={"last_run_at": at, "last_run_by": by, "windows": windows},
            )
        )

    def last_check_ins(self) -> dict[str, datetime]:
        """Deployment name -> when monitoring last ran for it."""
        rows = self.conn.execute(
            select(deployments.c.name, C.c.last_run_at).join(
                deployments, deployments.c.id == C.c.deployment_id
            )
        )
        return {r.name: r.last_run_at for r in rows}

    # -- webhook deliveries ------------------------------------------------------------

    def save_delivery(self, delivery: WebhookDelivery) -> int:
        return inserted_id(
            self.conn.execute(
                insert(D).values(
                    deployment_id=self._deployment_id(delivery.deployment),
                    payload=delivery.payload,
                    status=delivery.status,
                    attempts=delivery.attempts,
                    last_error=delivery.last_error,
                    created_at=delivery.created_at,
                    last_attempt_at=delivery.last_attempt_at,
                    target=delivery.target or None,
                )  # fmt: skip
            )
        )

    def update_delivery(
        self,
        delivery_id: int,
        *,
        status: str,
        attempts: int,
        last_error: str,
        at: datetime,
        target: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status, "attempts": attempts, "last_error": last_error,
            "last_attempt_at": at,
        }  # fmt: skip
        if target:
            values["target"] = target
        self.conn.execute(update(D).where(D.c.id == delivery_id).values(**values))

    def list_deliveries(
        self, *, status: str | None = None, deployment: str | None = None, limit: int = 1000
    ) -> list[WebhookDelivery]:
        query = _DELIVERIES
        if status is not None:
            query = query.where(D.c.status == status)
        if deployment is not None:
            query = query.where(and_(D.c.deployment_id == self._deployment_id(deployment)))
        rows = self.conn.execute(query.order_by(D.c.id).limit(limit))
        return [_delivery(r) for r in rows]
