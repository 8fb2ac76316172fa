"""Server fixtures: an app over the test settings, users with tokens, TestClients and a real
uvicorn server in a thread (remote mode)."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelward.client import Client
from modelward.config import Settings

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from modelward.server.app import create_app  # noqa: E402


@dataclass(frozen=True)
class Team:
    """Users of a test workspace and their tokens."""

    tokens: dict[str, str]

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


ROLES = {
    "alice": ["data_scientist", "admin"],
    "rita": ["risk_manager"],
    "vera": ["validator"],
    "victor": ["viewer"],
}


def make_team(settings: Settings) -> Team:
    """Register the users of ROLES and issue their tokens as a deployment would locally.

    Local mode cannot issue tokens for others (MODELWARD_USER proves nothing): alice gets hers
    at bootstrap, which registers her as admin; the others each issue their own.
    """
    local = Client(settings)  # acting as settings.user, alice
    try:
        tokens = {"alice": local.governance.issue_token("alice")}
        for name, roles in ROLES.items():
            local.governance.add_user(name, roles)
    finally:
        local.close()
    for name in ROLES:
        if name not in tokens:
            own = Client(settings.model_copy(update={"user": name}))
            try:
                tokens[name] = own.governance.issue_token(name)
            finally:
                own.close()
    return Team(tokens)


@pytest.fixture
def team(settings: Settings) -> Team:
    return make_team(settings)


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    """A TestClient without credentials."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as made:
        yield made


@pytest.fixture
def api(app_client: TestClient, team: Team) -> TestClient:
    """A TestClient authenticated as alice (data scientist and admin)."""
    app_client.headers.update(team.headers("alice"))
    return app_client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep a screenshot of the browser page of a failed browser test in test-artifacts/."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        from pathlib import Path

        folder = Path("test-artifacts")
        folder.mkdir(exist_ok=True)
        name = "".join(c if c.isalnum() else "_" for c in item.nodeid)[-120:]
        try:
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        except Exception:  # the browser may be gone: the failure itself matters more
            pass


def copied_workspace(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, name: str
) -> Settings:
    """Settings over a fresh copy of the migrated template database, acting as alice, with
    nothing protected (UI modules seed their own world into it)."""
    home = tmp_path_factory.mktemp(name) / ".modelward"
    home.mkdir(parents=True)
    shutil.copy(sqlite_template, home / "modelward.db")
    return Settings(home=home, user="alice", protected_aliases="", protected_environments="")


def signed_in_clients(
    settings: Settings, tokens: dict[str, str]
) -> Iterator[Callable[[str], TestClient]]:
    """Yield `login(user)`: a TestClient signed in to the web UI as `user` (closed after)."""
    from tests.server.test_ui import sign_in

    clients: list[TestClient] = []

    def login(user: str) -> TestClient:
        client = TestClient(create_app(settings), follow_redirects=False)
        client.__enter__()
        clients.append(client)
        sign_in(client, user, tokens[user])
        return client

    yield login
    for client in clients:
        client.__exit__(None, None, None)
