"""A real `modelward server` process for scripts written against the MLflow 3 client.

The workspace has the test team (alice: data scientist + admin, rita: risk manager, vera:
validator, victor: viewer). `as_user` points the MLflow client at the server with a user's
modelward token, the way an MLflow user would: MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from modelward.config import Settings
from tests.server.conftest import Team, make_team
from tests.server_process import server_process

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
    env = {"MODELWARD_POLICY_FILE": str(policy)}
    with server_process(home, env=env) as url:
        yield Served(url, team, settings)


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
