"""A data scientist in a real browser (Playwright driving Debian's Chromium against a real
uvicorn server): from the runs list to a run page with its metric curves, then an artifact
downloaded and its bytes checked. Skipped loudly when Chromium is missing; fails in CI."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelward.config import Settings
from modelward.server.app import create_app
from tests.server.seed_runs import NOTES, Seeded, seed_runs
from tests.serving.server import serve_in_thread

CHROMIUM = os.environ.get("MODELWARD_CHROMIUM", "/usr/bin/chromium")
# Read at import: tests/conftest.py clears MODELWARD_* for every test.
DOCS_SCREENSHOTS = os.environ.get("MODELWARD_DOCS_SCREENSHOTS") == "1"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
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
def site(sqlite_settings: Settings) -> Iterator[tuple[str, Seeded]]:
    seeded = seed_runs(sqlite_settings)
    with serve_in_thread(create_app(sqlite_settings)) as url:
        yield url, seeded


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1400, "height": 900}, accept_downloads=True
    )
    made = context.new_page()
    made.set_default_timeout(15_000)
    yield made
    context.close()


def test_data_scientist_opens_a_run_and_downloads_an_artifact(page, site, tmp_path) -> None:
    url, seeded = site
    page.goto(f"{url}/runs")
    assert "/login" in page.url
    page.fill("input[name=user]", "alice")
    page.fill("input[name=token]", seeded.team.tokens["alice"])
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=runs]")
    page.fill("input[name=columns]", "params.C,metrics.auc")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**columns=params.C**")
    heads = page.locator("[data-testid=column]").all_inner_texts()
    assert heads == ["params.C", "metrics.auc"]
    child_rows = page.locator("tr[data-depth='1']")
    assert child_rows.count() == 2  # the sweep's children, under it
    folder = Path(__file__).parents[2] / "docs" / "img" if DOCS_SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "ui-runs.png"))

    page.click(f"tr[data-run='{seeded.parent}'] >> text=sweep")
    page.wait_for_selector("[data-testid=run-title]")
    assert page.url.endswith(f"/runs/{seeded.parent}")
    page.wait_for_selector(".chart[data-metric=loss] .main-svg")
    assert page.locator("[data-testid=curves] .chart .main-svg").count() >= 2
    loss = page.locator(".chart[data-metric=loss]")
    assert loss.locator(".xtitle").text_content() == "step"
    assert loss.locator(".ytitle").text_content() == "loss"
    assert "loss" in (loss.locator(".legend").text_content() or "")
    assert "credit-scorer" in page.inner_text("[data-testid=versions]")
    page.screenshot(path=str(folder / "ui-run.png"), full_page=True)

    row = page.locator("[data-testid=artifacts] tr", has_text="reports/notes.csv")
    with page.expect_download() as info:
        row.locator("[data-testid=download]").click()
    download = info.value
    assert download.suggested_filename == "notes.csv"
    data = Path(download.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(NOTES.encode()).hexdigest()
    assert data == NOTES.encode()
