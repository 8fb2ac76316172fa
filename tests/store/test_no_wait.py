"""Units of work that never wait for SQLite's lock (`Workspace.uow(wait=False)`): the server
runs small MLflow calls on its event loop with them, and runs the call again in a worker thread
when one raises `WouldWait`. Nothing may be written by the attempt that gave way."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelward.config import Settings
from modelward.domain.ports import WouldWait
from modelward.workspace import Workspace


@pytest.fixture
def workspace(sqlite_settings: Settings) -> Iterator[Workspace]:
    opened = Workspace.open(sqlite_settings)
    yield opened
    opened.close()


def _holder(home: Path) -> sqlite3.Connection:
    """Another process's writer, holding the database's write lock."""
    holder = sqlite3.connect(home / "modelward.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_writer_gives_way_at_once_and_writes_nothing(workspace: Workspace) -> None:
    holder = _holder(workspace.settings.home)
    try:
        started = time.perf_counter()
        with pytest.raises(WouldWait), workspace.uow(wait=False) as uow:
            uow.tracking.create_experiment("never", at=workspace.now())
            uow.commit()
        assert time.perf_counter() - started < 5  # not the 60 s a waiting writer allows
        with workspace.uow(read_only=True, wait=False) as uow:  # readers never wait in WAL
            assert uow.tracking.find_experiment("never") is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with workspace.uow(wait=False) as uow:  # the lock is free: the same work goes through
        uow.tracking.create_experiment("now", at=workspace.now())
        uow.commit()
    with workspace.uow(read_only=True) as uow:
        assert uow.tracking.find_experiment("now") is not None


def test_a_waiting_writer_is_unchanged(workspace: Workspace) -> None:
    """The default units of work still wait for the lock, here until it is released."""
    holder = _holder(workspace.settings.home)
    release = threading.Timer(0.5, holder.execute, ("ROLLBACK",))
    release.start()
    started = time.perf_counter()
    with workspace.uow() as uow:
        uow.tracking.create_experiment("waited", at=workspace.now())
        uow.commit()
    assert time.perf_counter() - started >= 0.4  # it waited for the holder
    release.join()
    holder.close()
    with workspace.uow(read_only=True) as uow:
        assert uow.tracking.find_experiment("waited") is not None
