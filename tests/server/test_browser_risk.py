"""A risk manager's day in a real browser (Playwright driving Debian's Chromium against a
real uvicorn server): the inventory, a blocked version's checklist, the audit trail of one
model, an alert acknowledged with a comment, the model card's PDF downloaded. Screenshots of
these pages go to docs/img/ with MODELWARD_DOCS_SCREENSHOTS=1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelward.config import Settings
from modelward.server.app import create_app
from tests.server.seed import DEPLOYMENT, MODEL, seed_monitored
from tests.server.test_browser import DOCS_SCREENSHOTS, browser, page, sign_in  # noqa: F401
from tests.serving.server import serve_in_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def site(sqlite_settings: Settings) -> Iterator[tuple[str, dict[str, str]]]:
    team = seed_monitored(sqlite_settings)
    with serve_in_thread(create_app(sqlite_settings)) as url:
        yield url, team.tokens


def shots(tmp_path: Path) -> Path:
    folder = Path(__file__).parents[2] / "docs" / "img" if DOCS_SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_risk_manager_from_inventory_to_card_pdf(page, site, tmp_path: Path) -> None:  # noqa: F811
    url, tokens = site
    folder = shots(tmp_path)
    sign_in(page, url, "rita", tokens["rita"])
    # the inventory: risk score, business owner, health of the served version only
    row = page.locator(f"[data-testid=row-{MODEL}]")
    assert "Retail credit" in row.inner_text() and "1 alert" in row.inner_text()
    page.click("[data-testid=sort-risk]")
    page.wait_for_url("**sort=risk**")
    page.screenshot(path=str(folder / "ui-inventory.png"))
    # a blocked version's checklist, each unmet item with its reason
    page.click(f"[data-testid=row-{MODEL}] >> text={MODEL}")
    page.wait_for_selector("[data-testid=checklist-1]")
    assert page.inner_text("[data-testid=gate-1]") == "blocked"
    unmet = page.locator("[data-testid=checklist-1] li.unmet").all_inner_texts()
    assert any("sign_off.risk_manager: 0 of 1 approval(s) from risk_manager" in u for u in unmet)
    assert "likely" in page.inner_text("[data-testid=risk-matrix]")
    page.screenshot(path=str(folder / "ui-model.png"), full_page=True)
    page.locator("[data-testid=version-1]").screenshot(path=str(folder / "ui-checklist.png"))
    # the audit trail filtered to this model
    page.click("nav >> text=Audit")
    page.fill("[data-testid=audit-filters] input[name=model]", MODEL)
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_url(f"**model={MODEL}**")
    trail = page.inner_text("[data-testid=audit]")
    assert "registered credit-risk v1" in trail and "rejected credit-risk v2 as validator" in trail
    assert "churn-0" not in trail
    page.screenshot(path=str(folder / "ui-audit.png"), full_page=True)
    # an alert acknowledged: the comment is required
    page.click("nav >> text=Alerts")
    served = page.locator("tr[data-testid^=alert-]", has_text="feature 'age' drifted")
    assert "replaced" not in served.inner_text()  # raised by v1, which is still served
    first = served.locator("[data-testid^=ack-]")
    button = first.locator("button")
    button.click()  # empty comment: the browser refuses to send it
    assert page.locator("[data-testid=flash]").count() == 0
    first.locator("input[name=comment]").fill("reference window refreshed")
    button.click()
    page.wait_for_selector("[data-testid=flash]")
    assert "acknowledged" in page.inner_text("[data-testid=flash]")
    assert page.locator("[data-testid^=ack-]").count() == 1
    page.screenshot(path=str(folder / "ui-alerts.png"), full_page=True)
    page.click("nav >> text=Monitoring")  # the index: same count as the deployment page
    assert page.inner_text(f"[data-testid=open-{DEPLOYMENT}]") == "0"
    # the model card, styled, and its PDF for the committee
    page.goto(f"{url}/models/{MODEL}/versions/1/card")
    assert "From the record of v1" in page.inner_text("[data-testid=model-card]")
    page.screenshot(path=str(folder / "ui-card.png"))
    with page.expect_download() as download:
        page.click("[data-testid=card-pdf]")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"modelcard-{MODEL}-v1.pdf"
    assert saved.read_bytes().startswith(b"%PDF-") and saved.stat().st_size > 5_000


def test_api_docs_render_offline(page, site) -> None:  # noqa: F811
    url, tokens = site
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(url) else None,
    )
    page.goto(f"{url}/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=30_000)
    assert "modelward" in page.inner_text(".swagger-ui .info")
    assert outside == []
