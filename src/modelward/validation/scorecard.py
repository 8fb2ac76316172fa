"""The views credit-risk teams read on a binary scoring model: Gini and KS, the score
distribution of each class, score bands with lift and gains, and a calibration test per band.

The score is the model's probability of the positive class (for a credit model, the
probability of default). Each figure is its reference's:

- Gini = 2 × ROC AUC − 1, ROC AUC from `sklearn.metrics.roc_auc_score`.
- KS = `scipy.stats.ks_2samp(score[y == positive], score[y != positive]).statistic`: the
  largest gap between the two classes' score distributions (= max |TPR − FPR|).
- Bands: `bands` groups of about equal size by score rank (ties stay in one band, so there may
  be fewer); per band the rows, score range, events (positive targets), event rate, mean
  predicted probability, lift (event rate ÷ overall rate), cumulative share of events
  captured from the riskiest band down (gains).
- Calibration per band: a two-sided exact binomial test (`scipy.stats.binomtest`) of the
  band's events against its mean predicted probability; a band is miscalibrated when its
  p-value is below 1 − `confidence`. With ten bands at 95 % about one band in two models will
  be flagged by chance alone, so the count is informational unless a policy bounds it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

from modelward.validation.base import Outputs, Part, as_float, bounded_check

HISTOGRAM_BINS = 20


def check_scorecard(outputs: Outputs, *, bands: int = 10, confidence: float = 0.95) -> Part:
    """Gini, KS, score bands and per-band calibration of a binary classifier's scores.

    Returns:
        A part with the informational checks ``performance.gini``, ``performance.ks`` and
        ``performance.miscalibrated_bands``, and the section ``scorecard``; an empty part
        with a warning when the model gives no probabilities or the data holds one class.
    """
    score = outputs.positive_proba
    if score is None:
        return Part(warnings=["Score bands, Gini and KS need a binary classifier's probabilities."])
    events = np.asarray(outputs.y_true == outputs.positive_label, dtype=int)
    if events.min() == events.max():
        return Part(warnings=["Gini and KS need both classes in the validation data; skipped."])
    score = np.asarray(score, dtype=float)
    gini = 2.0 * float(roc_auc_score(events, score)) - 1.0
    ks = stats.ks_2samp(score[events == 1], score[events == 0])
    table = score_bands(score, events, bands=bands, confidence=confidence)
    failed = [row["band"] for row in table if not row["calibrated"]]
    part = Part()
    part.checks.extend(
        [
            bounded_check("performance.gini", gini, threshold=None, direction=""),
            bounded_check(
                "performance.ks",
                float(ks.statistic),
                threshold=None,
                direction="",
                details={"p_value": as_float(float(ks.pvalue))},
            ),
            bounded_check(
                "performance.miscalibrated_bands",
                float(len(failed)),
                threshold=None,
                direction="",
                message=(
                    f"{len(failed)} of {len(table)} score bands differ from their predicted"
                    f" rate (binomial test at {confidence:.0%})."
                ),
                details={"bands": failed},
            ),
        ]
    )
    part.sections["scorecard"] = {
        "positive_label": str(outputs.positive_label),
        "gini": gini,
        "ks": float(ks.statistic),
        "ks_p_value": as_float(float(ks.pvalue)),
        "bands": table,
        "distribution": score_distribution(score, events),
    }
    return part


def score_bands(
    score: np.ndarray, events: np.ndarray, *, bands: int = 10, confidence: float = 0.95
) -> list[dict[str, Any]]:
    """Score bands from the riskiest (highest score) down, with lift, gains and calibration."""
    ranks = pd.Series(score).rank(method="min")
    codes = pd.qcut(ranks, q=min(bands, len(score)), labels=False, duplicates="drop")
    frame = pd.DataFrame({"score": score, "event": events, "band": codes.to_numpy()})
    # riskiest first: band codes grow with the score, so walk them in reverse
    groups = [group for _, group in frame.groupby("band", sort=True)][::-1]
    overall = float(events.mean())
    total_events = int(events.sum())
    rows: list[dict[str, Any]] = []
    captured = 0
    for number, group in enumerate(groups, start=1):
        n, hits = len(group), int(group["event"].sum())
        predicted = float(group["score"].mean())
        captured += hits
        test = stats.binomtest(hits, n, min(max(predicted, 1e-12), 1 - 1e-12))
        rows.append(
            {
                "band": number,
                "rows": n,
                "min_score": float(group["score"].min()),
                "max_score": float(group["score"].max()),
                "events": hits,
                "event_rate": hits / n,
                "mean_predicted": predicted,
                "lift": (hits / n) / overall if overall else None,
                "gains": captured / total_events if total_events else None,
                "p_value": float(test.pvalue),
                "calibrated": bool(test.pvalue >= 1 - confidence),
            }
        )
    return rows


def score_distribution(score: np.ndarray, events: np.ndarray) -> dict[str, Any]:
    """Histogram counts of the score per class on shared bins over [0, 1]."""
    edges = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    return {
        "edges": edges.tolist(),
        "events": np.histogram(score[events == 1], bins=edges)[0].tolist(),
        "non_events": np.histogram(score[events == 0], bins=edges)[0].tolist(),
    }
