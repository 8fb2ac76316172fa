"""Identity that can be trusted (security issue #11, item 6), against a real uvicorn server
over HTTP: tokens expire and can be revoked at once, a signed-out session cookie is dead,
cookie-authenticated writes need the CSRF token (on the API too), the sign-in form has one,
and local mode cannot mint tokens for others or for admins."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from modelward.cli.main import app as cli_app
from modelward.client import Client
from modelward.config import Settings
from modelward.server.app import create_app
from modelward.server.deps import Platform
from tests.server.conftest import Team, make_team
from tests.serving.server import serve_in_thread, wait_for

API = "/api/v1"
runner = CliRunner()


@dataclass
class Served:
    url: str
    team: Team
    platform: Platform

    def bearer(self, user: str) -> httpx.Client:
        """An API client with `user`'s token."""
        headers = {"Authorization": f"Bearer {self.team.tokens[user]}"}
        return httpx.Client(base_url=self.url, headers=headers)

    def browser(self) -> httpx.Client:
        """A cookie-keeping client, as a browser is."""
        return httpx.Client(base_url=self.url)


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    """The team (alice admin, rita risk_manager, vera validator, victor viewer) on a real server."""
    team = make_team(settings)
    made = create_app(settings)
    with serve_in_thread(made) as url:
        yield Served(url, team, made.state.platform)


def login_csrf(browser: httpx.Client) -> str:
    page = browser.get("/login")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(browser: httpx.Client, user: str, token: str) -> str:
    """Sign in through the form; returns the session's CSRF token from the inventory page."""
    data = {"user": user, "token": token, "next": "/", "csrf_token": login_csrf(browser)}
    response = browser.post("/login", data=data)
    assert response.status_code == 303, response.text
    page = browser.get("/")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def token_id(served: Served, user: str) -> int:
    with served.bearer("alice") as admin:
        found = admin.get(f"{API}/tokens", params={"user": user}).json()
    assert len(found) == 1 and "token" not in found[0] and "token_hash" not in found[0]
    return int(found[0]["id"])


def user_names(served: Served) -> list[str]:
    with served.bearer("alice") as admin:
        return [u["name"] for u in admin.get(f"{API}/users").json()]


# -- tokens ---------------------------------------------------------------------------------


def test_token_expires_after_its_lifetime(served: Served) -> None:
    with served.bearer("rita") as rita:
        assert rita.get(f"{API}/whoami").status_code == 200
        issued = served.platform.clock()
        # 90 days (the default) and a minute later, by the server's own clock
        served.platform.clock = lambda: issued + timedelta(days=90, minutes=1)
        served.platform.forget_tokens()
        refused = rita.get(f"{API}/whoami")
    error = refused.json()["error"]
    assert refused.status_code == 401
    assert error["code"] == "unauthenticated" and error["reason"] == "expired"
    assert "expired on" in error["message"] and "modelward users token rita" in error["message"]


def test_issued_token_has_the_asked_lifetime(served: Served) -> None:
    with served.bearer("alice") as admin:
        made = admin.post(f"{API}/tokens", json={"user": "rita", "expires_days": 7}).json()
        too_long = admin.post(f"{API}/tokens", json={"user": "rita", "expires_days": 400})
    lifetime = datetime.fromisoformat(made["expires_at"]) - served.platform.clock()
    # issued a moment ago: 7 days minus the seconds the request took
    assert timedelta(days=7) - timedelta(seconds=30) < lifetime <= timedelta(days=7)
    assert too_long.status_code == 422


def test_revoked_token_is_refused_at_once(served: Served) -> None:
    with served.bearer("rita") as rita:
        assert rita.get(f"{API}/whoami").status_code == 200  # now in the server's token cache
        with served.bearer("alice") as admin:
            revoked = admin.post(f"{API}/tokens/{token_id(served, 'rita')}/revoke")
        assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "alice"
        refused = rita.get(f"{API}/whoami")
    assert refused.status_code == 401
    assert "was revoked on" in refused.json()["error"]["message"]


def test_others_tokens_need_manage_roles(served: Served) -> None:
    with served.bearer("victor") as victor:
        listed = victor.get(f"{API}/tokens").json()
        assert [t["user"] for t in listed] == ["victor"]  # a non-admin sees only their own
        assert victor.get(f"{API}/tokens", params={"user": "rita"}).status_code == 403
        rita_id = token_id(served, "rita")
        assert victor.post(f"{API}/tokens/{rita_id}/revoke").status_code == 403
        assert victor.post(f"{API}/tokens", json={"user": "rita"}).status_code == 403
    with served.bearer("rita") as rita:
        assert rita.get(f"{API}/whoami").status_code == 200


def test_last_use_is_written_without_a_write_per_request(served: Served) -> None:
    with served.bearer("vera") as vera:
        for _ in range(3):
            assert vera.get(f"{API}/whoami").status_code == 200
    with served.bearer("alice") as admin:
        found = admin.get(f"{API}/tokens", params={"user": "vera"}).json()[0]
    assert found["last_used_at"] is not None


def test_local_revocation_reaches_the_server_within_five_seconds(
    served: Served, settings: Settings
) -> None:
    with served.bearer("vera") as vera:
        assert vera.get(f"{API}/whoami").status_code == 200
        home = ["--home", str(settings.home)]
        env = {"MODELWARD_USER": "vera", "MODELWARD_DB_URL": settings.resolved_db_url()}
        result = runner.invoke(cli_app, [*home, "users", "revoke", "vera"], env=env)
        assert result.exit_code == 0, result.output
        assert "1 token(s)" in result.stdout
        wait_for(lambda: vera.get(f"{API}/whoami").status_code == 401, timeout=6.0)


# -- sessions ---------------------------------------------------------------------------------


def test_signed_out_session_cookie_is_refused(served: Served) -> None:
    with served.browser() as browser:
        csrf = sign_in(browser, "rita", served.team.tokens["rita"])
        stolen = browser.cookies["modelward_session"]
        assert browser.post("/logout", data={"csrf": csrf}).status_code == 303
    with httpx.Client(base_url=served.url, cookies={"modelward_session": stolen}) as replay:
        refused = replay.get(f"{API}/whoami")
    assert refused.status_code == 401
    assert "signed out or revoked" in refused.json()["error"]["message"]


def test_revoking_a_user_ends_their_sessions(served: Served) -> None:
    with served.browser() as browser:
        sign_in(browser, "rita", served.team.tokens["rita"])
        assert browser.get(f"{API}/whoami").json()["user"] == "rita"
        with served.bearer("alice") as admin:
            ended = admin.post(f"{API}/users/rita/revoke").json()
        assert (ended["tokens"], ended["sessions"]) == (1, 1)
        assert browser.get(f"{API}/whoami").status_code == 401
    with served.bearer("rita") as rita:
        assert rita.get(f"{API}/whoami").status_code == 401


def test_revoking_a_token_ends_the_sessions_signed_in_with_it(served: Served) -> None:
    with served.browser() as browser:
        sign_in(browser, "vera", served.team.tokens["vera"])
        assert browser.get(f"{API}/whoami").json()["user"] == "vera"
        with served.bearer("alice") as admin:
            admin.post(f"{API}/tokens/{token_id(served, 'vera')}/revoke").raise_for_status()
        ended = browser.get(f"{API}/whoami")
    assert ended.status_code == 401 and "sign in again" in ended.json()["error"]["message"]


def test_sign_in_form_needs_its_csrf_token(served: Served) -> None:
    with served.browser() as browser:
        login_csrf(browser)  # the cookie is there, but the cross-site form cannot read it
        data = {"user": "rita", "token": served.team.tokens["rita"], "next": "/"}
        missing = browser.post("/login", data=data)
        forged = browser.post("/login", data=data | {"csrf_token": "0" * 64})
        assert (missing.status_code, forged.status_code) == (403, 403)
        assert "modelward_session" not in browser.cookies
        assert browser.get(f"{API}/whoami").status_code == 401


# -- CSRF on the API ------------------------------------------------------------------------------


def test_cookie_authenticated_api_write_needs_the_csrf_token(served: Served) -> None:
    with served.browser() as browser:
        csrf = sign_in(browser, "alice", served.team.tokens["alice"])
        body = {"name": "mallory", "roles": ["admin"]}
        refused = browser.post(f"{API}/users", json=body)
        assert refused.status_code == 403
        assert "X-CSRF-Token" in refused.json()["error"]["message"]
        assert "mallory" not in user_names(served)
        wrong = browser.post(f"{API}/users", json=body, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403 and "mallory" not in user_names(served)
        made = browser.post(f"{API}/users", json=body, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201
    assert "mallory" in user_names(served)


def test_cross_site_form_post_to_the_api_changes_nothing(served: Served) -> None:
    # What a page on another port of the same host does: a body-less form post to a write.
    rita_id = token_id(served, "rita")
    with served.browser() as browser:
        csrf = sign_in(browser, "alice", served.team.tokens["alice"])
        forged = browser.post(f"{API}/tokens/{rita_id}/revoke", data={"x": "1"})
        assert forged.status_code == 403
        with served.bearer("rita") as rita:
            assert rita.get(f"{API}/whoami").status_code == 200
        meant = browser.post(f"{API}/tokens/{rita_id}/revoke", data={"csrf_token": csrf})
        assert meant.status_code == 200
    with served.bearer("rita") as rita:
        assert rita.get(f"{API}/whoami").status_code == 401


def test_bearer_requests_need_no_csrf_token(served: Served) -> None:
    with served.bearer("alice") as admin:
        made = admin.post(f"{API}/users", json={"name": "olga", "roles": ["viewer"]})
    assert made.status_code == 201


# -- local mode -------------------------------------------------------------------------------


def invoke(home: Path, user: str, *args: str) -> tuple[int, str, str]:
    env = {"COLUMNS": "200", "MODELWARD_USER": user}
    result = runner.invoke(cli_app, ["--home", str(home), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def workspace(sqlite_settings: Settings) -> Path:
    """A workspace whose first user `admin` got their token at bootstrap, plus rita."""
    home = sqlite_settings.home
    code, out, _ = invoke(home, "admin", "users", "token", "admin", "--label", "bootstrap")
    assert code == 0 and out.startswith("mw_")
    code, _, _ = invoke(home, "admin", "users", "add", "rita", "--role", "risk_manager")
    assert code == 0
    return home


def test_bootstrap_token_makes_the_first_user_admin(workspace: Path) -> None:
    code, out, _ = invoke(workspace, "admin", "users", "whoami")
    assert code == 0 and "admin" in out and "single-user" not in out


def test_local_admin_token_is_refused_whoever_claims_to_be_admin(workspace: Path) -> None:
    code, out, err = invoke(workspace, "rita", "users", "token", "admin")
    assert (code, out) == (6, "")
    assert "issue tokens for other users through the server as an admin" in err
    code, out, err = invoke(workspace, "admin", "users", "token", "admin")
    assert (code, out) == (6, "")
    assert "MODELWARD_USER is not authenticated" in err


def test_local_token_for_another_user_is_refused(workspace: Path) -> None:
    code, out, err = invoke(workspace, "admin", "users", "token", "rita")
    assert (code, out) == (6, "")
    assert err.startswith("Error: ") and "let rita run 'modelward users token rita'" in err


def test_own_local_token_for_a_non_admin(workspace: Path) -> None:
    code, out, err = invoke(workspace, "rita", "users", "token", "rita", "--expires-days", "7")
    assert code == 0 and out.startswith("mw_") and "expires in 7 days" in err
    code, _, _ = invoke(workspace, "rita", "users", "token", "rita", "--expires-days", "0")
    assert code == 2


def test_break_glass_only_when_no_admin_can_sign_in(workspace: Path) -> None:
    code, _, err = invoke(workspace, "admin", "users", "token", "admin", "--break-glass")
    assert code == 6 and "Break glass is refused" in err
    code, _, _ = invoke(workspace, "admin", "users", "revoke", "admin")
    assert code == 0
    code, out, _ = invoke(workspace, "admin", "users", "token", "admin", "--break-glass")
    assert code == 0 and out.startswith("mw_")
    local = Client(Settings(home=workspace, user="admin"))
    try:
        newest = local.governance.audit_events(entity_type="user", entity_id="admin", limit=1)[0]
    finally:
        local.close()
    assert (newest.action, newest.actor) == ("token.issued", "admin")
    assert newest.after is not None and newest.after["break_glass"] is True


def test_tokens_list_and_revoke_never_show_the_secret(workspace: Path) -> None:
    code, token, _ = invoke(workspace, "rita", "users", "token", "rita", "--label", "laptop")
    assert code == 0
    code, out, _ = invoke(workspace, "admin", "tokens", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and [t["user"] for t in listed] == ["admin", "rita"]
    assert token.strip() not in out and "token_hash" not in out
    code, out, _ = invoke(workspace, "rita", "tokens", "list")
    assert code == 0 and "laptop" in out and "bootstrap" not in out  # only rita's own
    rita_id = str(listed[1]["id"])
    code, _, err = invoke(workspace, "rita", "tokens", "revoke", str(listed[0]["id"]))
    assert code == 6 and "manage_roles" in err
    code, out, _ = invoke(workspace, "rita", "tokens", "revoke", rita_id)
    assert code == 0 and f"Token {rita_id} of rita is revoked." in out
    code, _, err = invoke(workspace, "rita", "tokens", "revoke", "999")
    assert code == 3 and "No API token has id 999" in err


def test_remote_client_issues_lists_and_revokes(served: Served, settings: Settings) -> None:
    remote = Client(
        settings.model_copy(update={"server_url": served.url, "token": served.team.tokens["alice"]})
    )
    try:
        token = remote.governance.issue_token("victor", label="ci", expires_days=3)
        listed = remote.governance.tokens("victor")
        assert [t.label for t in listed] == ["", "ci"]
        assert all(t.token_hash == "" for t in listed)  # the hash stays on the server
        revoked = remote.governance.revoke_token(listed[1].id)
        assert revoked.revoked_by == "alice"
        with httpx.Client(base_url=served.url) as anyone:
            refused = anyone.get(f"{API}/whoami", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
        ended = remote.governance.revoke_user("victor")
        assert (ended.user, ended.tokens) == ("victor", 1)
    finally:
        remote.close()
