"""The change counter behind the MLflow door's kept answers (`store/sql/changes.py`): it moves
when any other connection commits, and only then."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from modelward.store.sql.changes import ChangeCounter, open_counter


def _database(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    return conn


def test_it_moves_on_another_connections_commit_and_only_then(tmp_path: Path) -> None:
    writer = _database(tmp_path / "db.sqlite")
    counter = ChangeCounter(tmp_path / "db.sqlite")
    first = counter.value()
    assert first is not None and counter.value() == first  # nothing committed
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (1)")
    assert counter.value() == first  # not committed yet
    writer.execute("COMMIT")
    second = counter.value()
    assert second is not None and second != first
    assert counter.value() == second
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (2)")
    writer.execute("ROLLBACK")
    assert counter.value() == second  # a rollback changes nothing
    counter.close()
    assert counter.value() is not None  # reopens after close
    counter.close()
    writer.close()


def test_another_process_commit_moves_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    _database(tmp_path / "db.sqlite").close()
    counter = ChangeCounter(tmp_path / "db.sqlite")
    before = counter.value()
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " c.execute('INSERT INTO t VALUES (3)'); c.commit()"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "db.sqlite")], check=True)
    assert counter.value() != before
    counter.close()


def test_an_unreadable_database_reads_as_unknown(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not a SQLite file" * 100)
    assert ChangeCounter(tmp_path / "not-a-db").value() is None
    assert ChangeCounter(tmp_path / "missing" / "db.sqlite").value() is None


def test_only_sqlite_files_have_one(tmp_path: Path) -> None:
    assert open_counter(f"sqlite:///{tmp_path / 'db.sqlite'}") is not None
    assert open_counter("sqlite://") is None
    assert open_counter("sqlite:///:memory:") is None
    assert open_counter("postgresql+psycopg://127.0.0.1/test") is None
