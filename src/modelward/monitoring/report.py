"""The monitoring report of a deployment: one self-contained HTML page (plotly.js inline once,
so it opens offline) with drift per feature (reference and latest window overlaid), drift,
performance, fairness, business figures and PSI/CSI over time (limits as dashed lines), and
the alerts table. Reads stored windows; the latest window's rows
are read back from the prediction log for the distributions."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from modelward.domain.monitoring import Alert, MonitoringWindow, PredictionLog
from modelward.domain.obligations import WindowFigure
from modelward.domain.ports import ArtifactStore, UnitOfWork
from modelward.monitoring import early_warning, figures, obligations, service
from modelward.monitoring.reference import from_training, inputs_of

MAX_POINTS = 20_000  # rows per side drawn in a histogram (a seeded sample beyond that)


class _Figures:
    """Figures as HTML divs; plotly.js goes inline with the first one only."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, figure: go.Figure) -> str:
        self.count += 1
        figure.update_layout(margin={"l": 40, "r": 20, "t": 50, "b": 40})
        return str(
            figure.to_html(
                full_html=False,
                include_plotlyjs=self.count == 1,
                div_id=f"modelward-monitoring-{self.count}",
                default_height="340px",
            )
        )


def _overlay(name: str, reference: pd.Series, current: pd.Series, title: str) -> go.Figure:
    figure = go.Figure()
    for label, values in (("reference", reference), ("latest window", current)):
        values = values.dropna()
        if len(values) > MAX_POINTS:
            values = values.sample(MAX_POINTS, random_state=0)
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric:
            # one bin group: both distributions on the same bins, so their shares compare
            figure.add_histogram(
                x=values, name=label, opacity=0.6, histnorm="probability", bingroup=1
            )
        else:
            shares = values.astype(str).value_counts(normalize=True).head(30)
            figure.add_bar(x=list(shares.index), y=list(shares.values), name=label, opacity=0.6)
    figure.update_layout(barmode="overlay", title=title, xaxis_title=name, yaxis_title="share")
    return figure


def _over_time(windows: list[MonitoringWindow], target: str) -> go.Figure:
    figure = go.Figure()
    series: dict[str, tuple[list[datetime], list[float | None]]] = {}
    for window in windows:
        for point in window.drift:
            if point.target == target:
                xs, ys = series.setdefault(point.column, ([], []))
                xs.append(window.start)
                ys.append(point.effect_size)
    for column, (xs, ys) in series.items():
        figure.add_scatter(x=xs, y=ys, mode="lines+markers", name=column)
    title = "Input drift over time" if target == "input" else "Output drift over time"
    figure.update_layout(title=f"{title} (effect size)", yaxis_title="effect size")
    return figure


def _performance(windows: list[MonitoringWindow]) -> go.Figure:
    figure = go.Figure()
    series: dict[str, tuple[list[datetime], list[float | None], float | None]] = {}
    for window in windows:
        for point in window.performance:
            xs, ys, _ = series.get(point.metric, ([], [], None))
            xs.append(window.start)
            ys.append(point.value)
            series[point.metric] = (xs, ys, point.threshold)
    for metric, (xs, ys, bound) in series.items():
        figure.add_scatter(x=xs, y=ys, mode="lines+markers", name=metric)
        if bound is not None:
            figure.add_scatter(
                x=xs, y=[bound] * len(xs), mode="lines", name=f"{metric} bound",
                line={"dash": "dash"},
            )  # fmt: skip
    figure.update_layout(title="Performance on labelled rows over time")
    return figure


def _early_warning(windows: list[MonitoringWindow]) -> list[go.Figure]:
    """Multivariate drift and estimated (vs realised) performance over time."""
    lines = early_warning.series(windows)
    multi = go.Figure()
    for name, line in lines["multivariate"].items():
        dash = None if name.startswith("domain") else "dash"
        multi.add_scatter(x=line["x"], y=line["y"], mode="lines+markers" if dash is None
                          else "lines", name=name, line={"dash": dash})  # fmt: skip
    multi.update_layout(title="Multivariate drift over time (domain classifier)",
                        yaxis_title="ROC AUC")  # fmt: skip
    estimated = go.Figure()
    for name, line in lines["estimated"].items():
        bound = name.endswith(("lower", "upper"))
        estimated.add_scatter(x=line["x"], y=line["y"], name=name,
                              mode="lines" if bound else "lines+markers",
                              line={"dash": "dot"} if bound else None)  # fmt: skip
    estimated.update_layout(title="Estimated performance (no labels) and realised, over time")
    return [multi, estimated]


_FIGURE_TITLES = {
    "fairness": ("Fairness per window (dashed: the policy limit)", "fairness figure"),
    "business": ("Business figures per window (dashed: declared min / max)", "value"),
    "psi": ("PSI of the score (< 0.1 stable, 0.1-0.25 watch, > 0.25 shift)", "PSI"),
    "csi": ("CSI per characteristic (< 0.1 stable, 0.1-0.25 watch, > 0.25 shift)", "CSI"),
}


def _figure_charts(
    windows: list[MonitoringWindow], by_window: dict[int, list[WindowFigure]]
) -> list[go.Figure]:
    """Fairness, business, PSI and CSI over time, limits as dashed lines (charts with no
    figure are left out)."""
    charts = []
    for chart, lines in figures.series(windows, by_window).items():
        if not lines:
            continue
        figure = go.Figure()
        for name, line in lines.items():
            limit = line.get("dash") is not None
            figure.add_scatter(x=line["x"], y=line["y"], name=name,
                               mode="lines" if limit else "lines+markers",
                               line={"dash": line["dash"]} if limit else None)  # fmt: skip
        title, axis = _FIGURE_TITLES[chart]
        figure.update_layout(title=title, yaxis_title=axis, meta={"chart": chart})
        charts.append(figure)
    return charts


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _alerts_table(alerts: list[Alert]) -> str:
    rows = [
        [
            a.id,
            a.created_at.strftime("%Y-%m-%d %H:%M"),
            a.kind.value,
            a.severity.value,
            a.subject,
            a.message,
            "open" if a.is_open else f"ack by {a.acknowledged_by}",
            a.webhook_status,
        ]  # fmt: skip
        for a in alerts
    ]
    headers = ["id", "created", "kind", "severity", "subject", "message", "state", "webhook"]
    return _table(headers, rows) if rows else "<p>No alerts.</p>"


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _latest_section(
    window: MonitoringWindow, reference: pd.DataFrame | None, current: pd.DataFrame, figs: _Figures
) -> list[str]:
    parts = [
        _table(
            ["column", "method", "effect size", "threshold", "p-value", "drifted", "status"],
            [
                [
                    p.column,
                    p.method,
                    _fmt(p.effect_size),
                    _fmt(p.threshold),
                    _fmt(p.p_value),
                    p.drifted,
                    p.status,
                ]
                for p in window.drift
            ],  # fmt: skip
        )
    ]
    if reference is None:
        return [*parts, "<p>No reference rows recorded: distributions cannot be drawn.</p>"]
    for point in window.drift:
        if point.target == "input" and point.column in reference and point.column in current:
            title = f"{point.column}: effect size {_fmt(point.effect_size)}" + (
                " — DRIFTED" if point.drifted else ""
            )
            parts.append(
                figs.html(
                    _overlay(point.column, reference[point.column], current[point.column], title)
                )
            )
    return parts


def build_report(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    predictions: PredictionLog,
    *,
    deployment: str,
    now: datetime,
) -> str:
    """The HTML report of `deployment`. Raises NotFound for an unknown deployment."""
    windows = service.list_windows(uow, deployment=deployment)
    alerts = service.list_alerts(uow, deployment=deployment)
    by_window = obligations.list_figures(uow, deployment=deployment)
    with uow:
        dep = uow.deployments.get_deployment(deployment)
    ref = from_training(uow, artifacts, dep)
    figs = _Figures()
    body = [
        f"<h1>Monitoring: {html.escape(deployment)}</h1>",
        f"<p>Model {html.escape(dep.model)} v{dep.config.champion}; reference:"
        f" {html.escape(ref.description)}; {len(windows)} windows;"
        f" generated {now:%Y-%m-%d %H:%M} UTC.</p>",
    ]
    judged = [w for w in windows if w.drift]
    if judged:
        latest = judged[-1]
        current = inputs_of(predictions.read(deployment, latest.start, latest.end), ref.features)
        body.append(f"<h2>Drift per feature, window {latest.start} - {latest.end}</h2>")
        body += _latest_section(latest, ref.frame, current, figs)
    else:
        body.append("<p>No window with enough data has been monitored yet.</p>")
    body += [
        "<h2>Over time</h2>",
        figs.html(_over_time(windows, "input")),
        figs.html(_over_time(windows, "prediction")),
        figs.html(_performance(windows)),
        *(figs.html(figure) for figure in _early_warning(windows)),
        *(figs.html(figure) for figure in _figure_charts(windows, by_window)),
        "<h2>Windows</h2>",
        _table(
            ["start", "end", "status", "rows", "labels", "drifted"],
            [
                [
                    w.start,
                    w.end,
                    w.status.value,
                    w.n_rows,
                    w.n_labels,
                    ", ".join(w.summary.get("drifted", [])),
                ]
                for w in windows
            ],  # fmt: skip
        ),
        "<h2>Alerts</h2>",
        _alerts_table(alerts),
    ]
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
        "font-size:0.9em;text-align:left}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Monitoring {html.escape(deployment)}</title><style>{style}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )
