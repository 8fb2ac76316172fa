"""REST API routes through TestClient(create_app(settings)): auth, errors, tracking, registry."""

from __future__ import annotations

import pytest

from modelward.errors import ModelwardError, all_error_classes
from modelward.server.errors import HTTP_STATUS
from tests.server.conftest import Team


@pytest.mark.parametrize("exc_type", all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_is_mapped_on_purpose(exc_type: type[ModelwardError]) -> None:
    nearest = next(cls for cls in exc_type.__mro__ if cls in HTTP_STATUS)
    assert nearest is not ModelwardError or exc_type is ModelwardError, (
        f"{exc_type.__name__} falls back to 500"
    )


def test_no_token_is_401(app_client) -> None:
    response = app_client.get("/api/v1/experiments")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_wrong_token_is_401(app_client, team: Team) -> None:
    response = app_client.get("/api/v1/experiments", headers={"Authorization": "Bearer mw_nope"})
    assert response.status_code == 401


def test_malformed_body_is_422_naming_the_field(api) -> None:
    response = api.post("/api/v1/runs", json={"experiment": 5, "tags": "x"})
    error = response.json()["error"]
    assert response.status_code == 422
    assert (error["code"], error["field"]) == ("invalid_input", "experiment")


def test_unknown_run_is_404(api) -> None:
    response = api.get("/api/v1/runs/nope")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_run_lifecycle_is_attributed_to_the_token_user(api, team: Team) -> None:
    run = api.post("/api/v1/runs", json={"experiment": "exp", "tags": {"t": "1"}}).json()
    assert run["user"] == "alice"
    batch = {"params": {"C": "1.0"}, "metrics": [{"key": "auc", "value": 0.9, "step": 1}]}
    assert api.post(f"/api/v1/runs/{run['id']}/batch", json=batch).status_code == 204
    assert api.post(f"/api/v1/runs/{run['id']}/end", json={"status": "FINISHED"}).status_code == 204
    got = api.get(f"/api/v1/runs/{run['id']}").json()
    assert (got["status"], got["params"], got["metrics"]) == (
        "FINISHED",
        {"C": "1.0"},
        {"auc": 0.9},
    )
    history = api.get(f"/api/v1/runs/{run['id']}/metrics/auc").json()
    assert [m["value"] for m in history] == [0.9]
    found = api.post("/api/v1/runs/search", json={"filter": "metrics.auc > 0.5"}).json()
    assert [r["id"] for r in found] == [run["id"]]


def test_conflicting_param_is_409(api) -> None:
    run = api.post("/api/v1/runs", json={"experiment": "exp"}).json()
    api.post(f"/api/v1/runs/{run['id']}/batch", json={"params": {"C": "1"}})
    response = api.post(f"/api/v1/runs/{run['id']}/batch", json={"params": {"C": "2"}})
    assert response.status_code == 409


def test_blobs_are_content_addressed_and_verified(api) -> None:
    import hashlib

    data = b"hello"
    sha = hashlib.sha256(data).hexdigest()
    assert api.put(f"/api/v1/blobs/{sha}", content=data).status_code == 200
    assert api.get(f"/api/v1/blobs/{sha}").content == data
    wrong = api.put(f"/api/v1/blobs/{'0' * 64}", content=data)
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (422, "sha256")


@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "a/../../b", "%2e%2e/x"]
)
def test_no_path_traversal(api, path: str) -> None:
    assert api.get(f"/api/v1/blobs/{path}").status_code in (404, 422)
    run = api.post("/api/v1/runs", json={"experiment": "exp"}).json()
    response = api.get(f"/api/v1/runs/{run['id']}/artifacts/{path}")
    assert response.status_code in (404, 422)
    logged = api.post(f"/api/v1/runs/{run['id']}/artifacts", params={"path": path}, content=b"x")
    # a recorded name, never a file path: '..' and '%' are refused, anything else is a key
    assert logged.status_code == (422 if ".." in path or "%" in path else 201)


def test_request_size_limit_is_413(settings, team: Team) -> None:
    from tests.server.conftest import TestClient, create_app

    small = settings.model_copy(update={"max_request_bytes": 1000})
    with TestClient(create_app(small), headers=team.headers("alice")) as client:
        response = client.put(f"/api/v1/blobs/{'0' * 64}", content=b"x" * 5000)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "request_too_large")


def test_unexpected_errors_are_generic_500(api, monkeypatch) -> None:
    from modelward.tracking import service

    def boom(*args, **kwargs):
        raise RuntimeError("secret database text")

    monkeypatch.setattr(service, "list_experiments", boom)
    response = api.get("/api/v1/experiments")
    error = response.json()["error"]
    assert response.status_code == 500
    assert error["code"] == "internal_error" and "secret" not in error["message"]
    assert error["request_id"] == response.headers["x-request-id"]


def test_users_and_tokens(api, app_client, team: Team) -> None:
    assert api.get("/api/v1/whoami").json()["user"] == "alice"
    created = api.post("/api/v1/users", json={"name": "otto", "roles": ["operations"]})
    assert created.status_code == 201
    token = api.post("/api/v1/tokens", json={"user": "otto"}).json()["token"]
    me = app_client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["user"], me["roles"]) == ("otto", ["operations"])
    denied = app_client.post(
        "/api/v1/tokens", json={"user": "alice"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert denied.status_code == 403


def test_deployments_and_monitoring_endpoints(api, settings) -> None:
    from modelward.client import Client
    from tests.builders import logged_model_run

    local = Client(settings)
    run_id = logged_model_run(local)
    local.registry.register(run_id, name="scorer")
    local.close()
    body = {"name": "scoring", "environment": "staging", "model_uri": "models:/scorer/1"}
    created = api.post("/api/v1/deployments", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["created_by"] == "alice"
    killed = api.post("/api/v1/deployments/scoring/kill", json={"reason": "incident"}).json()
    assert killed["killed"] is True
    assert api.get("/api/v1/monitoring/deployments/scoring/windows").json() == []
    assert api.get("/api/v1/monitoring/alerts", params={"deployment": "scoring"}).json() == []
    assert api.post("/api/v1/monitoring/alerts/99/ack", json={"comment": "seen"}).status_code == 404
    assert api.get("/monitoring/scoring").status_code == 200
