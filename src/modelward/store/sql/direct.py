"""Hot statements sent straight to SQLite's driver, inside the unit of work's transaction.

Executing a statement through SQLAlchemy's `Connection` builds an execution context, a cursor
wrapper and a result, and fires the connection's events: for the statements of an MLflow
client's per-call path (is the run writable, record the metric, read or end the run) that cost
more than SQLite took to run them. A `Direct` statement is still written with SQLAlchemy and
compiled by it once per dialect, with its column types' own conversions (a UTC datetime, JSON,
a boolean) taken from SQLAlchemy once too; on SQLite its SQL is then handed to the driver
connection the unit of work's transaction runs on (its BEGIN is sent there too,
`engine._sqlite_begin`), and SQLite's own statement cache keeps it prepared. On any other
database it runs through SQLAlchemy as every other statement does.

Rows come back as named tuples (``row.start_time`` as with SQLAlchemy's rows). What a `Direct`
statement cannot take: an expanding IN list (bind the values as one JSON array and read them
with ``json_each`` instead). Driver errors are raised as SQLAlchemy's, so the unit of work names
them as it names any other (a conflict, an unavailable database).
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

Row = tuple[Any, ...]
Convert = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bound parameters, in order
    fixed: dict[str, Any]  # values the statement binds itself (a LIMIT, a literal)
    to_driver: tuple[Convert, ...]  # per bound parameter
    from_driver: tuple[Convert, ...]  # per column read


class Direct:
    """One statement compiled once; `first`, `all` and `execute_many` run it (see the
    module)."""

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None):
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        columns = getattr(statement, "selected_columns", None)
        keys = [column.key for column in columns] if columns is not None else []
        self._row: Callable[..., Row] = namedtuple("Row", keys, rename=True)  # type: ignore[misc]
        self._sqlite: _Compiled | None = None

    def _compiled(self, conn: Connection) -> _Compiled:
        if self._sqlite is None:  # a race compiles twice, to the same text
            dialect = conn.dialect
            statement = cast(ClauseElement, self.statement)
            compiled = cast(
                SQLCompiler, statement.compile(dialect=dialect, column_keys=self.column_keys)
            )
            if "POSTCOMPILE" in compiled.string:
                raise TypeError("a Direct statement cannot take an expanding IN list")
            if compiled.insert_prefetch or compiled.update_prefetch:
                raise TypeError("a Direct statement cannot fill column defaults in Python")
            names = tuple(compiled.positiontup or ())
            binds = compiled.binds
            columns = getattr(self.statement, "selected_columns", None) or ()
            self._sqlite = _Compiled(
                sql=compiled.string,
                names=names,
                fixed={n: binds[n].value for n in names if not binds[n].required},
                to_driver=tuple(
                    binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
                ),
                from_driver=tuple(
                    c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
                ),
            )
        return self._sqlite

    def _bound(self, compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
        values = [params[n] if n in params else compiled.fixed[n] for n in compiled.names]
        return [v if f is None else f(v) for f, v in zip(compiled.to_driver, values, strict=True)]

    def _read(self, compiled: _Compiled, row: Row) -> Row:
        return self._row(
            *(v if f is None else f(v) for f, v in zip(compiled.from_driver, row, strict=True))
        )

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first row the statement returns, as a named tuple, or None."""
        if conn.dialect.name != "sqlite":
            found = conn.execute(self.statement, dict(params)).first()
            return None if found is None else self._row(*found)
        compiled = self._compiled(conn)
        values = self._bound(compiled, params)
        with _driver_errors(compiled.sql, values):
            row = _driver(conn).execute(compiled.sql, values).fetchone()
        return None if row is None else self._read(compiled, row)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row the statement returns, as named tuples."""
        if conn.dialect.name != "sqlite":
            return [self._row(*r) for r in conn.execute(self.statement, dict(params))]
        compiled = self._compiled(conn)
        values = self._bound(compiled, params)
        with _driver_errors(compiled.sql, values):
            rows = _driver(conn).execute(compiled.sql, values).fetchall()
        if not any(compiled.from_driver):
            return [self._row(*row) for row in rows]
        return [self._read(compiled, row) for row in rows]

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> int | None:
        """Run the statement once; the number of rows it changed (see `execute_many`)."""
        return self.execute_many(conn, [params])

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int | None:
        """Run the statement once per row of parameters; the number of rows it changed, or
        None where the driver does not count a batch's rows (psycopg)."""
        if not rows:
            return 0
        if conn.dialect.name != "sqlite":
            many: Any = [dict(r) for r in rows] if len(rows) > 1 else dict(rows[0])
            counted = conn.execute(self.statement, many).rowcount
            return counted if counted >= 0 else None
        compiled = self._compiled(conn)
        values = [self._bound(compiled, r) for r in rows]
        with _driver_errors(compiled.sql, values):
            if len(values) == 1:
                return int(_driver(conn).execute(compiled.sql, values[0]).rowcount)
            return int(_driver(conn).executemany(compiled.sql, values).rowcount)


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
