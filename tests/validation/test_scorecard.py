"""Credit-risk views: Gini, KS, score bands and per-band calibration against their references
(scikit-learn's ROC AUC, scipy's two-sample KS and exact binomial test), on generated scores."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score, roc_curve

from modelward.validation.base import Outputs
from modelward.validation.scorecard import check_scorecard

ROWS = 5_000


def scored(*, seed: int = 0, miscalibrate: float = 1.0) -> Outputs:
    """Scores whose true default rate is the score itself (times `miscalibrate`)."""
    rng = np.random.default_rng(seed)
    score = rng.beta(1.2, 6.0, ROWS)  # a credit book: most PDs small
    truth = (rng.random(ROWS) < np.clip(score * miscalibrate, 0, 1)).astype(int)
    proba = np.column_stack([1 - score, score])
    return Outputs(
        task="classification",
        y_true=truth,
        y_pred=(score >= 0.5).astype(int),
        proba=proba,
        classes=(0, 1),
        positive_label=1,
    )


def test_gini_and_ks_equal_their_references() -> None:
    outputs = scored()
    part = check_scorecard(outputs)
    checks = {c.name: c for c in part.checks}
    score = outputs.proba[:, 1]
    # Same arrays, same library calls, one subtraction: equal to float rounding.
    assert checks["performance.gini"].value == pytest.approx(
        2 * roc_auc_score(outputs.y_true, score) - 1, abs=1e-12
    )
    reference = stats.ks_2samp(score[outputs.y_true == 1], score[outputs.y_true == 0])
    assert checks["performance.ks"].value == pytest.approx(reference.statistic, abs=1e-12)
    # KS is also the largest TPR - FPR gap of the ROC curve (sklearn's thresholds).
    fpr, tpr, _ = roc_curve(outputs.y_true, score)
    assert checks["performance.ks"].value == pytest.approx(np.max(tpr - fpr), abs=1e-9)
    assert all(c.passed is None for c in part.checks), "credit views are informational"


def test_bands_partition_the_rows_riskiest_first_with_lift_gains_and_binomial_tests() -> None:
    outputs = scored()
    bands = check_scorecard(outputs, bands=10).sections["scorecard"]["bands"]
    assert len(bands) == 10
    assert sum(b["rows"] for b in bands) == ROWS
    assert sum(b["events"] for b in bands) == int(outputs.y_true.sum())
    assert [b["band"] for b in bands] == list(range(1, 11))
    assert all(a["min_score"] >= b["max_score"] for a, b in zip(bands, bands[1:], strict=False))
    assert bands[-1]["gains"] == pytest.approx(1.0)
    assert bands[0]["lift"] > 1 > bands[-1]["lift"]
    score = outputs.proba[:, 1]
    top = score >= bands[0]["min_score"]
    assert bands[0]["rows"] == int(top.sum())
    expected = stats.binomtest(int(outputs.y_true[top].sum()), int(top.sum()), score[top].mean())
    assert bands[0]["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)


def test_a_miscalibrated_model_fails_the_band_tests_and_a_calibrated_one_mostly_passes() -> None:
    calibrated = check_scorecard(scored(seed=3)).sections["scorecard"]["bands"]
    doubled = check_scorecard(scored(seed=3, miscalibrate=2.0)).sections["scorecard"]["bands"]
    # At 95% each true band fails with probability 0.05: allow two of ten by chance.
    assert sum(not b["calibrated"] for b in calibrated) <= 2
    assert sum(not b["calibrated"] for b in doubled) >= 8


def test_one_class_or_no_probabilities_give_a_warning_not_an_error() -> None:
    outputs = scored()
    one_class = Outputs(
        task="classification",
        y_true=np.zeros(10, dtype=int),
        y_pred=np.zeros(10, dtype=int),
        proba=np.full((10, 2), 0.5),
        classes=(0, 1),
        positive_label=1,
    )
    assert check_scorecard(one_class).warnings and not check_scorecard(one_class).checks
    no_proba = Outputs(
        task="classification", y_true=outputs.y_true, y_pred=outputs.y_pred, classes=(0, 1),
        positive_label=1,
    )  # fmt: skip
    assert check_scorecard(no_proba).warnings


def test_the_report_shows_bands_and_charts() -> None:
    from datetime import UTC, datetime

    from modelward.domain.results import ValidationReport
    from modelward.validation.report_html import render_html

    part = check_scorecard(scored())
    report = ValidationReport(
        model="credit-risk", version=1, task="classification", checks=tuple(part.checks),
        sections=part.sections, warnings=(),
        created_at=datetime(2026, 11, 30, tzinfo=UTC), created_by="val", data_rows=ROWS,
    )  # fmt: skip
    html = render_html(report)
    assert "Score bands — Gini" in html and "Gains and lift by score band" in html
