"""Plotly figures of a validation report, built from its JSON sections.

One function per chart, each taking a section as stored in `ValidationReport.sections` and
returning a figure; layout and HTML belong to `report_html`.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

_LAYOUT = {
    "height": 380,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "template": "plotly_white",
}


def _figure(title: str, **layout: Any) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(title=title, **{**_LAYOUT, **layout})
    return figure


def confusion_matrix(section: dict[str, Any]) -> go.Figure:
    """Heatmap of counts: rows are true classes, columns predicted ones."""
    figure = _figure("Confusion matrix", xaxis_title="Predicted", yaxis_title="Actual")
    figure.add_trace(
        go.Heatmap(
            z=section["matrix"],
            x=section["labels"],
            y=section["labels"],
            text=section["matrix"],
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
        )
    )
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(type="category")
    return figure


def calibration(section: dict[str, Any]) -> go.Figure:
    """Observed positive rate against mean predicted probability per bin."""
    figure = _figure(
        "Calibration", xaxis_title="Mean predicted probability", yaxis_title="Observed rate"
    )
    figure.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line={"dash": "dot"})
    )
    figure.add_trace(
        go.Scatter(
            x=section["predicted"], y=section["observed"], mode="lines+markers", name="model"
        )
    )
    return figure


def roc(section: dict[str, Any]) -> go.Figure:
    """ROC curve with the chance diagonal."""
    figure = _figure(
        "ROC curve", xaxis_title="False positive rate", yaxis_title="True positive rate"
    )
    figure.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dot"})
    )
    figure.add_trace(go.Scatter(x=section["fpr"], y=section["tpr"], mode="lines", name="model"))
    return figure


def slices(section: dict[str, Any]) -> go.Figure:
    """Metric per slice (flagged slices in red) against the overall figure."""
    rows = [row for row in section["rows"] if row["value"] is not None]
    colours = ["#d62728" if row["flagged"] else "#1f77b4" for row in rows]
    figure = _figure(f"{section['metric']} by slice", height=max(380, 22 * len(rows) + 120))
    figure.add_trace(
        go.Bar(
            x=[row["value"] for row in rows],
            y=[row["slice"] for row in rows],
            orientation="h",
            marker_color=colours,
            customdata=[row["size"] for row in rows],
            hovertemplate="%{y}: %{x:.4g} (n=%{customdata})<extra></extra>",
        )
    )
    if section.get("overall") is not None:
        figure.add_vline(x=section["overall"], line_dash="dash", annotation_text="overall")
    figure.update_yaxes(type="category", autorange="reversed")
    return figure


def fairness(attribute: str, figures: dict[str, Any]) -> go.Figure:
    """Selection rate, TPR and FPR per group of one sensitive attribute."""
    figure = _figure(f"Fairness by {attribute}", barmode="group", yaxis_range=[0, 1])
    for key, label in (("selection_rate", "selection rate"), ("tpr", "TPR"), ("fpr", "FPR")):
        figure.add_trace(go.Bar(x=figures["groups"], y=figures[key], name=label))
    figure.update_xaxes(type="category")
    return figure


def importances(section: dict[str, Any], *, limit: int = 20) -> go.Figure:
    """Permutation importance with one standard deviation, most important first."""
    features = section["features"][:limit]
    figure = _figure(
        f"Permutation importance (drop in {section['metric']})",
        height=max(380, 22 * len(features) + 120),
    )
    figure.add_trace(
        go.Bar(
            x=section["mean"][:limit],
            y=features,
            orientation="h",
            error_x={"type": "data", "array": section["std"][:limit]},
        )
    )
    figure.update_yaxes(type="category", autorange="reversed")
    return figure


def partial_dependence(feature: str, curve: dict[str, Any]) -> go.Figure:
    """Average prediction as one feature moves over its grid."""
    figure = _figure(f"Partial dependence on {feature}", xaxis_title=feature)
    for output, values in curve["values"].items():
        figure.add_trace(go.Scatter(x=curve["grid"], y=values, mode="lines+markers", name=output))
    return figure


def comparison(section: dict[str, Any]) -> go.Figure:
    """Challenger minus champion per metric, with its confidence interval."""
    rows = [
        row
        for row in section["metrics"]
        if None not in (row["difference"], row["ci_low"], row["ci_high"])
    ]
    figure = _figure("Challenger minus champion")
    figure.add_trace(
        go.Scatter(
            x=[row["difference"] for row in rows],
            y=[row["metric"] for row in rows],
            mode="markers",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [row["ci_high"] - row["difference"] for row in rows],
                "arrayminus": [row["difference"] - row["ci_low"] for row in rows],
            },
        )
    )
    figure.add_vline(x=0, line_dash="dot")
    figure.update_yaxes(type="category")
    return figure


def score_distribution(section: dict[str, Any]) -> go.Figure:
    """Histogram of the score for each class on shared bins."""
    edges = section["edges"]
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
    figure = _figure(
        "Score distribution by class", xaxis_title="Score", yaxis_title="Rows", barmode="overlay"
    )
    figure.add_trace(go.Bar(x=centres, y=section["non_events"], name="non-events", opacity=0.6))
    figure.add_trace(go.Bar(x=centres, y=section["events"], name="events", opacity=0.6))
    return figure


def gains(bands: list[dict[str, Any]]) -> go.Figure:
    """Cumulative share of events captured (gains) and lift, riskiest band first."""
    figure = _figure(
        "Gains and lift by score band", xaxis_title="Band (1 = riskiest)", yaxis_title="Value"
    )
    numbers = [row["band"] for row in bands]
    figure.add_trace(go.Scatter(x=numbers, y=[r["gains"] for r in bands], name="gains (cum.)"))
    figure.add_trace(go.Bar(x=numbers, y=[r["lift"] for r in bands], name="lift", opacity=0.5))
    return figure
