"""Per-window fairness, business and ranking figures (pure computing; `obligations` stores).

- **Fairness**: the window's labelled records joined with their protected context are judged
  by validation's own code (`modelward.validation.fairness.check_fairness`): the same
  figures, names and bounds as at validation; the policy's `thresholds` on ``fairness.*``
  checks decide a breach (`policy_verdict`), as at the gate.
- **Business**: metrics declared in ``monitoring: business:`` over the window's records joined
  with their outcomes: ``{column, agg: mean|sum|rate|count, where: <condition>, min, max,
  severity}``; `where` is parsed by `modelward.domain.expr` (never evaluated as code). Without
  declarations, the mean of every numeric outcome column is reported (``outcome.<column>``).
- **Ranking**: precision@k, recall@k and NDCG@k (`modelward.stats.ranking`) of the logged
  class probabilities against the label, for classifiers with more than two classes.
- **Stability**: ``psi`` (the score's, or prediction's, population stability index) and
  ``csi.<feature>`` (each input's characteristic stability index), from the window's summary
  (`modelward.monitoring.stability`); limit 0.25 (the conventional shift band), the band in
  the details. They raise no alert of their own: the same shift raises the drift alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain import expr
from modelward.domain.obligations import WindowFigure
from modelward.domain.policy import Policy, policy_verdict
from modelward.errors import InvalidInput
from modelward.stats import ranking, stability
from modelward.validation.base import Outputs
from modelward.validation.expr_eval import evaluate_mask
from modelward.validation.fairness import check_fairness

AGGREGATES = ("mean", "sum", "rate", "count")
STABILITY = "stability"
CONTEXT, OUTCOME = "ctx.", "out."


@dataclass(frozen=True)
class BusinessMetric:
    """A per-window metric over records joined with their outcomes."""

    name: str
    column: str | None = None
    agg: str = "mean"
    where: str | None = None
    min: float | None = None
    max: float | None = None
    severity: str = "warning"


@dataclass(frozen=True)
class FigureOptions:
    """What the per-window figures compute (from the project file)."""

    business: tuple[BusinessMetric, ...] = ()
    sensitive: tuple[str, ...] = ()  # context columns judged for fairness (empty: all)
    ranking_k: tuple[int, ...] = ranking.DEFAULT_K
    min_rows: int = 30
    fallback: Any = None  # the deployment's fallback answer, for a kill-switch response


def parse_business(section: Mapping[str, Any]) -> tuple[BusinessMetric, ...]:
    """``monitoring: business:`` as metrics; each `where` parsed now, so a typo fails early.

    Raises:
        InvalidInput: an unknown key or aggregate, or a `where` outside the grammar.
    """
    found = []
    for name, spec in section.items():
        if not isinstance(spec, Mapping):
            raise InvalidInput(f"Business metric {name!r} must be a mapping (column, agg ...).")
        unknown = set(spec) - {"column", "agg", "where", "min", "max", "severity"}
        if unknown:
            raise InvalidInput(f"Business metric {name!r}: unknown key(s) {sorted(unknown)}.")
        metric = BusinessMetric(str(name), **dict(spec))
        if metric.agg not in AGGREGATES:
            raise InvalidInput(
                f"Business metric {name!r}: agg {metric.agg!r} is not one of {AGGREGATES}."
            )
        if metric.agg in ("mean", "sum") and not metric.column:
            raise InvalidInput(f"Business metric {name!r}: agg {metric.agg} needs a column.")
        if metric.where:
            expr.parse(metric.where, label=f"Business metric {name!r}")
        found.append(metric)
    return tuple(found)


def _binary_outputs(frame: pd.DataFrame) -> Outputs | None:
    truth, pred = frame["label"].to_numpy(), frame["prediction"].to_numpy()
    try:
        classes = tuple(sorted(set(truth.tolist()) | set(pred.tolist())))
    except TypeError:
        return None
    if len(classes) != 2:
        return None
    return Outputs("classification", truth, pred, classes=classes, positive_label=classes[1])


def fairness_figures(
    labelled: pd.DataFrame, *, policy: Policy, sensitive: Sequence[str], min_rows: int
) -> list[WindowFigure]:
    """Validation's fairness checks on the window's labelled records with context."""
    columns = [c for c in labelled.columns if c.startswith(CONTEXT)]
    wanted = [c for c in columns if not sensitive or c.removeprefix(CONTEXT) in sensitive]
    wanted = [c for c in wanted if labelled[c].astype(str).nunique() >= 2]
    if len(labelled) < min_rows or not wanted:
        return []
    outputs = _binary_outputs(labelled)
    if outputs is None:
        return []
    features = labelled[wanted].set_axis([c.removeprefix(CONTEXT) for c in wanted], axis=1)
    part = check_fairness(outputs, sensitive_features=features.reset_index(drop=True))
    figures = []
    for check in part.checks:
        if check.passed is None and check.threshold is None:
            continue  # informational (the parity ratio is judged as the four-fifths rule)
        verdict = policy_verdict(policy, check)
        bound = next((r for r in policy.thresholds if check.name.startswith(r.name)), None)
        threshold = check.threshold
        if bound is not None:
            threshold = bound.max_value if bound.max_value is not None else bound.min_value
        figures.append(WindowFigure(
            "fairness", check.name, check.value, threshold,
            None if verdict is None else not verdict, len(labelled),
            {"direction": check.direction, "message": check.message, **check.details},
        ))  # fmt: skip
    return figures


def _aggregate(metric: BusinessMetric, frame: pd.DataFrame) -> tuple[float | None, int]:
    rows = frame
    if metric.where:
        mask = evaluate_mask(
            expr.parse(metric.where), frame, label=f"Business metric {metric.name!r}"
        )
        rows = frame[mask] if metric.agg != "rate" else frame
        if metric.agg == "rate":
            return (float(mask.mean()) if len(mask) else None), len(frame)
    if metric.agg == "count":
        return float(len(rows)), len(rows)
    if metric.agg == "rate":
        values = pd.to_numeric(rows[metric.column], errors="coerce") if metric.column else None
        if values is None or not len(values):
            return None, len(rows)
        return float((values.fillna(0) != 0).mean()), len(rows)
    values = pd.to_numeric(rows[metric.column], errors="coerce").dropna()
    if not len(values):
        return None, 0
    return float(values.mean() if metric.agg == "mean" else values.sum()), len(values)


def business_figures(
    with_outcomes: pd.DataFrame, metrics: Sequence[BusinessMetric]
) -> list[WindowFigure]:
    """Declared metrics (or each numeric outcome's mean) over records joined with outcomes."""
    if with_outcomes.empty:
        return []
    frame = with_outcomes.rename(columns=lambda c: str(c).removeprefix(OUTCOME))
    if not metrics:
        numeric = [c.removeprefix(OUTCOME) for c in with_outcomes.columns
                   if c.startswith(OUTCOME) and pd.api.types.is_numeric_dtype(
                       pd.to_numeric(with_outcomes[c], errors="coerce"))]  # fmt: skip
        metrics = [BusinessMetric(f"outcome.{c}", c, "mean") for c in numeric]
    figures = []
    for metric in metrics:
        if metric.column and metric.column not in frame.columns:
            continue  # this window's outcomes do not carry it yet
        value, n = _aggregate(metric, frame)
        low, high = metric.min, metric.max
        breached = None
        if value is not None and (low is not None or high is not None):
            breached = (low is not None and value < low) or (high is not None and value > high)
        figures.append(WindowFigure(
            "business", metric.name, value, low if low is not None else high, breached, n,
            {"agg": metric.agg, "column": metric.column, "where": metric.where,
             "min": low, "max": high, "severity": metric.severity},
        ))  # fmt: skip
    return figures


def ranking_figures(labelled: pd.DataFrame, ks: Sequence[int]) -> list[WindowFigure]:
    """Ranking metrics of the logged probabilities (more than two classes) vs the label."""
    probs = labelled.get("probabilities")
    if probs is None or labelled.empty or probs.isna().any():
        return []
    widths = {len(p) for p in probs}
    if len(widths) != 1 or (width := widths.pop()) <= 2:
        return []
    try:
        classes = sorted(set(labelled["label"].tolist()) | set(labelled["prediction"].tolist()))
    except TypeError:
        return []
    if len(classes) != width:
        return []  # not every class seen: the column order cannot be known
    scores = np.vstack([np.asarray(p, dtype=float) for p in probs])
    relevance = ranking.one_hot(labelled["label"].tolist(), classes)
    values = ranking.ranking_metrics(relevance, scores, [k for k in ks if k <= width])
    return [WindowFigure("ranking", name, value, None, None, len(labelled), {})
            for name, value in values.items()]  # fmt: skip


def stability_figures(found: Mapping[str, Any]) -> list[WindowFigure]:
    """``psi`` and ``csi.<feature>`` of a window's ``stability`` summary, judged against the
    shift band (> 0.25 breached; the details keep the band and the bins' shares)."""
    entries = [("psi", found.get("psi"))]
    entries += [(f"csi.{name}", entry) for name, entry in (found.get("csi") or {}).items()]
    figures = []
    for name, entry in entries:
        if not entry or entry.get("value") is None:
            continue
        value = float(entry["value"])
        figures.append(WindowFigure(
            STABILITY, name, value, stability.SHIFT, value > stability.SHIFT,
            int(entry.get("n_current") or 0),
            {"band": stability.band(value), "bins": entry.get("bins"),
             "expected": entry.get("expected"), "actual": entry.get("actual"),
             "n_reference": entry.get("n_reference"), "sampled": found.get("sampled")},
        ))  # fmt: skip
    return figures


Line = dict[str, Any]


def series(
    windows: Sequence[Any], by_window: Mapping[int, Sequence[WindowFigure]]
) -> dict[str, dict[str, Line]]:
    """Over-time lines of the stored figures for charts (the UI page and the HTML report),
    x = window start: ``fairness``, ``business``, ``psi`` and ``csi``, each figure a line and
    each limit a dashed line (``"dash": "dash"``): the policy's fairness limit, a business
    metric's min and max, the PSI/CSI bands' 0.1 (watch) and 0.25 (shift)."""
    lines: dict[str, dict[str, Line]] = {"fairness": {}, "business": {}, "psi": {}, "csi": {}}

    def put(chart: str, name: str, at: str, value: Any, *, limit: bool = False) -> None:
        line = lines[chart].setdefault(name, {"x": [], "y": [], **({"dash": "dash"} if limit
                                                                    else {})})  # fmt: skip
        line["x"].append(at)
        line["y"].append(value)

    for window in windows:
        at = window.start.isoformat()
        for fig in by_window.get(window.id, ()):
            if fig.family == "fairness":
                put("fairness", fig.name, at, fig.value)
                if fig.threshold is not None:
                    put("fairness", f"{fig.name} limit", at, fig.threshold, limit=True)
            elif fig.family == "business":
                put("business", fig.name, at, fig.value)
                for side in ("min", "max"):
                    if fig.details.get(side) is not None:
                        put("business", f"{fig.name} {side}", at, fig.details[side], limit=True)
            elif fig.family == STABILITY:
                chart = "psi" if fig.name == "psi" else "csi"
                label = "PSI (score)" if chart == "psi" else f"CSI {fig.name.removeprefix('csi.')}"
                put(chart, label, at, fig.value)
    for chart in ("psi", "csi"):
        drawn = [x for line in lines[chart].values() for x in line["x"]]
        if drawn:
            xs = sorted(set(drawn))
            lines[chart][f"band {stability.WATCH:g} (watch)"] = {
                "x": xs, "y": [stability.WATCH] * len(xs), "dash": "dash"}  # fmt: skip
            lines[chart][f"band {stability.SHIFT:g} (shift)"] = {
                "x": xs, "y": [stability.SHIFT] * len(xs), "dash": "dash"}  # fmt: skip
    return lines
