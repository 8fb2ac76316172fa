"""The rule of the MLflow door's kept answers (`server/mlflow/dispatch.py`): an answer is given
again only while the store's change counter shows the number read before it was computed; an
unknown counter keeps nothing; callers and requests never share an answer; memory is bounded.
(tests/compat/test_mlflow_door.py checks the same against a real server and real changes.)"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from modelward.server.mlflow import dispatch


@dataclass
class Caller:
    actor: str


class Store:
    """The counter the door reads, and how often an answer was computed."""

    def __init__(self) -> None:
        self.counter: int | None = 1
        self.computed = 0

    def value(self) -> int | None:
        return self.counter

    def endpoint(self, fields: dict[str, Any], ctx: Any) -> dict[str, Any]:
        self.computed += 1
        return {"n": self.computed, "who": ctx.actor, **fields}


def _ask(door: dispatch.MlflowDoor, store: Store, actor: str = "alice", **fields: Any) -> Any:
    scope = {"method": "GET", "path": "/api/2.0/mlflow/registered-models/alias"}
    found = door._kept_or_answered(store.endpoint, dict(fields), Caller(actor), scope)  # type: ignore[arg-type]
    return asyncio.run(found)


def _door(store: Store) -> dispatch.MlflowDoor:
    return dispatch.MlflowDoor(None, {}, max_bytes=1000, max_depth=10, changes=store.value)  # type: ignore[arg-type]


def test_an_answer_is_kept_until_the_counter_moves() -> None:
    store = Store()
    door = _door(store)
    first = _ask(door, store, name="m", alias="a")
    assert _ask(door, store, name="m", alias="a") == first and store.computed == 1
    store.counter = 2  # a commit somewhere
    assert _ask(door, store, name="m", alias="a") != first and store.computed == 2
    assert _ask(door, store, name="m", alias="a") and store.computed == 2


def test_an_unknown_counter_keeps_nothing() -> None:
    store = Store()
    store.counter = None  # the database was busy
    door = _door(store)
    _ask(door, store, name="m")
    _ask(door, store, name="m")
    assert store.computed == 2


def test_callers_and_requests_never_share_an_answer() -> None:
    store = Store()
    door = _door(store)
    alice = _ask(door, store, "alice", name="m", alias="a")
    vera = _ask(door, store, "vera", name="m", alias="a")
    other = _ask(door, store, "alice", name="m", alias="b")
    assert store.computed == 3
    assert b'"who":"alice"' in alice and b'"who":"vera"' in vera and b'"alias":"b"' in other


def test_memory_is_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(dispatch, "KEPT_ANSWERS", 3)
    store = Store()
    door = _door(store)
    for i in range(7):
        _ask(door, store, name=f"m{i}")
    assert len(door._kept) <= 3
    _ask(door, store, name="x" * 2000)
    _ask(door, store, name="x" * 2000)
    assert store.computed == 9  # a long request is answered each time, never kept
