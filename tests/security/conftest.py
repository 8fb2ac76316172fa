"""A real `modelward server` process over a seeded SQLite workspace, for the attack suite.

The workspace holds a team (alice: data scientist + admin, rita: risk manager, vera:
validator, victor: viewer), alice's RUNNING run, `credit-risk` v1 and v2 (v1 champion),
and a staging deployment. Attacks must leave it as it is: `snapshot` reads what matters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from modelward.client import Client
from modelward.config import Settings
from tests.builders import logged_model_run
from tests.server.conftest import Team, make_team
from tests.server_process import server_process


@dataclass(frozen=True)
class Served:
    """The server's URL, the team's tokens, the workspace settings and seeded ids."""

    url: str
    team: Team
    settings: Settings
    run_id: str

    def client(self, user: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.team.headers(user), timeout=30)


def seed(settings: Settings) -> tuple[Team, str]:
    team = make_team(settings)
    alice = Client(settings.model_copy(update={"user": "alice"}))
    try:
        for _ in range(2):
            alice.registry.register(logged_model_run(alice), name="credit-risk")
        alice.registry.set_alias("credit-risk", "challenger", 2)  # champion: gated
        alice.deployments.create(
            "scoring", model_uri="models:/credit-risk/1", environment="staging"
        )
        open_run = alice.tracking.start_run(experiment="credit")
        return team, open_run.id
    finally:
        alice.close()


def snapshot(settings: Settings) -> dict[str, Any]:
    """What an attack must not change: versions, aliases, deployments, runs, and the audit
    trail apart from the refusals it records."""
    client = Client(settings.model_copy(update={"user": "alice", "server_url": None}))
    try:
        with client.backend.uow(read_only=True) as uow:
            events = list(uow.audit.iter_events())
        versions = client.registry.list_versions("credit-risk")
        runs = client.tracking.search_runs(limit=100)
        return {
            "versions": [(v.version, sorted(v.aliases)) for v in versions],
            "deployments": [
                (d.name, d.environment, d.config.seq, d.killed) for d in client.deployments.list()
            ],
            "runs": sorted((r.id, r.status.value, len(r.metrics), len(r.params)) for r in runs),
            "models": [m.name for m in client.registry.list_models()],
            "users": sorted((u.name, tuple(sorted(u.roles))) for u in client.governance.users()),
            "changes": [
                (e.seq, e.action)
                for e in events
                if e.action not in ("access.denied", "gate.refused")
            ],
        }
    finally:
        client.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`modelward server` in a subprocess over a fresh, seeded workspace (one per module)."""
    home = tmp_path_factory.mktemp("security") / ".modelward"
    settings = Settings(home=home, user="alice", protected_environments="production")
    team, run_id = seed(settings)
    env = {"MODELWARD_PROTECTED_ENVIRONMENTS": "production"}
    with server_process(home, env=env) as url:
        yield Served(url, team, settings, run_id)
