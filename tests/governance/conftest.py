"""Governed clients: `champion` protected, a settable clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelward.client import Client
from modelward.config import Settings
from tests.governance.helpers import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gov(settings: Settings, clock: Clock) -> Iterator[Client]:
    """A client whose `champion` alias passes the governance gate."""
    made = Client(settings.model_copy(update={"protected_aliases": "champion"}))
    made.backend.clock = clock
    yield made
    made.close()
