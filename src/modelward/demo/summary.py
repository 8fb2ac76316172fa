"""The demo's HTML summary: one self-contained page (Plotly inline) with the figures that
decided each step — candidates, fairness, the risk matrix, traffic, drift and alerts."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from modelward.domain.risk import render_matrix

_LEVEL_COLOURS = {"low": "#c6efce", "medium": "#ffeb9c", "high": "#f8cbad", "severe": "#e06666"}


def _figure_html(figure: go.Figure, *, first: bool) -> str:
    return str(
        pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs="inline" if first else False,
            default_width="100%",
            default_height="360px",
        )
    )


def _candidates(facts: dict[str, Any]) -> go.Figure:
    rows = facts.get("candidates", [])
    figure = go.Figure()
    figure.add_bar(x=[r["label"] for r in rows], y=[r["auc"] for r in rows], name="ROC AUC")
    figure.add_bar(
        x=[r["label"] for r in rows],
        y=[r.get("parity") for r in rows],
        name="demographic parity difference (gender)",
    )
    figure.update_layout(
        title="Candidates: accuracy and fairness on the hold-out set", barmode="group"
    )
    return figure


def _matrix(facts: dict[str, Any]) -> str:
    risk = facts.get("risk")
    marked = (int(risk.likelihood), int(risk.severity)) if risk is not None else None
    rows = []
    for row in render_matrix(marked=marked):
        cells = "".join(
            f'<td style="background:{_LEVEL_COLOURS[c.level.value]};'
            f'{"outline:3px solid #000;font-weight:bold" if c.marked else ""}">{c.score}</td>'
            for c in row
        )
        rows.append(f"<tr><th>{int(row[0].likelihood)}</th>{cells}</tr>")
    header = "".join(f"<th>{s}</th>" for s in range(1, 6))
    return f'<table class="matrix"><tr><th>L \\ S</th>{header}</tr>{"".join(rows)}</table>'


def _drift(facts: dict[str, Any]) -> go.Figure | None:
    drift = facts.get("drift_effects")
    if not drift:
        return None
    names = sorted(drift, key=lambda k: drift[k], reverse=True)
    figure = go.Figure(go.Bar(x=names, y=[drift[n] for n in names]))
    figure.add_hline(y=0.1, line_dash="dash", annotation_text="alarm threshold")
    figure.update_layout(title="Drift of the later period: effect size per feature")
    return figure


def write_summary(facts: dict[str, Any], path: Path) -> Path:
    """Write the summary page to `path` and return it."""
    figures = [f for f in (_candidates(facts), _drift(facts)) if f is not None]
    charts = "".join(_figure_html(f, first=i == 0) for i, f in enumerate(figures))
    narrative = "".join(f"<li>{html.escape(line)}</li>" for line in facts.get("narrative", []))
    traffic = ", ".join(f"{k}: {v}" for k, v in sorted(facts.get("traffic", {}).items()))
    alerts = (
        "".join(
            f"<tr><td>{html.escape(a['kind'])}</td><td>{html.escape(a['message'])}</td></tr>"
            for a in facts.get("alerts", [])
        )
        or "<tr><td colspan=2>none</td></tr>"
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>modelward demo: credit-risk</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:4px 10px;text-align:center}}
.matrix td{{width:48px;height:32px}}</style></head><body>
<h1>The life of credit-risk</h1>
<ul style="list-style:none;padding-left:0">{narrative}</ul>
<h2>Risk matrix (likelihood x severity)</h2>{_matrix(facts)}
<h2>Charts</h2>{charts}
<h2>Traffic</h2><p>{html.escape(traffic) or "none"}</p>
<h2>Alerts</h2><table><tr><th>kind</th><th>message</th></tr>{alerts}</table>
</body></html>"""
    path.write_text(page)
    return path
