"""Small helpers shared by the SQL repositories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = 900) -> Iterator[Sequence[T]]:
    """Split for IN lists (SQLite caps bound parameters per statement)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT that supports ON CONFLICT (SQLite and PostgreSQL share the API)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT of one row generated."""
    key = result.inserted_primary_key
    assert key is not None, "an INSERT of one row has a primary key"
    return int(key[0])
