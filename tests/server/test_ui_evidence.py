"""The evidence pages through TestClient: findings and waivers on the model page (forms by
role, separation of duties shown next to the form), the data-protection page (settings,
erasure whose audit event names nobody), the run page's reproducibility section, and a
viewer refused everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.server.conftest import TestClient, copied_workspace, create_app, signed_in_clients
from tests.server.seed import MODEL
from tests.server.seed_evidence import DEPLOYMENT, SUBJECT, seed_evidence
from tests.server.test_ui import sign_in
from tests.server.test_ui_governance import csrf_of


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> object:
    settings = copied_workspace(tmp_path_factory, sqlite_template, "ui-evidence")
    return settings, seed_evidence(settings)


@pytest.fixture
def as_user(world) -> Iterator[object]:
    settings, team = world
    yield from signed_in_clients(settings, team.tokens)


def flash_after(client: TestClient, response) -> tuple[str, str]:
    """(kind, text) of the message the redirect left, and the page it left it on."""
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"].split("#")[0]).text
    found = re.search(r'data-testid="flash(-error)?">(.*?)</p>', page, re.S)
    assert found, "no message on the page"
    return ("error" if found.group(1) else "ok"), found.group(2)


def _in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def test_a_finding_a_waiver_and_its_approval_by_the_named_role(as_user) -> None:
    vera, alice, rita = as_user("vera"), as_user("alice"), as_user("rita")
    url = f"/models/{MODEL}"
    page = vera.get(url).text
    assert 'data-testid="record-finding-1"' in page
    kind, text = flash_after(
        vera,
        vera.post(
            f"{url}/versions/1/findings",
            data={
                "title": "Unstable on thin files",
                "severity": "high",
                "owner": "alice",
                "due": _in_days(10),
                "detail": "AUC 0.61 below 3 months of history",
                "csrf": csrf_of(page),
            },  # fmt: skip
        ),
    )
    assert kind == "ok" and "recorded on credit-risk v1" in text
    page = alice.get(url).text
    findings = re.search(r'data-testid="findings-1">(.*?)</table>', page, re.S).group(1)
    assert "Unstable on thin files" in findings and "high" in findings and _in_days(10) in findings
    checklist = re.search(r'data-testid="checklist-1">(.*?)</ul>', page, re.S).group(1)
    assert "open high/critical finding" in checklist
    # the data scientist asks for a waiver of the findings item; she may not approve it
    assert 'data-testid="request-waiver-1"' in page and "approve-waiver-" not in page
    kind, text = flash_after(
        alice,
        alice.post(
            f"{url}/versions/1/waivers",
            data={
                "item": "findings",
                "reason": "fixed in v2, due next month",
                "approver_role": "risk_manager",
                "expires": _in_days(20),
                "csrf": csrf_of(page),
            },  # fmt: skip
        ),
    )
    assert kind == "ok" and "a risk_manager must approve it" in text
    waiver_id = int(re.findall(r'data-testid="waiver-(\d+)"', alice.get(url).text)[-1])
    # the risk manager approves it: the item passes, saying it is waived
    page = rita.get(url).text
    assert f'data-testid="approve-waiver-{waiver_id}"' in page
    kind, text = flash_after(
        rita,
        rita.post(
            f"{url}/waivers/{waiver_id}/approve",
            data={"comment": "accepted until v2", "version": "1", "csrf": csrf_of(page)},
        ),
    )
    assert kind == "ok" and f"Waiver {waiver_id} approved" in text
    page = rita.get(url).text
    assert f'data-testid="waiver-state-{waiver_id}">active' in page
    assert "approved by rita as risk_manager" in page
    checklist = re.search(r'data-testid="checklist-1">(.*?)</ul>', page, re.S).group(1)
    assert "waived until" in checklist and f"waiver {waiver_id}" in checklist
    # the audit trail has all three steps
    trail = rita.get("/audit", params={"model": MODEL}).text
    for action in ("finding.recorded", "waiver.requested", "waiver.approved"):
        assert action in trail


def test_the_requester_is_refused_next_to_the_form(as_user) -> None:
    rita = as_user("rita")
    url = f"/models/{MODEL}"
    page = rita.get(url).text
    flash_after(
        rita,
        rita.post(
            f"{url}/versions/1/waivers",
            data={
                "item": "sign_off.risk_manager",
                "reason": "committee meets late",
                "approver_role": "risk_manager",
                "expires": _in_days(5),
                "csrf": csrf_of(page),
            },  # fmt: skip
        ),
    )
    page = rita.get(url).text
    waiver_id = int(re.findall(r'data-testid="waiver-(\d+)"', page)[-1])
    assert f'data-testid="approve-waiver-{waiver_id}"' in page  # she holds the role...
    refused = rita.post(
        f"{url}/waivers/{waiver_id}/approve", data={"version": "1", "csrf": csrf_of(page)}
    )
    kind, text = flash_after(rita, refused)  # ...and the service refuses her: not a 403
    assert refused.headers["location"].endswith("#waivers-1")
    assert kind == "error" and "rita asked for waiver" in text and "may not approve it" in text
    page = rita.get(url).text
    assert f'data-testid="waiver-state-{waiver_id}">requested' in page
    # she withdraws it instead (reject): a reason is needed
    kind, text = flash_after(
        rita,
        rita.post(
            f"{url}/waivers/{waiver_id}/reject",
            data={"reason": "asked by mistake", "version": "1", "csrf": csrf_of(page)},
        ),
    )
    assert kind == "ok" and "rejected" in text
    assert f'data-testid="waiver-state-{waiver_id}">revoked' in rita.get(url).text


def test_a_finding_is_closed_with_a_comment(as_user) -> None:
    vera = as_user("vera")
    url = f"/models/{MODEL}"
    csrf = csrf_of(vera.get(url).text)
    flash_after(
        vera,
        vera.post(
            f"{url}/versions/1/findings",
            data={
                "title": "Card lacks limits",
                "severity": "low",
                "owner": "alice",
                "due": _in_days(3),
                "csrf": csrf,
            },
        ),  # fmt: skip
    )
    page = vera.get(url).text
    finding_id = int(re.findall(r'data-testid="finding-(\d+)"', page)[-1])
    kind, text = flash_after(
        vera,
        vera.post(
            f"{url}/findings/{finding_id}/status",
            data={"status": "resolved", "resolution": "", "version": "1", "csrf": csrf},
        ),
    )
    assert kind == "error" and "give a resolution" in text
    kind, text = flash_after(
        vera,
        vera.post(
            f"{url}/findings/{finding_id}/status",
            data={"status": "resolved", "resolution": "limits added", "version": "1", "csrf": csrf},
        ),
    )
    assert kind == "ok" and f"Finding {finding_id} is now resolved" in text
    page = vera.get(url).text
    assert f'data-testid="finding-status-{finding_id}">resolved' in page and "limits added" in page
    kind, text = flash_after(
        vera,
        vera.post(
            f"{url}/versions/1/findings",
            data={"title": "x", "severity": "high", "owner": "alice", "due": "soon", "csrf": csrf},
        ),  # fmt: skip
    )
    assert kind == "error" and "YYYY-MM-DD" in text


def test_data_protection_page_sets_retention_and_erases_a_subject(as_user) -> None:
    rita = as_user("rita")
    page = rita.get("/data-protection").text
    row = re.search(rf'data-testid="dp-{DEPLOYMENT}"(.*?)</tr>', page, re.S).group(1)
    assert "customer_id, region" in row and "not recorded" in row
    assert "pseudonymised in the log" in row
    csrf = csrf_of(page)
    kind, text = flash_after(
        rita,
        rita.post(
            f"/data-protection/deployments/{DEPLOYMENT}",
            data={
                "legal_basis": "6(1)(b)",
                "retention_days": "90",
                "subject_column": "customer_id",
                "csrf": csrf,
            },
        ),  # fmt: skip
    )
    assert kind == "ok" and "kept 90 days" in text
    page = rita.get("/data-protection").text
    for kind_key in ("prediction_logs", "labels", "samples"):
        cell = f'data-testid="retention-{DEPLOYMENT}-{kind_key}">90 days'
        assert cell in page
    assert "GDPR Art. 6(1)(b) contract" in page
    kind, text = flash_after(
        rita,
        rita.post(
            f"/data-protection/deployments/{DEPLOYMENT}",
            data={"legal_basis": "", "retention_days": "many", "csrf": csrf},
        ),
    )
    assert kind == "error" and "whole number of days" in text
    # erase one customer: the message and the audit event never show the key
    response = rita.post("/data-protection/erase", data={"subject": SUBJECT, "csrf": csrf})
    kind, text = flash_after(rita, response)
    assert kind == "ok" and "1 prediction row(s) (loans)" in text
    page = rita.get("/data-protection").text
    events = re.search(r'data-testid="data-events">(.*?)</table>', page, re.S).group(1)
    assert "data.subject_erased" in events and "prediction_rows" in events
    assert SUBJECT not in page and SUBJECT not in rita.get("/audit").text
    assert SUBJECT not in text


def test_run_page_shows_code_state_and_reproduction(as_user) -> None:
    alice = as_user("alice")
    page = alice.get(f"/models/{MODEL}").text
    run_id = re.search(r'href="/runs/compare\?id=([0-9a-f]+)"', page).group(1)
    page = alice.get(f"/runs/{run_id}").text
    section = page[page.index('id="reproducibility"') :]
    assert f"modelward runs reproduce {run_id}" in section
    assert "never runs code a client sent" in section
    repro = re.search(r'data-testid="reproduction-1">(.*?)</tr>', section, re.S).group(1)
    assert "vera" in repro and "reproduced" in repro and "fresh-venv" in repro
    assert "auc 0.83 → 0.83" in repro
    assert 'data-testid="repro-lock"><a href=' in section  # the lock, downloadable


def test_viewer_sees_no_form_and_is_refused(as_user) -> None:
    victor = as_user("victor")
    page = victor.get(f"/models/{MODEL}").text
    for form in ("record-finding-", "request-waiver-", "approve-waiver-", "reject-waiver-",
                 "finding-form-"):  # fmt: skip
        assert form not in page
    assert 'data-testid="evidence-1"' in page  # reading is allowed
    csrf = csrf_of(page)
    dp = victor.get("/data-protection").text
    assert "erase-form" not in dp and "protect-" not in dp and "erase-not-allowed" in dp
    url = f"/models/{MODEL}"
    posts = [
        (f"{url}/versions/1/findings",
         {"title": "x", "severity": "high", "owner": "a", "due": _in_days(3)}),
        (f"{url}/findings/1/status", {"status": "resolved", "resolution": "x"}),
        (f"{url}/versions/1/waivers",
         {"item": "findings", "reason": "x", "approver_role": "risk_manager",
          "expires": _in_days(3)}),
        (f"{url}/waivers/1/approve", {}),
        (f"{url}/waivers/1/reject", {"reason": "x"}),
        (f"/data-protection/deployments/{DEPLOYMENT}", {"retention_days": "1"}),
        ("/data-protection/erase", {"subject": "C-0001"}),
    ]  # fmt: skip
    for path, data in posts:
        assert victor.post(path, data=data | {"csrf": csrf}).status_code == 403, path
    # and a forged post (no CSRF token) is refused for a user who may
    assert as_user("rita").post("/data-protection/erase", data={"subject": "x"}).status_code == 403


def test_past_its_expiry_a_waiver_shows_expired_and_the_gate_fails_again(as_user, world) -> None:
    vera, alice, rita = as_user("vera"), as_user("alice"), as_user("rita")
    url = f"/models/{MODEL}"
    vera.post(
        f"{url}/versions/1/findings",
        data={"title": "Leaky feature", "severity": "critical", "owner": "alice",
              "due": _in_days(5), "csrf": csrf_of(vera.get(url).text)},
    )  # fmt: skip
    finding_id = int(re.findall(r'data-testid="finding-(\d+)"', vera.get(url).text)[-1])
    alice.post(
        f"{url}/versions/1/waivers",
        data={"item": "findings", "reason": "until the retrain", "approver_role": "risk_manager",
              "expires": _in_days(10), "csrf": csrf_of(alice.get(url).text)},
    )  # fmt: skip
    waiver_id = int(re.findall(r'data-testid="waiver-(\d+)"', alice.get(url).text)[-1])
    rita.post(
        f"{url}/waivers/{waiver_id}/approve",
        data={"version": "1", "csrf": csrf_of(rita.get(url).text)},
    )
    # a month later (the server's clock moved): the finding is overdue, the waiver expired
    settings, team = world
    later = datetime.now(UTC) + timedelta(days=30)
    with TestClient(create_app(settings), follow_redirects=False) as future:
        future.app.state.platform.clock = lambda: later
        sign_in(future, "rita", team.tokens["rita"])
        page = future.get(url).text
    assert f'data-testid="overdue-{finding_id}">overdue' in page
    assert f'data-testid="expired-{waiver_id}">expired' in page
    assert f'data-testid="waiver-state-{waiver_id}">expired' in page
    checklist = re.search(r'data-testid="checklist-1">(.*?)</ul>', page, re.S).group(1)
    findings_item = re.search(r"<b>findings</b>:(.*?)</li>", checklist, re.S).group(1)
    assert "waived" not in findings_item and "open high/critical finding" in findings_item
    assert f'approve-waiver-{waiver_id}"' not in page and f'reject-waiver-{waiver_id}"' not in page
