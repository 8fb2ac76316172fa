"""Issue 16's pages in a real browser (Playwright driving Debian's Chromium against a real
uvicorn server): a validator records a finding, the data scientist asks for a waiver, the
risk manager approves it and the model page shows it, the evidence pack downloads; a data
subject is erased from the data-protection page; the run page shows a reproduction recorded
through the client; a viewer is offered no form. Screenshots go to docs/img/ with
MODELWARD_DOCS_SCREENSHOTS=1."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelward.config import Settings
from modelward.server.app import create_app
from tests.server.seed import MODEL
from tests.server.seed_evidence import DEPLOYMENT, SUBJECT, seed_evidence
from tests.server.test_browser import browser, page, sign_in  # noqa: F401
from tests.server.test_browser_risk import shots
from tests.serving.server import serve_in_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def site(sqlite_settings: Settings) -> Iterator[tuple[str, dict[str, str]]]:
    team = seed_evidence(sqlite_settings)
    with serve_in_thread(create_app(sqlite_settings)) as url:
        yield url, team.tokens


def sign_out(tab) -> None:
    tab.click("form.signout button")
    tab.wait_for_url("**/login")


def test_finding_waiver_approval_erasure_and_reproduction(page, site, tmp_path: Path) -> None:  # noqa: F811
    url, tokens = site
    folder = shots(tmp_path)
    due = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    # the validator records a high finding: the gate's findings item fails
    sign_in(page, url, "vera", tokens["vera"])
    page.goto(f"{url}/models/{MODEL}")
    form = page.locator("[data-testid=record-finding-1]")
    page.click("#v1 summary:has-text('Record a finding')")
    form.locator("input[name=title]").fill("Unstable on thin credit files")
    form.locator("select[name=severity]").select_option("high")
    form.locator("input[name=owner]").fill("alice")
    form.locator("input[name=due]").fill(due)
    form.locator("textarea[name=detail]").fill("AUC 0.61 on applicants with < 3 months history")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=flash]")
    assert "recorded on credit-risk v1" in page.inner_text("[data-testid=flash]")
    row = page.locator("[data-testid=findings-1] tr[data-testid^=finding-]").first
    assert "Unstable on thin credit files" in row.inner_text() and due in row.inner_text()
    unmet = page.locator("[data-testid=checklist-1] li.unmet").all_inner_texts()
    assert any("open high/critical finding" in u for u in unmet)
    sign_out(page)
    # the data scientist asks for a waiver of that item
    sign_in(page, url, "alice", tokens["alice"])
    page.goto(f"{url}/models/{MODEL}")
    page.click("#v1 summary:has-text('Ask for a waiver')")
    form = page.locator("[data-testid=request-waiver-1]")
    form.locator("select[name=item]").select_option("findings")
    form.locator("textarea[name=reason]").fill("fixed in v2, which is due next month")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=flash]")
    assert "a risk_manager must approve it" in page.inner_text("[data-testid=flash]")
    assert page.locator("[data-testid^=approve-waiver-]").count() == 0  # not hers to approve
    sign_out(page)
    # the risk manager approves it: the item passes as waived, and the page says so
    sign_in(page, url, "rita", tokens["rita"])
    page.goto(f"{url}/models/{MODEL}")
    approve = page.locator("[data-testid^=approve-waiver-]").first
    approve.locator("input[name=comment]").fill("accepted until v2")
    approve.locator("button").click()
    page.wait_for_selector("[data-testid=flash]")
    assert "approved" in page.inner_text("[data-testid=flash]")
    waiver = page.locator("[data-testid=waivers-1] tr[data-testid^=waiver-]").first
    assert "active" in waiver.inner_text() and "approved by rita as risk_manager" in (
        waiver.inner_text()
    )
    met = page.locator("[data-testid=checklist-1] li.met").all_inner_texts()
    assert any(m.startswith("✔ findings: waived until") for m in met)
    page.locator("[data-testid=version-1]").screenshot(path=str(folder / "ui-findings.png"))
    # the evidence pack of the version downloads as a zip holding the findings and waivers
    with page.expect_download() as download:
        page.click("[data-testid=evidence-1]")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"evidence-{MODEL}-v1.zip"
    with zipfile.ZipFile(saved) as pack:
        names = pack.namelist()
    assert any("finding" in n for n in names) and any("waiver" in n for n in names)
    # data protection: set a retention, then erase one customer
    page.click("nav >> text=Data protection")
    row = page.locator(f"[data-testid=dp-{DEPLOYMENT}]")
    assert "customer_id, region" in row.inner_text()
    page.click(f"summary:has-text('Set the data protection of {DEPLOYMENT}')")
    form = page.locator(f"[data-testid=protect-{DEPLOYMENT}]")
    form.locator("select[name=legal_basis]").select_option("6(1)(b)")
    form.locator("input[name=retention_days]").fill("90")
    form.locator("input[name=subject_column]").fill("customer_id")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=flash]")
    cell = page.inner_text(f"[data-testid=retention-{DEPLOYMENT}-labels]")
    assert cell == "90 days"
    page.fill("[data-testid=erase-form] input[name=subject]", SUBJECT)
    page.click("[data-testid=erase-button]")
    page.wait_for_selector("[data-testid=flash]")
    message = page.inner_text("[data-testid=flash]")
    assert "erased: 1 prediction row(s) (loans)" in message and SUBJECT not in message
    events = page.inner_text("[data-testid=data-events]")
    assert "erased data subject" in events and SUBJECT not in page.content()
    page.screenshot(path=str(folder / "ui-data-protection.png"), full_page=True)
    # the run page of v1's run: code state, lock, the reproduction vera recorded
    page.goto(f"{url}/models/{MODEL}")
    link = page.locator("#v1 a:has-text('train credit-risk')").get_attribute("href") or ""
    run_id = link.split("id=")[-1]
    page.goto(f"{url}/runs/{run_id}#reproducibility")
    assert page.inner_text("[data-testid=repro-command]") == f"modelward runs reproduce {run_id}"
    result = page.inner_text("[data-testid=reproduction-1]")
    assert "vera" in result and "reproduced" in result and "fresh-venv" in result
    page.locator("#reproducibility").scroll_into_view_if_needed()
    page.screenshot(path=str(folder / "ui-reproducibility.png"))
    sign_out(page)
    # a viewer reads everything and is offered no form
    sign_in(page, url, "victor", tokens["victor"])
    page.goto(f"{url}/models/{MODEL}")
    assert "waived until" in page.inner_text("[data-testid=checklist-1]")
    for form_id in ("record-finding-1", "request-waiver-1"):
        assert page.locator(f"[data-testid={form_id}]").count() == 0
    assert page.locator("[data-testid^=reject-waiver-]").count() == 0
    page.goto(f"{url}/data-protection")
    assert page.locator("[data-testid=erase-form]").count() == 0
    assert page.locator(f"[data-testid=protect-{DEPLOYMENT}]").count() == 0
