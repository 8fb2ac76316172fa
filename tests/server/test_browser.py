"""The web UI in a real browser: Playwright driving Debian's Chromium against a real uvicorn
server. Skipped loudly when Chromium is missing (`make test` installs it); fails in CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelward.config import Settings
from modelward.server.app import create_app
from tests.server.seed import MODEL, seed_governed
from tests.serving.server import serve_in_thread

CHROMIUM = os.environ.get("MODELWARD_CHROMIUM", "/usr/bin/chromium")
# Read at import: tests/conftest.py clears MODELWARD_* for every test.
DOCS_SCREENSHOTS = os.environ.get("MODELWARD_DOCS_SCREENSHOTS") == "1"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: the browser tests did NOT run"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(sqlite_settings: Settings) -> Iterator[tuple[str, dict[str, str]]]:
    team = seed_governed(sqlite_settings)
    with serve_in_thread(create_app(sqlite_settings)) as url:
        yield url, team.tokens


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    made = context.new_page()
    made.set_default_timeout(15_000)
    yield made
    context.close()


def sign_in(page, url: str, user: str, token: str) -> None:
    page.goto(f"{url}/")
    assert "/login" in page.url
    page.fill("input[name=user]", user)
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=inventory]")


def test_risk_manager_approves_a_pending_version(page, site) -> None:
    url, tokens = site
    sign_in(page, url, "rita", tokens["rita"])
    page.fill("input[name=q]", "credit")
    page.click("form.filters button[type=submit]")
    page.click(f"text={MODEL}")
    page.wait_for_selector("[data-testid=risk-matrix]")
    assert page.inner_text("[data-testid=stage-1]") == "validated"
    assert page.inner_text("[data-testid=risk-cell]") == "12"
    page.fill("form.signoff input[name=comment]", "risk accepted")
    page.click("[data-testid=approve-1-risk_manager]")
    page.wait_for_selector("[data-testid=flash]")
    assert page.inner_text("[data-testid=stage-1]") == "approved"
    audit = page.inner_text("[data-testid=audit]")
    assert "signoff.approve" in audit and "rita" in audit
    assert page.query_selector("[data-testid=approve-1-risk_manager]") is None


def test_viewer_has_no_button_and_a_forged_post_is_refused(page, site) -> None:
    url, tokens = site
    sign_in(page, url, "victor", tokens["victor"])
    page.goto(f"{url}/models/{MODEL}")
    page.wait_for_selector("[data-testid=risk-matrix]")
    assert page.query_selector("button[value=approve]") is None
    # a cross-site form post carries the session cookie but not the CSRF token
    status = page.evaluate(
        """async (path) => {
            const body = new URLSearchParams({role: "risk_manager", decision: "approve"});
            const r = await fetch(path, {method: "POST", body, redirect: "manual"});
            return r.status;
        }""",
        f"/models/{MODEL}/versions/1/sign-off",
    )
    assert status == 403


def test_docs_screenshots(page, site, tmp_path: Path) -> None:
    """Screenshots of the inventory and the model page (into docs/img/ with
    MODELWARD_DOCS_SCREENSHOTS=1, else a temporary folder)."""
    url, tokens = site
    sign_in(page, url, "rita", tokens["rita"])
    folder = Path(__file__).parents[2] / "docs" / "img" if DOCS_SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "ui-inventory.png"))
    page.goto(f"{url}/models/{MODEL}")
    page.wait_for_selector("[data-testid=risk-matrix]")
    page.screenshot(path=str(folder / "ui-model.png"), full_page=True)
