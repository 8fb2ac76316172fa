"""A real `modelward server` process over a seeded SQLite workspace, for the attack suite.

The workspace holds a team (alice: data scientist + admin, rita: risk manager, vera:
validator, victor: viewer), alice's RUNNING run, `credit-risk` v1 and v2 (v1 champion),
and a staging deployment. Attacks must leave it as it is: `snapshot` reads what matters.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.server.inthread import free_port
from tests.builders import logged_model_run
from tests.server.conftest import Team, make_team


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
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    env |= {"MODELWARD_HOME": str(home), "MODELWARD_PROTECTED_ENVIRONMENTS": "production"}
    log = open(home.parent / "server.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "modelward.cli.main", "server", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/whoami", timeout=2).status_code in (401, 200):
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(Path(log.name).read_text(errors="replace")[-2000:])
            time.sleep(0.2)
        yield Served(url, team, settings, run_id)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
