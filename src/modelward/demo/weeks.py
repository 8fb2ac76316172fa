"""Step 8b of the demo: six weeks of traffic with real timestamps, so every over-time chart
shows a trend.

A second deployment, ``credit-scoring-weeks`` (staging), receives one batch a day for six
weeks, dated in the past: the recession drifts in over four weeks (each day a growing share
of applicants comes from the drifted period), the champion's accuracy falls with it, labels
arrive three days late (the newest days have none yet), and in the last week the retrained
version answers and recovers it. Gender travels in the protected-context feed (never given to
the model), repayment outcomes in the outcome feed; one monitoring run with daily windows
computes drift, performance, fairness and business figures per day.

The first week is the run's reference period (``reference_window``): its labelled rows
calibrate CBPE, so every day also carries an estimated accuracy and ROC AUC with an interval
before its labels arrive (the newest three days have only the estimate), drawn beside the
realised figures in the report; `estimated_by_week` sums them up for the narration. The
drift reference is that week's logged traffic too, as in NannyML's reference period.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from modelward.demo import credit_data as data

WEEKS_DEPLOYMENT = "credit-scoring-weeks"
DAYS = 42
DRIFT_DAYS = 28  # the recession is complete after four weeks
RETRAINED_FROM = 35  # the retrained version answers from day 35 (the last week)
LABEL_LAG_DAYS = 3
REFERENCE_DAYS = 7  # the reference period: the first week, labelled (CBPE calibrates on it)


def _day_frame(day: int, rows: int) -> pd.DataFrame:
    share = min(1.0, day / DRIFT_DAYS)
    drifted = int(round(rows * share))
    parts = [
        data.generate_applicants(rows - drifted, seed=1000 + day) if rows - drifted else None,
        data.generate_applicants(drifted, seed=2000 + day, period="drifted") if drifted else None,
    ]
    return pd.concat([p for p in parts if p is not None], ignore_index=True)


def simulate(lc: Any, *, rows_per_day: int = 120) -> dict[str, Any]:
    """Log six weeks of dated traffic, send labels, context and outcomes, run monitoring."""
    from modelward.store.predictions import PredictionEntry, write_entries

    omar = lc.as_("omar")
    champion, retrained = lc.facts["mitigated"], lc.facts["retrained"]
    omar.deployments.create(WEEKS_DEPLOYMENT, model_uri=f"models:/credit-risk/{champion}",
                            environment="staging")  # fmt: skip
    models = {
        v: omar.registry.load_model(f"models:/credit-risk/{v}") for v in (champion, retrained)
    }
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=DAYS)
    entries, labels, context, outcomes = [], [], [], []
    features = [c for c in data.FEATURES if c != "gender"]
    for day in range(DAYS):
        frame = _day_frame(day, rows_per_day)
        version = retrained if day >= RETRAINED_FROM else champion
        proba = models[version].predict_proba(frame[features])
        rid = f"weeks-{day:02d}"
        entries.append(PredictionEntry(
            request_id=rid, ts=start + timedelta(days=day, hours=12), deployment=WEEKS_DEPLOYMENT,
            model="credit-risk", version=version, arm="champion", latency_ms=2.0,
            inputs={c: frame[c].to_numpy() for c in features},
            predictions=(proba[:, 1] > 0.5).astype(int), probabilities=proba,
        ))  # fmt: skip
        keys = {"request_id": [rid] * len(frame), "row": np.arange(len(frame))}
        context.append(pd.DataFrame({**keys, "gender": frame["gender"].to_numpy()}))
        outcomes.append(pd.DataFrame({**keys, "repaid": 1 - frame[data.TARGET].to_numpy()}))
        if day < DAYS - LABEL_LAG_DAYS:
            labels.append(pd.DataFrame({**keys, "label": frame[data.TARGET].to_numpy()}))
    write_entries(omar.settings.resolved_predictions_dir(), entries, stem="weeks")
    victor = lc.as_("victor")  # protected context: a validator's permission, not operations'
    joined = {"id_column": "request_id", "row_column": "row"}
    omar.monitoring.ingest_labels(WEEKS_DEPLOYMENT, pd.concat(labels), **joined)
    victor.monitoring.ingest_context(WEEKS_DEPLOYMENT, pd.concat(context), **joined)
    omar.monitoring.ingest_outcomes(WEEKS_DEPLOYMENT, pd.concat(outcomes), **joined)
    reference = (start, start + timedelta(days=REFERENCE_DAYS))
    result = omar.monitoring.run(WEEKS_DEPLOYMENT, window="1d", reference_window=reference)
    report = lc.home.parent / "monitoring-weeks.html"
    omar.monitoring.report(WEEKS_DEPLOYMENT, report)
    return _facts(result.computed, report)


def estimated_by_week(windows: list[Any], metric: str = "accuracy") -> list[dict[str, Any]]:
    """Per week: the mean of the daily CBPE estimates of `metric` and of the realised values
    (None where no day of the week has labels yet), and the days estimated / labelled."""
    weeks: list[dict[str, Any]] = []
    for first in range(0, len(windows), 7):
        estimated, realised = [], []
        for window in windows[first : first + 7]:
            entry = ((window.summary.get("estimated") or {}).get("metrics") or {}).get(metric)
            if entry and entry.get("value") is not None:
                estimated.append(float(entry["value"]))
            if entry and entry.get("realised") is not None:
                realised.append(float(entry["realised"]))
        weeks.append({
            "week": first // 7 + 1,
            "estimated": float(np.mean(estimated)) if estimated else None,
            "realised": float(np.mean(realised)) if realised else None,
            "days_estimated": len(estimated),
            "days_labelled": len(realised),
        })  # fmt: skip
    return weeks


def describe_estimates(weeks: list[dict[str, Any]], metric: str = "accuracy") -> str:
    """One sentence: estimated vs realised `metric` per week (for the demo's narration)."""

    def pct(value: float | None) -> str:
        return "labels pending" if value is None else f"{value:.1%}"

    parts = [f"week {w['week']} {pct(w['estimated'])} (realised {pct(w['realised'])})"
             for w in weeks if w["days_estimated"]]  # fmt: skip
    if not parts:
        return "No CBPE estimate was computed (see the report's estimated-performance chart)."
    return (
        f"CBPE, calibrated on week 1 (the reference period), estimated {metric} before the"
        f" labels came: {'; '.join(parts)}."
    )


def _facts(windows: list[Any], report: Any) -> dict[str, Any]:
    def accuracy(days: range) -> float | None:
        values = [p.value for w in windows[days.start : days.stop] for p in w.performance
                  if p.metric == "accuracy" and p.value is not None]  # fmt: skip
        return float(np.mean(values)) if values else None

    first = next((i for i, w in enumerate(windows) if w.summary.get("drifted")), None)
    return {
        "windows": len(windows),
        "first_drift_day": first,
        "accuracy_first_week": accuracy(range(0, 7)),
        "accuracy_before_retrain": accuracy(range(RETRAINED_FROM - 7, RETRAINED_FROM)),
        "accuracy_retrained": accuracy(range(RETRAINED_FROM, DAYS - LABEL_LAG_DAYS)),
        "unlabelled_days": sum(1 for w in windows if w.n_labels == 0),
        "estimated_by_week": estimated_by_week(windows),
        "report": report,
    }
