"""The append-only audit log: events chained by sha256, head kept in `audit_head`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, insert, select, update

from modelward.domain.audit import AuditEvent, chained
from modelward.store.sql.tables import audit_events, audit_head


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        actor=row.actor,
        at=row.at,
        before=row.before,
        after=row.after,
        reason=row.reason,
        seq=row.seq,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class SqlAuditLog:
    """Implements ``modelward.domain.ports.AuditLog``: append and read, never update or delete."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, event: AuditEvent) -> AuditEvent:
        query = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
        if self.conn.dialect.name == "postgresql":
            # Serialises appends: concurrent writers wait here, so the chain stays linear.
            query = query.with_for_update()
        seq, head = self.conn.execute(query).one()
        placed = chained(event, seq=int(seq) + 1, prev_hash=head)
        self.conn.execute(
            insert(audit_events).values(
                seq=placed.seq,
                at=placed.at,
                actor=placed.actor,
                action=placed.action,
                entity_type=placed.entity_type,
                entity_id=placed.entity_id,
                before=placed.before,
                after=placed.after,
                reason=placed.reason,
                prev_hash=placed.prev_hash,
                hash=placed.hash,
            )
        )
        self.conn.execute(
            update(audit_head).where(audit_head.c.id == 1).values(seq=placed.seq, hash=placed.hash)
        )
        return placed

    def iter_events(self, *, batch_size: int = 10_000) -> Iterator[AuditEvent]:
        last = 0
        while True:
            rows = self.conn.execute(
                select(audit_events)
                .where(audit_events.c.seq > last)
                .order_by(audit_events.c.seq)
                .limit(batch_size)
            ).all()
            if not rows:
                return
            for row in rows:
                yield _event(row)
            last = rows[-1].seq

    def list_events(
        self, *, entity_type: str | None = None, entity_id: str | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        query = select(audit_events)
        if entity_type is not None:
            query = query.where(audit_events.c.entity_type == entity_type)
        if entity_id is not None:
            query = query.where(audit_events.c.entity_id == entity_id)
        rows = self.conn.execute(query.order_by(audit_events.c.seq.desc()).limit(limit))
        return [_event(row) for row in rows]
