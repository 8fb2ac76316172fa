"""The data scientist's pages through TestClient: the runs list (chosen columns, nesting,
duration), the run page, the artifact download, the experiments list."""

from __future__ import annotations

import hashlib
import re

import pytest

from modelward.config import Settings
from tests.server.conftest import TestClient, create_app
from tests.server.seed_runs import HOSTILE, NOTES, seed_runs
from tests.server.test_ui import sign_in


@pytest.fixture
def ui(settings: Settings):
    seeded = seed_runs(settings)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        sign_in(client, "victor", seeded.team.tokens["victor"])  # a viewer: reads only
        yield client, seeded


def test_runs_list_shows_chosen_columns_and_nests_children(ui) -> None:
    client, seeded = ui
    page = client.get("/runs", params={"columns": "params.C,metrics.auc,bogus.x"}).text
    heads = re.findall(r'data-testid="column">([^<]+)<', page)
    assert heads == ["params.C", "metrics.auc"]
    order = re.findall(r'data-run="([^"]+)" data-depth="(\d)"', page)
    assert order[0] == (seeded.parent, "0")
    assert sorted(order[1:]) == sorted((c, "1") for c in seeded.children)
    assert "0.5" in page and " s</td>" in page  # the param column and a duration


def test_run_page_shows_what_the_run_recorded(ui) -> None:
    client, seeded = ui
    response = client.get(f"/runs/{seeded.parent}")
    assert response.status_code == 200
    page = response.text
    for text in ("penalty", "l2", "scoring", "train", "training", "credit-scorer", "v1"):
        assert text in page, text
    plots = re.findall(r"data-plot='([^']+)'", page)
    assert len(plots) == 2  # loss and auc, each logged at six steps
    assert "&#34;color&#34;: &#34;#1f77b4&#34;" in plots[0]  # auc: first key, first colour
    assert "&#34;xlabel&#34;: &#34;step&#34;" in plots[1]
    assert HOSTILE not in page and "&lt;img src=x" in page  # the tag is escaped
    assert f"/runs/{seeded.parent}/artifacts/reports/notes.csv" in page
    for child in seeded.children:
        assert f'href="/runs/{child}"' in page
    assert 'data-testid="environment"' in page
    child = client.get(f"/runs/{seeded.children[0]}").text
    assert "No version was registered from this run." in child
    assert f'href="/runs/{seeded.parent}"' in child  # the link back to the parent


def test_artifact_download_returns_the_recorded_bytes(ui) -> None:
    client, seeded = ui
    response = client.get(f"/runs/{seeded.parent}/artifacts/reports/notes.csv")
    assert response.status_code == 200
    assert response.content == NOTES.encode()
    assert response.headers["x-content-sha256"] == hashlib.sha256(NOTES.encode()).hexdigest()
    assert response.headers["content-disposition"].startswith('attachment; filename="notes.csv"')
    missing = client.get(f"/runs/{seeded.parent}/artifacts/nope.txt")
    assert missing.status_code == 404


def test_compare_keeps_one_colour_per_run_and_experiments_list(ui) -> None:
    client, seeded = ui
    ids = [seeded.parent, *seeded.children]
    page = client.get("/runs/compare", params={"id": ids}).text
    plots = re.findall(r"data-plot='([^']+)'", page)
    loss = next(p for p in plots if "&#34;title&#34;: &#34;loss&#34;" in p)
    colours = re.findall(r"&#34;color&#34;: &#34;(#[0-9a-f]{6})&#34;", loss)
    assert colours == ["#1f77b4", "#ff7f0e", "#2ca02c"]  # run i keeps colour i
    experiments = client.get("/experiments").text
    assert 'href="/runs?experiment=credit"' in experiments


def test_unknown_run_is_404(ui) -> None:
    client, _ = ui
    assert client.get("/runs/0123456789abcdef").status_code == 404
