"""PSI/CSI stored as named figures per window, and fairness, business and PSI/CSI figures
plotted over time, with their limits, in the monitoring page and the HTML report.

The charts are checked through the figure data they embed (the page's ``data-plot`` JSON, the
report's ``Plotly.newPlot`` arguments), against the figures `monitor figures` lists."""

from __future__ import annotations

import html
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.project import Project
from modelward.stats.reference import prepare_reference
from modelward.stats.stability import stability_index
from tests.monitoring.helpers import DAY1, DAY2, DAY3, deploy_model, log_traffic, traffic
from tests.server.conftest import make_team

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from modelward.server.app import create_app  # noqa: E402

DEPLOYMENT = "credit-scoring"
POLICY = """
policies:
  severe:
    thresholds:
      fairness.demographic_parity_difference: {max: 0.05}
"""
BUSINESS = {"conversion": {"column": "converted", "agg": "mean", "min": 0.1, "max": 0.9}}


@pytest.fixture
def monitored(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Client, dict]]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    settings = settings.model_copy(update={"policy_file": policy})
    team = make_team(settings)
    client = Client(settings)
    client.backend.clock = lambda: DAY3
    client.monitoring._project = Project(
        tmp_path / "modelward.yaml", {"monitoring": {"business": BUSINESS}}
    )
    model = deploy_model(client, rows=600)
    rng = np.random.default_rng(0)
    frames = {}
    for day, seed, shift in ((DAY1, 11, 0.0), (DAY2, 12, 40_000.0)):
        frame = traffic(300, seed=seed, income_shift=shift)
        ids = log_traffic(client, model, frame, at=day, prefix=f"d{seed}")
        frames[day] = frame
        client.monitoring.ingest_labels(
            DEPLOYMENT, pd.DataFrame({"request_id": ids, "label": frame["default"]})
        )
        client.monitoring.ingest_context(
            DEPLOYMENT, pd.DataFrame({"request_id": ids, "gender": rng.choice(["f", "m"], 300)})
        )
        client.monitoring.ingest_outcomes(
            DEPLOYMENT, pd.DataFrame({"request_id": ids, "converted": rng.random(300) < 0.3})
        )
    client.monitoring.run(DEPLOYMENT, window="1d")
    yield settings, client, {"team": team, "frames": frames}
    client.close()


def _rows(client: Client) -> dict[tuple[str, str], dict[str, Any]]:
    return {(str(r["window_start"])[:10], r["name"]): r
            for r in client.monitoring.figures(DEPLOYMENT)}  # fmt: skip


def test_psi_and_csi_are_named_figures_with_bands(monitored) -> None:
    _settings, client, seeded = monitored
    rows = _rows(client)
    day1, day2 = str(DAY1)[:10], str(DAY2)[:10]
    for day in (day1, day2):
        assert {"psi", "csi.income", "csi.debt", "csi.age"} <= {n for d, n in rows if d == day}
        assert rows[(day, "psi")]["family"] == "stability"
        assert rows[(day, "psi")]["threshold"] == 0.25
    # income moved by 40k on day 2 only: its CSI crosses the shift band, the others stay
    assert rows[(day1, "csi.income")]["value"] < 0.1
    assert rows[(day2, "csi.income")]["value"] > 0.25 and rows[(day2, "csi.income")]["breached"]
    assert rows[(day2, "csi.age")]["value"] < 0.1 and not rows[(day2, "csi.age")]["breached"]
    # the stored CSI is `stability_index` of the window against the training sample (whose
    # own agreement with scipy is tests/stats/test_stability.py)
    training = prepare_reference(pd.DataFrame(_training_income()))
    expected = stability_index(training.columns["income"], seeded["frames"][DAY2]["income"])
    assert expected is not None
    # same function, same rows: equal up to float32/float64 storage of the logged inputs
    assert rows[(day2, "csi.income")]["value"] == pytest.approx(expected.value, rel=1e-6)
    # no alert of their own: the income drift alert covers the same shift
    kinds = {(a.kind.value, a.subject) for a in client.monitoring.alerts(deployment=DEPLOYMENT)}
    assert ("drift", "income") in kinds and not any(s.startswith("csi") for _, s in kinds)


def _training_income() -> dict[str, Any]:
    from tests.builders import applicants

    return {"income": applicants(600, seed=0)["income"]}


def _plot(page: str, testid: str) -> dict[str, Any]:
    found = re.search(rf'data-testid="{testid}" data-plot=\'([^\']*)\'', page)
    assert found is not None, f"{testid} missing"
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


def _limits(lines: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: line["y"] for name, line in lines.items() if line.get("dash")}


def test_monitoring_page_plots_fairness_business_psi_and_csi_with_limits(monitored) -> None:
    settings, client, seeded = monitored
    rows = _rows(client)
    day2 = str(DAY2)[:10]
    with TestClient(create_app(settings), follow_redirects=False) as web:
        page_csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text)
        assert page_csrf is not None
        token = seeded["team"].tokens["rita"]
        signed = web.post("/login", data={"user": "rita", "token": token, "next": "/",
                                          "csrf_token": page_csrf.group(1)})  # fmt: skip
        assert signed.status_code == 303
        page = web.get(f"/monitoring/{DEPLOYMENT}").text
    fairness = _plot(page, "fairness-chart")["lines"]
    parity = "fairness.demographic_parity_difference[gender]"
    assert fairness[parity]["y"] == [rows[(d, parity)]["value"] for d in (str(DAY1)[:10], day2)]
    assert _limits(fairness)[f"{parity} limit"] == [0.05, 0.05]  # the policy's max
    business = _plot(page, "business-chart")["lines"]
    assert business["conversion"]["y"][1] == pytest.approx(rows[(day2, "conversion")]["value"])
    assert _limits(business) == {"conversion min": [0.1, 0.1], "conversion max": [0.9, 0.9]}
    psi = _plot(page, "psi-chart")["lines"]
    assert psi["PSI (score)"]["y"][1] == rows[(day2, "psi")]["value"]
    assert _limits(psi) == {"band 0.1 (watch)": [0.1, 0.1], "band 0.25 (shift)": [0.25, 0.25]}
    csi = _plot(page, "csi-chart")["lines"]
    assert {"CSI income", "CSI debt", "CSI age"} <= set(csi)
    assert csi["CSI income"]["y"][1] == rows[(day2, "csi.income")]["value"]
    assert csi["CSI income"]["x"] == [DAY1.replace(hour=0).isoformat(),
                                      DAY2.replace(hour=0).isoformat()]  # fmt: skip


def report_figures(text: str) -> list[dict[str, Any]]:
    """Every Plotly figure of a report: its traces and layout, decoded from the
    ``Plotly.newPlot("id", [traces], {layout}, ...)`` calls plotly's to_html writes."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', text):
        traces, end = decoder.raw_decode(text, match.end())
        rest = re.match(r",\s*", text[end:])
        assert rest is not None
        layout, _ = decoder.raw_decode(text, end + rest.end())
        found.append({"data": traces, "layout": layout})
    return found


def test_report_plots_fairness_business_psi_and_csi_with_limits(monitored, tmp_path) -> None:
    _settings, client, _seeded = monitored
    rows = _rows(client)
    day2 = str(DAY2)[:10]
    figures = {
        f["layout"]["meta"]["chart"]: {t["name"]: t for t in f["data"]}
        for f in report_figures(client.monitoring.report(DEPLOYMENT, tmp_path / "r.html"))
        if isinstance(f["layout"].get("meta"), dict)
    }
    assert set(figures) == {"fairness", "business", "psi", "csi"}
    parity = "fairness.demographic_parity_difference[gender]"
    assert figures["fairness"][parity]["y"][1] == rows[(day2, parity)]["value"]
    limit = figures["fairness"][f"{parity} limit"]
    assert limit["y"] == [0.05, 0.05] and limit["line"]["dash"] == "dash"
    assert figures["business"]["conversion min"]["y"] == [0.1, 0.1]
    assert figures["psi"]["PSI (score)"]["y"][1] == rows[(day2, "psi")]["value"]
    assert figures["csi"]["CSI income"]["y"][1] == rows[(day2, "csi.income")]["value"]
    assert figures["csi"]["band 0.25 (shift)"]["y"] == [0.25, 0.25]
