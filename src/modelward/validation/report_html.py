"""Render a `ValidationReport` to one self-contained HTML page for people.

The page embeds plotly.js once, inline, so it opens offline and can be stored as a single
artifact; figure ids are numbered, so the same report renders to the same bytes. Figures come
from `report_figures`; nothing here computes statistics.
"""

from __future__ import annotations

from typing import Any

import jinja2
import plotly.graph_objects as go

from modelward.domain.results import ValidationReport
from modelward.validation import report_figures

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ r.model }} v{{ r.version }}: validation {{ "passed" if r.passed else "failed" }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 span.verdict { padding: .1rem .6rem; border-radius: .3rem; color: white; }
.pass { background: #2ca02c; } .fail { background: #d62728; } .info { background: #7f7f7f; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fdecea; }
span.badge { padding: 0 .4rem; border-radius: .2rem; color: white; font-size: .8rem; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
</style>
</head>
<body>
<h1>{{ r.model }} v{{ r.version }}
  <span class="verdict {{ 'pass' if r.passed else 'fail' }}">
    {{ "PASSED" if r.passed else "FAILED" }}</span></h1>
<p>{{ r.task }} model validated on {{ r.data_rows }} rows
{%- if r.dataset_id %} (dataset {{ r.dataset_id[:12] }}){% endif %}
{%- if r.against %} against {{ r.against }}{% endif %}
 by {{ r.created_by }} at {{ r.created_at.isoformat() }}.
 {{ counts.passed }} checks passed, {{ counts.failed }} failed, {{ counts.info }} informational.</p>
{% if r.warnings %}<h2>Warnings</h2><ul>{% for w in r.warnings %}<li>{{ w }}</li>{% endfor %}</ul>
{% endif %}
<h2>Checks</h2>
<table>
<tr><th>check</th><th>value</th><th>threshold</th><th>result</th><th>message</th></tr>
{% for c in r.checks %}
<tr class="{{ 'failed' if c.passed is false else '' }}">
<td>{{ c.name }}</td><td class="num">{{ number(c.value) }}</td>
<td class="num">{% if c.threshold is not none %}{{ ">=" if c.direction == "min" else "<=" }}
 {{ number(c.threshold) }}{% endif %}</td>
<td>{% if c.passed is none %}<span class="badge info">info</span>
{% elif c.passed %}<span class="badge pass">pass</span>
{% else %}<span class="badge fail">fail</span>{% endif %}</td>
<td>{{ c.message }}</td></tr>
{% endfor %}
</table>
{% for section in sections %}
<h2>{{ section.title }}</h2>
{% if section.table %}<table>
<tr>{% for h in section.table.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in section.table.rows %}<tr>{% for cell in row %}
<td{% if cell is number %} class="num"{% endif %}>{{ number(cell) }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endif %}
<div class="{{ 'grid' if section.figures|length > 1 else '' }}">
{% for figure in section.figures %}<div>{{ figure|safe }}</div>{% endfor %}
</div>
{% endfor %}
</body>
</html>
"""


class _Figures:
    """Turns figures into HTML divs; plotly.js goes inline with the first one only."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, figure: go.Figure) -> str:
        self.count += 1
        return str(
            figure.to_html(
                full_html=False,
                include_plotlyjs=self.count == 1,
                div_id=f"modelward-figure-{self.count}",
                default_height="380px",
            )
        )


def render_html(report: ValidationReport) -> str:
    """Render `report` as one self-contained HTML page (plotly.js embedded inline)."""
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.globals["number"] = _number
    counts = {
        "passed": sum(check.passed is True for check in report.checks),
        "failed": sum(check.passed is False for check in report.checks),
        "info": sum(check.passed is None for check in report.checks),
    }
    sections = _sections(report.sections, _Figures())
    return environment.from_string(_TEMPLATE).render(r=report, counts=counts, sections=sections)


def _sections(data: dict[str, Any], figures: _Figures) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if "metrics" in data:
        rows = [[name, value] for name, value in data["metrics"].items()]
        found.append(_section("Performance", ["metric", "value"], rows))
    charts = [
        report_figures.confusion_matrix(data["confusion_matrix"])
        if "confusion_matrix" in data
        else None,
        report_figures.roc(data["roc_curve"]) if "roc_curve" in data else None,
        report_figures.calibration(data["calibration"]) if "calibration" in data else None,
    ]
    if found:
        found[0]["figures"] = [figures.html(chart) for chart in charts if chart is not None]
    if "scorecard" in data:
        found.append(_scorecard_section(data["scorecard"], figures))
    if "slices" in data:
        found.append(_slices_section(data["slices"], figures))
    if "fairness" in data:
        found.append(_fairness_section(data["fairness"], figures))
    if "importances" in data:
        found.append(_explanations_section(data, figures))
    if "robustness" in data:
        found.append(_robustness_section(data["robustness"]))
    if "adversarial" in data:
        found.extend(_adversarial_sections(data["adversarial"]))
    if "behaviour" in data:
        rows = [
            [item["name"], item["value"], _verdict(item["passed"])] for item in data["behaviour"]
        ]
        found.append(_section("Behaviour tests", ["test", "value", "result"], rows))
    if "comparison" in data:
        found.append(_comparison_section(data["comparison"], figures))
    if "train_overlap" in data:
        found.append(_overlap_section(data["train_overlap"]))
    return found


def _scorecard_section(section: dict[str, Any], figures: _Figures) -> dict[str, Any]:
    header = ["band", "rows", "score range", "events", "event rate", "mean predicted"]
    header += ["lift", "gains", "calibration p", "calibrated"]
    rows = [
        [
            row["band"],
            row["rows"],
            f"{_number(row['min_score'])} – {_number(row['max_score'])}",
            row["events"],
            _number(row["event_rate"]),
            _number(row["mean_predicted"]),
            _number(row["lift"]),
            _number(row["gains"]),
            _number(row["p_value"]),
            "yes" if row["calibrated"] else "NO",
        ]
        for row in section["bands"]
    ]
    title = f"Score bands — Gini {_number(section['gini'])}, KS {_number(section['ks'])}"
    charts = [
        figures.html(report_figures.score_distribution(section["distribution"])),
        figures.html(report_figures.gains(section["bands"])),
    ]
    return _section(title, header, rows, charts)


def _overlap_section(section: dict[str, Any]) -> dict[str, Any]:
    rows = [
        ["validation rows also in training", section["overlap_rows"]],
        ["share of validation rows", f"{section['overlap_share']:.2%}"],
        ["training data set", f"{section['training_dataset']} ({section['training_rows']} rows)"],
    ]
    return _section("Train/validation overlap", ["figure", "value"], rows)


def _section(
    title: str, header: list[str], rows: list[list[Any]], figures: list[str] | None = None
) -> dict[str, Any]:
    table = {"header": header, "rows": rows} if rows else None
    return {"title": title, "table": table, "figures": figures or []}


def _slices_section(section: dict[str, Any], figures: _Figures) -> dict[str, Any]:
    header = ["slice", "size", section["metric"], "gap", "flagged"]
    rows = [
        [
            row["slice"],
            row["size"],
            row["value"],
            row["gap"],
            "yes" if row["flagged"] else "small" if row["small"] else "",
        ]
        for row in section["rows"]
    ]
    title = f"Slices ({section['metric']}; overall {_number(section['overall'])})"
    return _section(title, header, rows, [figures.html(report_figures.slices(section))])


def _fairness_section(section: dict[str, Any], figures: _Figures) -> dict[str, Any]:
    rows = []
    charts = []
    for attribute, values in section.items():
        if not isinstance(values, dict):
            continue  # the positive label
        rows.append(
            [
                attribute,
                values["demographic_parity_difference"],
                values["demographic_parity_ratio"],
                values["equalized_odds_difference"],
            ]
        )
        charts.append(figures.html(report_figures.fairness(attribute, values)))
    header = ["attribute", "parity difference", "parity ratio", "equalized odds difference"]
    return _section("Fairness", header, rows, charts)


def _explanations_section(data: dict[str, Any], figures: _Figures) -> dict[str, Any]:
    charts = [figures.html(report_figures.importances(data["importances"]))]
    curves = data.get("partial_dependence", {}).get("features", {})
    for feature, curve in curves.items():
        charts.append(figures.html(report_figures.partial_dependence(feature, curve)))
    rows = []
    if "shap" in data:
        rows = [["SHAP values", f"{len(data['shap']['rows'])} rows explained"]]
    return _section("Explanations", ["", ""], rows, charts)


def _robustness_section(section: dict[str, Any]) -> dict[str, Any]:
    rows = [
        [probe["feature"], probe["side"], probe["value"], probe["shift"], probe["problem"] or ""]
        for probe in section.get("out_of_range", [])
    ]
    header = ["feature", "side", "probe value", "mean shift", "problem"]
    return _section("Robustness: out-of-range inputs", header, rows)


def _adversarial_sections(section: dict[str, Any]) -> list[dict[str, Any]]:
    """Which features flip decisions most cheaply, which an applicant could game, and examples."""
    gameable = ", ".join(section["gameable_features"]) or "none"
    summary = [
        ["rows searched", section["rows"]],
        ["rows whose decision one feature can flip", section["rows_flippable"]],
        ["features an applicant could game", gameable],
        [f"adverse decisions flipped within {section['budget']:g} std", section["gameable_share"]],
        ["immutable features", ", ".join(section["immutable"]) or "none declared"],
        ["rows whose cheapest flip is immutable", section["immutable_cheapest_share"]],
    ]
    header = ["feature", "kind", "rows flipped", "cheapest for", "median cost (std)"]
    header.append("median change")
    rows = [
        [name, f["kind"], f["rows_flipped"], f["rows_cheapest"], f["median_cost"]]
        + [f["median_change"]]
        for name, f in section["features"].items()
    ]
    examples = [
        [e["row"], e["decision"], e["feature"], e["from"], e["to"], e["cost"]]
        for e in section["examples"]
    ]
    return [
        _section("Adversarial robustness: smallest decision flips", ["", ""], summary),
        _section("Adversarial robustness: per feature", header, rows),
        _section(
            "Adversarial robustness: examples",
            ["row", "decision", "feature", "from", "to", "cost (std)"],
            examples,
        ),
    ]


def _comparison_section(section: dict[str, Any], figures: _Figures) -> dict[str, Any]:
    header = [
        "metric",
        "champion",
        "challenger",
        "difference",
        "CI low",
        "CI high",
        "p",
        "test",
        "verdict",
    ]
    rows = [
        [
            row[key]
            for key in (
                "metric",
                "champion",
                "challenger",
                "difference",
                "ci_low",
                "ci_high",
                "p_value",
                "test",
                "verdict",
            )
        ]
        for row in section["metrics"]
    ]
    title = f"Champion vs challenger: {section['verdict'].replace('_', ' ')}"
    return _section(title, header, rows, [figures.html(report_figures.comparison(section))])


def _verdict(passed: bool | None) -> str:
    return "info" if passed is None else "pass" if passed else "fail"


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return str(value) if isinstance(value, int) else f"{value:.4g}"
