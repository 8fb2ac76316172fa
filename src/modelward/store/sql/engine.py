"""Engines for the metadata store: SQLite (WAL, foreign keys, immediate write transactions)
or PostgreSQL, and the schema check/upgrade done when a workspace is opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from modelward.errors import BackendUnavailable, InvalidInput, SchemaVersionError
from modelward.store.private import create_private_file, restrict

# The newest migrations this version of modelward knows (several when branches were written in
# parallel off one parent; Alembic applies them all); tests/store/test_schema.py checks them.
# 0023 merges 0007, 0009, 0010, 0014-0017 and 0018 (which revises 0013)
SCHEMA_HEADS = frozenset({"0023"})
SCHEMA_HEAD = "+".join(sorted(SCHEMA_HEADS))  # how a schema state is shown: heads joined by +
MIGRATIONS = Path(__file__).parent / "migrations"


BUSY_TIMEOUT_MS = 60_000  # how long a writer waits for another's lock before giving up


def _sqlite_pragmas(wait_ms: int) -> Any:
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN itself (pysqlite's own handling
        # defers BEGIN and cannot take the write lock up front).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        cur.close()

    return _on_connect


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _private_sqlite(path: Path) -> Any:
    # SQLite creates -wal and -shm with the mode of the database file, so a 0600 database keeps
    # its journal 0600 too; the hook re-applies it in case an older version made them readable.
    def _on_connect(_dbapi_conn: Any, _record: Any) -> None:
        for suffix in ("", "-wal", "-shm"):
            restrict(f"{path}{suffix}")

    return _on_connect


def _sqlite_begin(conn: Any) -> None:
    # Writers take the lock at BEGIN so two processes never deadlock upgrading a read lock
    # (SQLITE_BUSY that busy_timeout cannot wait out); read-only units of work stay deferred.
    # Sent on the driver's connection: through SQLAlchemy's statement machinery, BEGIN cost
    # more than the query it opens (0.1 ms of a 0.5 ms alias lookup).
    read_only = conn.get_execution_options().get("modelward_read_only", False)
    conn.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, *, wait: bool = True) -> Engine:
    """An engine for `url` with the settings modelward needs on each backend.

    With ``wait=False`` (SQLite only) a statement that finds the database locked by another
    writer fails at once (SQLITE_BUSY) instead of waiting up to `BUSY_TIMEOUT_MS`.

    Raises:
        InvalidInput: the URL is not a SQLite or PostgreSQL URL.
    """
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None and not path.exists() and path.parent.is_dir():
            create_private_file(path)  # 0600 before SQLite creates it with the umask's mode
        wait_ms = BUSY_TIMEOUT_MS if wait else 0
        engine = create_engine(
            url, connect_args={"timeout": wait_ms / 1000, "check_same_thread": False}
        )
        if path is not None:
            event.listen(engine, "connect", _private_sqlite(path))
        event.listen(engine, "connect", _sqlite_pragmas(wait_ms))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise InvalidInput(
        f"Unsupported database URL {url.split(':', 1)[0]!r}; use sqlite:///path or"
        " postgresql+psycopg://user@host/db."
    )


def is_busy(error: BaseException) -> bool:
    """Whether a driver error is SQLite's SQLITE_BUSY (another connection holds the lock)."""
    code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_BUSY


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database, or None for an empty database."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            return "+".join(sorted(rows)) or None
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise BackendUnavailable(
            f"Cannot reach the metadata database at {where}: check MODELWARD_DB_URL and that the"
            " server is running."
        ) from exc


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply pending migrations; return (revision before, revision after).

    Raises:
        SchemaVersionError: the database was written by a newer modelward.
        BackendUnavailable: the database cannot be reached.
    """
    before = current_revision(engine)
    if before == SCHEMA_HEAD:
        return before, before
    if before is not None and not set(before.split("+")) <= known_revisions():
        raise SchemaVersionError(
            f"The workspace database has schema revision {before!r}, newer than this modelward"
            f" knows (up to {SCHEMA_HEAD!r}); upgrade modelward (pip install -U modelward)."
        )
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), "heads")
    except SQLAlchemyError as exc:
        raise BackendUnavailable(
            f"Migrating the metadata database failed ({type(exc).__name__}); nothing was changed"
            " beyond the last complete migration. Retry 'modelward db upgrade'."
        ) from exc
    return before, SCHEMA_HEAD


def ensure_schema(engine: Engine) -> None:
    """Fast path on open: nothing to do when the schema is at head, else migrate."""
    upgrade(engine)
