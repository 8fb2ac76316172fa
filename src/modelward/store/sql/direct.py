"""Hot statements sent straight to SQLite's driver, inside the unit of work's transaction.

Executing a statement through SQLAlchemy's `Connection` builds an execution context, a cursor
wrapper and a result, and fires the connection's events: for the statements of an MLflow
client's per-call path (is the run writable, record the metric, keep its latest value) that
cost more than SQLite took to run them. A `Direct` statement is still written with SQLAlchemy
and compiled by it once per dialect; on SQLite its SQL is then handed to the driver connection
the unit of work's transaction runs on (its BEGIN is sent there too,
`engine._sqlite_begin`), and SQLite's own statement cache keeps it prepared. On any other
database it runs through SQLAlchemy as every other statement does.

What a `Direct` statement gives up, and so where it may be used: no type processing, neither on
the values bound (pass plain str, int and float) nor on the columns read (a date comes back as
SQLite stores it); no expanding IN lists. Driver errors are raised as SQLAlchemy's, so the unit
of work names them as it names any other (a conflict, an unavailable database).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

Row = tuple[Any, ...]


class Direct:
    """One statement compiled once; `first`, `all` and `execute_many` run it (see the
    module)."""

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None):
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._sqlite: tuple[str, tuple[str, ...], dict[str, Any]] | None = None

    def _compiled(self, conn: Connection) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        if self._sqlite is None:  # a race compiles twice, to the same text
            statement = cast(ClauseElement, self.statement)
            compiled = cast(
                SQLCompiler,
                statement.compile(dialect=conn.dialect, column_keys=self.column_keys),
            )
            if "POSTCOMPILE" in compiled.string:
                raise TypeError("a Direct statement cannot take an expanding IN list")
            # the values the statement itself binds (a LIMIT, a literal) are its defaults
            names = tuple(compiled.positiontup or ())
            binds = compiled.binds
            fixed = {n: binds[n].value for n in names if not binds[n].required}
            self._sqlite = (compiled.string, names, fixed)
        return self._sqlite

    def _bound(self, conn: Connection, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        sql, names, defaults = self._compiled(conn)
        return sql, [params[n] if n in params else defaults[n] for n in names]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Row | None:
        """The first row the statement returns, as a plain tuple, or None."""
        if conn.dialect.name != "sqlite":
            found = conn.execute(self.statement, dict(params)).first()
            return None if found is None else tuple(found)
        sql, values = self._bound(conn, params)
        with _driver_errors(sql, values):
            row: Row | None = _driver(conn).execute(sql, values).fetchone()
        return row

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Row]:
        """Every row the statement returns, as plain tuples."""
        if conn.dialect.name != "sqlite":
            return [tuple(r) for r in conn.execute(self.statement, dict(params))]
        sql, values = self._bound(conn, params)
        with _driver_errors(sql, values):
            rows: list[Row] = _driver(conn).execute(sql, values).fetchall()
        return rows

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int | None:
        """Run the statement once per row of parameters; the number of rows it changed, or
        None where the driver does not count a batch's rows (psycopg)."""
        if not rows:
            return 0
        if conn.dialect.name != "sqlite":
            counted = conn.execute(self.statement, [dict(r) for r in rows]).rowcount
            return counted if counted >= 0 else None
        sql, names, defaults = self._compiled(conn)
        values = [[r[n] if n in r else defaults[n] for n in names] for r in rows]
        with _driver_errors(sql, values):
            return int(_driver(conn).executemany(sql, values).rowcount)


def _driver(conn: Connection) -> sqlite3.Connection:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


@contextmanager
def _driver_errors(sql: str, params: Any) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:  # IntegrityError stays IntegrityError, and so on
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
