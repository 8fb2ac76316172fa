"""Whether anything was committed to a SQLite database since a moment of our choosing.

SQLite's ``PRAGMA data_version`` changes, on a given connection, whenever another connection
(of this process or any other) commits to the database file. Asked on a connection of our own
that never writes, it says whether the data may have changed since the last time we asked:
the same number means no commit in between, by anyone, so anything read from the database
after that number was taken is still what the database holds. The platform server keeps the
answers of a few hot reads (an alias lookup, above all) under that number.

Only a SQLite *file* has one: an in-memory database is private to its connection, and
PostgreSQL has no such counter, so `open_counter` gives None there and nothing is kept.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ChangeCounter:
    """``PRAGMA data_version`` of one SQLite file, on a read-only use of a connection of its
    own. Thread-safe; never waits for a lock (a busy database reads as "unknown")."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def value(self) -> int | None:
        """The current counter, or None when it cannot be read now (treat as changed)."""
        with self._lock:
            try:
                if self._conn is None:
                    # timeout 0: a locked database answers at once (None) instead of waiting
                    self._conn = sqlite3.connect(
                        str(self.path), timeout=0, check_same_thread=False, isolation_level=None
                    )
                row = self._conn.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                self._close()
                return None
        return int(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def open_counter(url: str) -> ChangeCounter | None:
    """The counter of a SQLite file URL; None for in-memory SQLite and for other databases."""
    from modelward.store.sql.engine import sqlite_file

    if not url.startswith("sqlite"):
        return None
    path = sqlite_file(url)
    return ChangeCounter(path) if path is not None else None
