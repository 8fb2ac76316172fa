"""Web UI pages through TestClient: sign-in, inventory, model page, sign-off with CSRF."""

from __future__ import annotations

import re

import pytest

from modelward.config import Settings
from tests.server.conftest import TestClient, create_app
from tests.server.seed import MODEL, seed_governed


@pytest.fixture
def ui(settings: Settings):
    team = seed_governed(settings)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client, team


def login_csrf(client: TestClient) -> str:
    """The sign-in form's CSRF token (its cookie stays in the client)."""
    page = client.get("/login").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client: TestClient, user: str, token: str) -> None:
    data = {"user": user, "token": token, "next": "/", "csrf_token": login_csrf(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.text


def test_pages_need_sign_in(ui) -> None:
    client, _ = ui
    response = client.get("/")
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/")


def test_wrong_token_is_refused(ui) -> None:
    client, team = ui
    data = {"user": "rita", "token": team.tokens["victor"], "csrf_token": login_csrf(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 401
    assert "Unknown user or token" in response.text


def test_inventory_search_and_model_page(ui) -> None:
    client, team = ui
    sign_in(client, "rita", team.tokens["rita"])
    page = client.get("/", params={"q": "credit"})
    assert page.status_code == 200
    assert f'href="/models/{MODEL}"' in page.text and "churn-0" not in page.text
    assert "risk_manager" in page.text  # pending sign-off
    model = client.get(f"/models/{MODEL}")
    assert model.status_code == 200
    assert 'data-testid="risk-cell"' in model.text and "approve-1-risk_manager" in model.text
    assert client.get("/queue").text.count(f"/models/{MODEL}") == 1


def test_viewer_sees_no_approve_button_and_forged_post_is_403(ui) -> None:
    client, team = ui
    sign_in(client, "victor", team.tokens["victor"])
    model = client.get(f"/models/{MODEL}")
    assert "approve-1" not in model.text
    forged = client.post(
        f"/models/{MODEL}/versions/1/sign-off", data={"role": "risk_manager", "decision": "approve"}
    )
    assert forged.status_code == 403


def test_forged_post_without_csrf_is_403_even_for_an_approver(ui) -> None:
    client, team = ui
    sign_in(client, "rita", team.tokens["rita"])
    forged = client.post(
        f"/models/{MODEL}/versions/1/sign-off",
        data={"role": "risk_manager", "decision": "approve", "csrf": "guess"},
    )
    assert forged.status_code == 403


def test_approve_with_csrf_changes_the_stage(ui) -> None:
    client, team = ui
    sign_in(client, "rita", team.tokens["rita"])
    page = client.get(f"/models/{MODEL}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    done = client.post(
        f"/models/{MODEL}/versions/1/sign-off",
        data={"role": "risk_manager", "decision": "approve", "csrf": csrf},
    )
    assert done.status_code == 303
    after = client.get(done.headers["location"]).text
    assert 'data-testid="stage-1">approved' in after
    assert "signoff.approve" in after


def test_runs_compare_and_monitoring_pages(ui) -> None:
    client, team = ui
    sign_in(client, "alice", team.tokens["alice"])
    runs = client.get("/runs", params={"filter": "metrics.auc > 0.5"})
    ids = re.findall(r'name="id" value="([^"]+)"', runs.text)
    assert len(ids) == 4
    compare = client.get("/runs/compare", params={"id": ids[:2]})
    assert compare.status_code == 200 and "data-plot" in compare.text
    assert client.get("/monitoring").status_code == 200
    bad = client.get("/runs", params={"filter": "metrics.auc >>> 1"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text


def test_model_graph_page(ui, settings: Settings) -> None:
    from tests.server.seed import as_user

    client, team = ui
    alice = as_user(settings, "alice")
    alice.graph.declare(MODEL, "models:/churn-0@champion")
    alice.graph.declare("churn-1", f"models:/{MODEL}/1", dataset="<scores>")
    alice.close()
    sign_in(client, "rita", team.tokens["rita"])
    page = client.get(f"/models/{MODEL}/graph")
    assert page.status_code == 200
    svg = page.text.split('data-testid="model-graph"')[1].split("</svg>")[0]
    # three nodes in three columns, two arrows; the data set name is escaped in the table
    assert [m for m in ("churn-0", MODEL, "churn-1") if f'data-model="{m}"' in svg] == [
        "churn-0", MODEL, "churn-1",
    ]  # fmt: skip
    assert svg.count("<line ") == 2 and "high risk" in svg  # 4 x 3 = 12: high
    assert "&lt;scores&gt;" in page.text and "<scores>" not in page.text
    assert "upstream 1" in page.text and "downstream 1" in page.text
    inventory = client.get("/", params={"q": "churn-0"}).text
    assert '<a href="/models/churn-0/graph">1</a>' in inventory
    assert 'data-testid="graph-link"' in client.get(f"/models/{MODEL}").text
