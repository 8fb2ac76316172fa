"""The HTML report: one self-contained page with every check and the Plotly charts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sklearn.linear_model import LogisticRegression

from modelward.domain.results import ValidationReport
from modelward.validation.checks import evaluate
from modelward.validation.config import ValidationConfig
from modelward.validation.report_html import render_html


@pytest.fixture
def report(credit_model, applicants) -> ValidationReport:
    champion = LogisticRegression().fit(applicants[["age"]], applicants["default"])
    config = ValidationConfig(
        importance_repeats=1, importance_rows=300, pdp_rows=50, pdp_grid=5, bootstrap_resamples=100
    )
    evaluation = evaluate(
        credit_model,
        applicants.assign(region=applicants["region"].replace("west", "<b>west</b>")),
        target="default",
        sensitive=["gender", "region"],
        config=config,
        champion=champion,
    )
    return evaluation.to_report(
        model="credit-risk",
        version=4,
        created_at=datetime(2024, 5, 1, tzinfo=UTC),
        created_by="ada",
        against="champion",
    )


def test_html_lists_every_check_and_embeds_plotly_once(report: ValidationReport) -> None:
    html = render_html(report)
    for check in report.checks:
        assert check.name.replace("&", "&amp;") in html
    assert html.count('class="plotly-graph-div"') >= 8
    # plotly.js inline exactly once, and nothing fetched: the page opens offline
    assert len(re.findall(r"<script>\s*/\*\*\s*\* plotly\.js v", html)) == 1
    assert "<script src=" not in html


def test_html_shows_the_verdict_and_the_comparison(report: ValidationReport) -> None:
    html = render_html(report)
    assert ("PASSED" if report.passed else "FAILED") in html
    assert "Champion vs challenger" in html
    assert "Fairness" in html and "Slices" in html and "Partial dependence" in html


def test_user_text_is_escaped(report: ValidationReport) -> None:
    html = render_html(report)
    assert "<b>west</b>" not in html
    assert "&lt;b&gt;west&lt;/b&gt;" in html


def test_same_report_renders_to_the_same_bytes(report: ValidationReport) -> None:
    assert render_html(report) == render_html(report)


def test_report_read_back_from_json_renders(report: ValidationReport) -> None:
    again = ValidationReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    assert render_html(again) == render_html(report)
