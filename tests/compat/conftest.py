"""A real `modelward server` process for scripts written against the MLflow 3 client.

The workspace has the test team (alice: data scientist + admin, rita: risk manager, vera:
validator, victor: viewer). `as_user` points the MLflow client at the server with a user's
modelward token, the way an MLflow user would: MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from modelward.config import Settings
from modelward.server.inthread import free_port
from tests.server.conftest import Team, make_team

pytest.importorskip("mlflow", reason="the compat extra (pip install '.[compat]') is not installed")

# MLflow's own code calls pandas and pydantic in ways they deprecate; not ours to fix.
THIRD_PARTY_WARNINGS = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:mlflow.*"),
]


# Low risk, as these tests assess it: the champion alias needs the assessment and one risk
# manager's sign-off (no validation report: the server does not load pickled MLflow models).
POLICY = """
policies:
  low:
    required_checks: []
    required_card_fields: []
    sign_offs: {risk_manager: 1}
    auto_promote: false
"""


@dataclass(frozen=True)
class Served:
    """The server's URL, the team's tokens and the workspace settings."""

    url: str
    team: Team
    settings: Settings

    def http(self, user: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.team.headers(user), timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`modelward server` in a subprocess over a fresh workspace (one per module)."""
    home = tmp_path_factory.mktemp("compat") / ".modelward"
    policy = home.parent / "policy.yaml"
    policy.write_text(POLICY)
    settings = Settings(home=home, user="alice", policy_file=policy)
    team = make_team(settings)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    env |= {"MODELWARD_HOME": str(home), "MODELWARD_POLICY_FILE": str(policy)}
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
        yield Served(url, team, settings)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def as_user(served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Point the MLflow client at the server as `user` (returns a function taking the user)."""
    import mlflow

    def switch(user: str) -> None:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", served.url)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", served.team.tokens[user])
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        mlflow.set_tracking_uri(served.url)

    monkeypatch.chdir(tmp_path)  # MLflow writes local scratch files (mlruns/, temp models)
    yield switch
    while mlflow.active_run() is not None:
        mlflow.end_run()
