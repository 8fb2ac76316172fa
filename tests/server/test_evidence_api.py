"""Findings, waivers, governance alerts and the evidence pack over REST and on the model page."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelward.config import Settings
from modelward.governance.pack_format import verify_pack
from tests.server.conftest import TestClient, create_app
from tests.server.seed import MODEL, seed_governed
from tests.server.test_ui import sign_in

V1 = f"/api/v1/governance/models/{MODEL}/versions/1"


@pytest.fixture
def api(settings: Settings):
    team = seed_governed(settings, extra_models=0)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client, team


def soon(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def test_findings_and_waivers_over_rest(api: Any) -> None:
    client, team = api
    vera, alice, rita = (team.headers(u) for u in ("vera", "alice", "rita"))
    body = {"title": "Thin files", "severity": "high", "owner": "alice", "due": soon(30)}
    made = client.post(f"{V1}/findings", json=body, headers=vera)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "open" and made.json()["created_by"] == "vera"
    bad = client.post(f"{V1}/findings", json=body | {"severity": "huge"}, headers=vera)
    assert bad.status_code == 422 and "Unknown severity" in bad.text
    naive = client.post(f"{V1}/findings", json=body | {"due": "2030-01-01T00:00"}, headers=vera)
    assert naive.status_code == 422  # a due date needs its time zone
    status = client.get(f"{V1}/status", headers=rita).json()
    assert "findings" in status["missing"]
    asked = client.post(
        f"{V1}/waivers",
        json={"item": "findings", "reason": "review", "approver_role": "risk_manager",
              "expires": soon(10)},
        headers=alice,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    waiver = asked.json()["id"]
    rows = client.get("/api/v1/governance/inventory", headers=rita).json()["items"]
    assert rows[0]["open_findings"] == 1 and rows[0]["active_waivers"] == 0
    sign_in(client, "rita", team.tokens["rita"])
    queue = client.get("/queue").text
    assert 'data-testid="waiver-queue"' in queue and "modelward governance waive approve" in queue
    client.cookies.clear()
    mine = client.post(f"/api/v1/governance/waivers/{waiver}/approve", json={}, headers=alice)
    assert mine.status_code == 403 and "may not approve it" in mine.text
    done = client.post(f"/api/v1/governance/waivers/{waiver}/approve", json={}, headers=rita)
    assert done.status_code == 200 and done.json()["approved_by"] == "rita"
    items = {i["name"]: i for i in client.get(f"{V1}/status", headers=rita).json()["items"]}
    assert items["findings"]["met"] and items["findings"]["waiver_id"] == waiver
    listed = client.get("/api/v1/governance/waivers", params={"model": MODEL}, headers=rita)
    assert [w["id"] for w in listed.json()] == [waiver]
    alerts = client.get("/api/v1/governance/alerts", params={"within_days": 30}, headers=rita)
    assert [a["kind"] for a in alerts.json()] == ["waiver_expiring"]
    # the service answers the bound (one message for both faces), not the route
    for days in (-1, 3651):
        bad = client.get("/api/v1/governance/alerts", params={"within_days": days}, headers=rita)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "within_days"
        assert bad.json()["error"]["message"] == (
            "within_days must be between 0 and 3650 (days ahead to warn of expiring waivers),"
            f" got {days}."
        )
    assert client.get("/api/v1/governance/waivers/999/approve", headers=rita).status_code == 405
    missing = client.post("/api/v1/governance/waivers/999/approve", json={}, headers=rita)
    assert missing.status_code == 404
    assert client.patch("/api/v1/governance/findings/0", json={}, headers=vera).status_code == 422
    closed = client.patch(
        "/api/v1/governance/findings/1",
        json={"status": "resolved", "resolution": "retrained"},
        headers=vera,
    )
    assert closed.status_code == 200 and closed.json()["status"] == "resolved"


def test_evidence_pack_download_and_model_page(api: Any) -> None:
    client, team = api
    vera = team.headers("vera")
    body = {"title": "Thin files", "severity": "medium", "owner": "alice", "due": soon(30)}
    assert client.post(f"{V1}/findings", json=body, headers=vera).status_code == 201
    assert client.post("/api/v1/audit/checkpoints", headers=team.headers("alice")).is_success
    pack = client.get(f"{V1}/evidence-pack", headers=team.headers("victor"))  # a read
    assert pack.status_code == 200 and pack.headers["content-type"] == "application/zip"
    assert "attachment" in pack.headers["content-disposition"]
    check = verify_pack(pack.content)
    assert check.ok, check.problems
    assert check.manifest_sha256 == pack.headers["x-manifest-sha256"]
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        index = json.loads(archive.read("index.json"))
    assert index["parts"]["findings"]["status"] == "covered"
    assert client.get(f"/api/v1/governance/models/{MODEL}/versions/9/evidence-pack",
                      headers=vera).status_code == 404  # fmt: skip
    sign_in(client, "rita", team.tokens["rita"])
    page = client.get(f"/models/{MODEL}").text
    assert 'data-testid="findings-1"' in page and "Thin files" in page
    assert f'href="{V1}/evidence-pack"' in page
    assert client.get(f"{V1}/evidence-pack").status_code == 200  # the button, with the session
