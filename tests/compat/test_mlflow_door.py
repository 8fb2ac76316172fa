"""The MLflow door (`server/mlflow/dispatch.py`) answers the MLflow client's JSON calls in front
of the app's middleware: each guarantee the middleware gives every other route is checked here
on the door's own routes, against a real `modelward server` process. And the answers it keeps
for repeated reads follow every change, whoever makes it: this server, another process through
the CLI, a revocation.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelward.client import Client
from modelward.config import Settings
from tests.builders import logged_model_run
from tests.compat.conftest import THIRD_PARTY_WARNINGS, Served

pytestmark = [pytest.mark.slow, *THIRD_PARTY_WARNINGS]
API = "/api/2.0/mlflow"
ALIAS = f"{API}/registered-models/alias"
MODEL = "door-model"
SECURITY = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@pytest.fixture(scope="module")
def two_versions(served: Served) -> Iterator[Client]:
    """Model `door-model` with versions 1 and 2 (registered locally by alice), `challenger`
    on version 1; yields alice's local client (its own connections to the same database)."""
    local = Client(served.settings)
    for _ in range(2):
        local.registry.register(logged_model_run(local), name=MODEL)
    local.registry.set_alias(MODEL, "challenger", 1)
    yield local
    local.close()


def _alias(http: httpx.Client, alias: str = "challenger") -> httpx.Response:
    return http.get(ALIAS, params={"name": MODEL, "alias": alias})


def _cli(served: Served, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    env |= {"MODELWARD_HOME": str(served.settings.home), "MODELWARD_USER": "alice"}
    command = [sys.executable, "-m", "modelward.cli.main", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def test_answers_carry_the_request_id_and_security_headers(
    served: Served, two_versions: Client
) -> None:
    with served.http("victor") as http:
        found = http.get(ALIAS, params={"name": MODEL, "alias": "challenger"})
        missing = http.get(ALIAS, headers={"X-Request-ID": "trace-42"}, params={"name": "nope"})
    assert found.status_code == 200
    assert found.json()["model_version"]["version"] == "1"
    assert len(found.headers["x-request-id"]) == 32  # one made up for the request
    assert missing.status_code == 400
    assert missing.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert missing.headers["x-request-id"] == "trace-42"  # the client's own, echoed
    for answer in (found, missing):
        assert {k: answer.headers.get(k) for k in SECURITY} == SECURITY
        assert answer.headers["content-type"] == "application/json"


def test_no_token_or_a_bad_one_is_refused_before_anything_is_read(
    served: Served, two_versions: Client
) -> None:
    anonymous = httpx.get(f"{served.url}{ALIAS}", params={"name": MODEL, "alias": "challenger"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error_code"] == "UNAUTHENTICATED"
    forged = httpx.get(
        f"{served.url}{ALIAS}",
        params={"name": MODEL, "alias": "challenger"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert forged.status_code == 401 and forged.json()["error_code"] == "UNAUTHENTICATED"


def test_bodies_over_the_limit_or_too_deep_or_not_objects_are_refused(served: Served) -> None:
    limit = served.settings.max_request_bytes
    with served.http("alice") as http:
        declared = http.post(f"{API}/experiments/create", content=b"{" + b" " * limit + b"}")

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            yield b'{"name": "'
            for _ in range(limit // 65536 + 1):
                yield b"x" * 65536
            yield b'"}'

        streamed = http.post(f"{API}/experiments/create", content=chunks())
        deep = http.post(f"{API}/experiments/create", content=b"[" * 5000 + b"]" * 5000)
        broken = http.post(f"{API}/experiments/create", content=b'{"name": ')
        listed = http.post(f"{API}/experiments/create", json=["name"])
    for answer in (declared, streamed):
        assert answer.status_code == 413, answer.text
        assert answer.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert str(limit) in answer.json()["message"]
    assert deep.status_code == 400 and "nested more than" in deep.json()["message"]
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["message"]
    assert listed.status_code == 400 and "JSON object" in listed.json()["message"]
    for answer in (deep, broken, listed):
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    with served.http("alice") as http:  # nothing of it was created
        search = http.post(f"{API}/experiments/search", json={"max_results": 1000}).json()
    assert all(len(e["name"]) < 100 for e in search.get("experiments", []))


def test_a_kept_answer_follows_changes_by_this_server_and_by_the_cli(
    served: Served, two_versions: Client
) -> None:
    with served.http("alice") as http:
        assert _alias(http).json()["model_version"]["version"] == "1"
        assert _alias(http).json()["model_version"]["version"] == "1"  # kept
        moved = http.post(ALIAS, json={"name": MODEL, "alias": "challenger", "version": "2"})
        assert moved.status_code == 200, moved.text
        assert _alias(http).json()["model_version"]["version"] == "2"  # this server's write

        done = _cli(served, "models", "alias", "set", MODEL, "challenger", "1")
        assert done.returncode == 0, done.stderr
        assert _alias(http).json()["model_version"]["version"] == "1"  # another process's

        gone = _cli(served, "models", "alias", "delete", MODEL, "challenger")
        assert gone.returncode == 0, gone.stderr
        missing = _alias(http)
        assert missing.status_code == 404, missing.text
        assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        two_versions.registry.set_alias(MODEL, "challenger", 1)  # as the fixture left it
        assert _alias(http).json()["model_version"]["version"] == "1"


def test_a_kept_answer_is_never_given_to_a_revoked_token(
    served: Served, two_versions: Client
) -> None:
    with served.http("alice") as admin:
        issued = admin.post("/api/v1/tokens", json={"user": "vera", "label": "door"}).json()
        headers = {"Authorization": f"Bearer {issued['token']}"}
        with httpx.Client(base_url=served.url, headers=headers, timeout=30) as http:
            assert _alias(http).status_code == 200
            assert _alias(http).status_code == 200  # kept for vera
            revoked = admin.post(f"/api/v1/tokens/{issued['id']}/revoke")
            assert revoked.status_code == 200, revoked.text
            refused = _alias(http)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error_code"] == "UNAUTHENTICATED"


def test_the_access_log_has_one_line_per_request_after_the_answer(
    served: Served, two_versions: Client
) -> None:
    with served.http("victor") as http:
        _alias(http, "no-such-alias")
        http.get("/api/v1/whoami", headers={"X-Request-ID": "whoami-7"})
    log = (served.settings.home.parent / "server.log").read_text(errors="replace")
    lines = [line for line in log.splitlines() if '"GET ' in line]
    assert any(f'"GET {ALIAS} HTTP/1.1" 404 ' in line for line in lines)  # the door's
    whoami = [line for line in lines if '"GET /api/v1/whoami HTTP/1.1" 200 ' in line]
    assert whoami and whoami[-1].endswith("ms whoami-7")  # time taken, then the request id
    assert "?" not in "".join(lines)  # no query string: part URLs carry their signature there


def test_a_bug_behind_the_door_is_a_500_naming_the_request_id_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient

    from modelward.server.app import create_app
    from tests.server.conftest import make_team

    settings = Settings(home=tmp_path / ".modelward", user="alice")
    team = make_team(settings)
    app = create_app(settings)
    assert app.door is not None

    def broken(fields: dict[str, Any], ctx: Any) -> dict[str, Any]:
        raise RuntimeError("secret detail")

    app.door[("GET", ALIAS)] = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get(ALIAS, headers=team.headers("alice") | {"X-Request-ID": "bug-1"})
    assert answer.status_code == 500
    body = answer.json()
    assert body["error_code"] == "INTERNAL_ERROR" and "bug-1" in body["message"]
    assert "secret detail" not in answer.text
    assert answer.headers["x-request-id"] == "bug-1"
    assert answer.headers["x-frame-options"] == "DENY"
    assert any("bug-1" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_web_session_needs_its_csrf_token_at_the_door_too(tmp_path: Path) -> None:
    """A form another site posts with the victim's session cookie is refused; the session's
    own token in the form passes authentication (and the form is then no JSON body)."""
    import re

    from tests.server.conftest import make_team, signed_in_clients

    settings = Settings(home=tmp_path / ".modelward", user="alice")
    team = make_team(settings)
    for login in signed_in_clients(settings, team.tokens):
        browser = login("alice")
        token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/").text)
        assert token is not None
        forged = browser.post(f"{API}/experiments/create", data={"name": "forged"})
        assert forged.status_code == 403, forged.text
        assert forged.json()["error_code"] == "PERMISSION_DENIED"
        own = browser.post(
            f"{API}/experiments/create", data={"name": "x", "csrf_token": token.group(1)}
        )
        assert own.status_code == 400 and "not valid JSON" in own.json()["message"]
        read = browser.get(f"{API}/experiments/get-by-name", params={"experiment_name": "forged"})
        assert read.status_code == 404  # nothing was created; a GET needs no token
        assert read.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_a_quick_write_behind_another_writers_lock_waits_without_holding_up_the_server(
    served: Served, two_versions: Client
) -> None:
    """`log-metric` is quick (`protocol.quick`): run on the event loop while SQLite's lock is
    free. With another process holding the lock it is run again in a worker thread, where it
    waits; meanwhile the server answers others, and the value is written once the lock goes."""
    with served.http("alice") as http, served.http("victor") as other:
        made = http.post(f"{API}/experiments/create", json={"name": "door-lock"})
        created = http.post(
            f"{API}/runs/create", json={"experiment_id": made.json()["experiment_id"]}
        )
        run_id = created.json()["run"]["info"]["run_id"]
        metric = {"run_id": run_id, "key": "loss", "value": 0.25, "step": 3, "timestamp": 7}
        holder = sqlite3.connect(served.settings.home / "modelward.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's writer
        with ThreadPoolExecutor(1) as pool:
            try:
                pending = pool.submit(http.post, f"{API}/runs/log-metric", json=metric)
                time.sleep(1.0)
                assert not pending.done()  # waiting for the lock
                started = time.perf_counter()
                answered = _alias(other)  # the event loop is not the one waiting
                assert answered.status_code == 200, answered.text
                assert time.perf_counter() - started < 0.9  # well before the lock goes
                assert not pending.done()
            finally:
                holder.execute("COMMIT")
                holder.close()
            logged = pending.result(timeout=30)
        assert logged.status_code == 200, logged.text
        history = http.get(
            f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}
        )
    assert [(m["step"], m["value"]) for m in history.json()["metrics"]] == [(3, 0.25)]
