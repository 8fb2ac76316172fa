"""The append-only audit log: events chained by sha256, head kept in `audit_head`.

Rows are read defensively: each stored value is decoded on its own, the way SQLAlchemy would,
so a tampered row (non-JSON `before`, a NULL hash, a text seq) becomes a `MalformedEvent`
naming the row instead of an exception from deep inside the driver.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.types import NullType

from modelward.domain.audit import (
    AuditEvent,
    AuditQuery,
    MalformedEvent,
    chained,
    event_from_values,
    shown,
)
from modelward.errors import IntegrityViolation
from modelward.store.sql.tables import audit_events, audit_head

# Stored values a column's own decoder may fail on: JSON that is not JSON, a time that is not a
# time, a number where text belongs (SQLite stores what it is given).
_DECODE_ERRORS = (ValueError, TypeError, AttributeError, OverflowError)
_JSON_COLUMNS = frozenset({"before", "after"})
_TIME_COLUMNS = frozenset({"at"})


def _raw(table: Table) -> list[Any]:
    """The table's columns, selected without decoding (the driver's values as they are)."""
    return [type_coerce(column, NullType()).label(column.name) for column in table.c]


class _Decoder:
    """Each column's result processor on this connection's dialect, applied value by value."""

    def __init__(self, conn: Connection, table: Table) -> None:
        dialect = conn.dialect
        self._processors: dict[str, Callable[[Any], Any] | None] = {}
        for column in table.c:
            impl = column.type.dialect_impl(dialect)
            self._processors[column.name] = impl.result_processor(dialect, None)

    def values(self, row: Any) -> dict[str, Any] | MalformedEvent:
        found: dict[str, Any] = {}
        mapping = row._mapping
        for name, process in self._processors.items():
            value = mapping[name]
            try:
                found[name] = self._decode(name, process, value)
            except _DECODE_ERRORS:
                return _undecodable(mapping["seq"], name, value)
        return found

    @staticmethod
    def _decode(name: str, process: Callable[[Any], Any] | None, value: Any) -> Any:
        if value is None:
            return None
        # The driver decodes natively (psycopg: jsonb, timestamptz); text there means a column
        # whose type was changed, so the text is read as what the column should hold.
        if isinstance(value, str) and name in _TIME_COLUMNS:
            try:
                return process(value) if process is not None else _time(value)
            except _DECODE_ERRORS:
                return _time(value)
        if process is not None:
            return process(value)
        if isinstance(value, str) and name in _JSON_COLUMNS:
            return json.loads(value)
        return value

    def record(self, row: Any) -> AuditEvent | MalformedEvent:
        """The row as an event, or what is wrong with it."""
        values = self.values(row)
        return event_from_values(values) if isinstance(values, dict) else values


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _undecodable(seq: object, name: str, value: object) -> MalformedEvent:
    whole = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
    what = "JSON" if name in ("before", "after") else "a valid value"
    return MalformedEvent(whole, shown(seq), f"its {name} {shown(value)} is not {what}")


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

    def iter_records(self, *, batch_size: int = 10_000) -> Iterator[AuditEvent | MalformedEvent]:
        decoder = _Decoder(self.conn, audit_events)
        last: int | None = None
        while True:
            query = select(*_raw(audit_events)).order_by(audit_events.c.seq).limit(batch_size)
            if last is not None:
                query = query.where(audit_events.c.seq > last)
            rows = self.conn.execute(query).all()
            if not rows:
                return
            for row in rows:
                record = decoder.record(row)
                yield record
                if isinstance(record, MalformedEvent) and record.seq is None:
                    return  # no integer to continue from: the chain cannot be read further
            last = rows[-1].seq

    def iter_events(self, *, batch_size: int = 10_000) -> Iterator[AuditEvent]:
        for record in self.iter_records(batch_size=batch_size):
            if isinstance(record, MalformedEvent):
                raise IntegrityViolation(record.message, seq=record.stored_seq)
            yield record

    def head(self) -> tuple[int, str] | None:
        row = self.conn.execute(select(*_raw(audit_head)).where(audit_head.c.id == 1)).first()
        if row is None:
            return None
        seq, hash_ = row.seq, row.hash
        if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(hash_, str):
            return None
        return seq, hash_

    def lock_head(self) -> None:
        # SQLite writers already hold the database lock (BEGIN IMMEDIATE).
        if self.conn.dialect.name == "postgresql":
            query = select(audit_head.c.seq).where(audit_head.c.id == 1).with_for_update()
            self.conn.execute(query)

    def latest_event(self, action: str) -> AuditEvent | None:
        decoder = _Decoder(self.conn, audit_events)
        rows = self.conn.execute(
            select(*_raw(audit_events))
            .where(audit_events.c.action == action)
            .order_by(audit_events.c.seq.desc())
            .limit(20)
        )
        for row in rows:
            record = decoder.record(row)
            if isinstance(record, AuditEvent):
                return record
        return None

    def list_events(
        self, *, entity_type: str | None = None, entity_id: str | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        decoder = _Decoder(self.conn, audit_events)
        query = select(*_raw(audit_events))
        if entity_type is not None:
            query = query.where(audit_events.c.entity_type == entity_type)
        if entity_id is not None:
            query = query.where(audit_events.c.entity_id == entity_id)
        found = []
        for row in self.conn.execute(query.order_by(audit_events.c.seq.desc()).limit(limit)):
            record = decoder.record(row)
            if isinstance(record, MalformedEvent):
                raise IntegrityViolation(record.message, seq=record.stored_seq)
            found.append(record)
        return found

    def search_events(self, query: AuditQuery) -> list[AuditEvent]:
        decoder = _Decoder(self.conn, audit_events)
        found = []
        rows = self.conn.execute(
            select(*_raw(audit_events))
            .where(*_conditions(query))
            .order_by(audit_events.c.seq.desc())
            .limit(query.limit)
        )
        for row in rows:
            record = decoder.record(row)
            if isinstance(record, MalformedEvent):
                raise IntegrityViolation(record.message, seq=record.stored_seq)
            found.append(record)
        return found


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    c = audit_events.c
    where: list[ColumnElement[bool]] = []
    if query.about_entities:
        about = [and_(c.entity_type == t, c.entity_id == i) for t, i in query.subjects]
        about += [
            and_(c.entity_type == t, c.entity_id.startswith(p, autoescape=True))
            for t, p in query.prefixes
        ]
        where.append(or_(*about))
    if query.actor:
        where.append(c.actor == query.actor)
    if query.action:
        where.append(c.action.startswith(query.action, autoescape=True))
    if query.since is not None:
        where.append(c.at >= query.since)
    if query.until is not None:
        where.append(c.at < query.until)
    if query.before_seq is not None:
        where.append(c.seq < query.before_seq)
    return where
