"""Performance without labels: CBPE for classifiers, DLE for regressors (as NannyML does).

**CBPE** (confidence-based performance estimation). The model's scores are calibrated on a
labelled reference (isotonic regression, ``out_of_bounds="clip"``, fitted only when 10
stratified 90/10 splits show that it lowers the expected calibration error, NannyML's
``needs_calibration`` rule); a calibrated score is then the probability that the row is
positive, so the expected confusion matrix of an unlabelled window follows from the scores
alone. Estimated ROC AUC: the area under the curve whose true and false positives at each
threshold are the running sums of ``p`` and ``1 - p`` over rows sorted by the *uncalibrated*
score (NannyML's ``estimate_roc_auc``); accuracy: the mean calibrated probability of the
predicted class. Multiclass: one calibrator per class (one-vs-rest), rows renormalised to
sum to 1, ROC AUC the macro average over classes.

**DLE** (direct loss estimation). A gradient-boosted regressor (scikit-learn's
HistGradientBoosting with LightGBM's default settings: 100 trees, 31 leaves, learning rate
0.1, 20 rows per leaf, 255 bins) learns the absolute error (and, separately, the squared
error) of the model from the reference's features and predictions; the estimated MAE of a
window is the mean predicted absolute error (negative predictions clipped to 0), the RMSE
the square root of the mean predicted squared error. (`DLE` itself is in
`modelward.stats.loss_estimation`; this module holds CBPE and what both share.)

**Intervals.** Each estimate carries NannyML's sampling error, from the reference: ROC AUC
``std(placements) / sqrt(n * positive share)`` (placement = share of negatives scored below
a positive; multiclass: ``1.2 sqrt(sum of class variances) / k``, NannyML's empirical
correction), accuracy ``std(correct) / sqrt(n)``, MAE ``std(|error|) / sqrt(n)``, RMSE
``std(error^2) / (2 sqrt(n * mean(error^2)))`` (the delta method, reference figures); the
interval is the estimate +- 3 sampling errors (the band NannyML plots), clipped to the
metric's range. It covers sampling noise only.

**Assumptions**, and when the estimate is wrong: (1) no concept shift: P(y | x) in
production is what it was in the reference, only the inputs' distribution moves (covariate
shift); when the relation between inputs and target changes (a new fraud pattern, a policy
change), the calibrated scores no longer are probabilities and the estimate stays where the
reference put it while the realised metric falls; (2) the reference is labelled, large
enough (hundreds of rows per class) and covers the production inputs (calibration cannot
extrapolate); (3) for DLE the same, for the error's relation to the inputs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

Z_BAND = 3.0  # the interval is the estimate +- 3 sampling errors, as NannyML plots it
CALIBRATION_SPLITS = 10
CALIBRATION_BINS = 10
MIN_REFERENCE_ROWS = 100
# needs_calibration decides on a seeded sample of at most this many reference rows: ten
# isotonic fits on the whole of a 1M-row reference would cost more than everything else,
# and the decision (does calibration lower the ECE?) does not depend on more rows than this.
CALIBRATION_CHECK_ROWS = 20_000


@dataclass(frozen=True)
class Estimate:
    """One estimated metric of one window."""

    metric: str
    method: str  # "cbpe" or "dle"
    value: float | None
    lower: float | None
    upper: float | None
    sampling_error: float | None
    n_rows: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}  # fmt: skip


def band(
    metric: str, method: str, value: float, error: float, n: int, top: float | None
) -> Estimate:
    if not math.isfinite(value):
        return Estimate(metric, method, None, None, None, None, n)
    lower, upper = max(0.0, value - Z_BAND * error), value + Z_BAND * error
    upper = min(top, upper) if top is not None else upper
    return Estimate(metric, method, value, lower, upper, error, n)


# --- CBPE -------------------------------------------------------------------------------


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, bins: int) -> float:
    """ECE over `bins` equal-count bins of the sorted scores (NannyML's definition)."""
    order = np.argsort(proba, kind="stable")
    proba, y_true = proba[order], y_true[order]
    n = proba.size
    bins = min(bins, n // 2)
    edges = [(i * n // bins, (i + 1) * n // bins) for i in range(bins)]
    terms = [(hi - lo) / n * abs(proba[lo:hi].mean() - y_true[lo:hi].mean()) for lo, hi in edges]
    return float(np.sum(terms))


def needs_calibration(y_true: np.ndarray, proba: np.ndarray) -> bool:
    """True when isotonic calibration lowers the ECE on held-out rows (NannyML's rule: ten
    stratified 90/10 splits, the ECE over ten equal-count bins of the pooled held-out rows
    before and after), decided on a seeded sample of at most `CALIBRATION_CHECK_ROWS`."""
    rng = np.random.default_rng(42)
    if y_true.size > CALIBRATION_CHECK_ROWS:
        picked = rng.choice(y_true.size, CALIBRATION_CHECK_ROWS, replace=False)
        y_true, proba = y_true[picked], proba[picked]
    if np.unique(y_true).size < 2:
        return False
    order = np.argsort(proba, kind="stable")  # sorted once: every training subset stays sorted
    y_true, proba = y_true[order], proba[order]
    if _sorted_rank_auc(y_true, proba) > 0.999:
        return False
    truth, raw, calibrated = [], [], []
    for train, test in _stratified_splits(y_true, rng):
        model = Isotonic.fit_sorted(proba[train], y_true[train])
        truth.append(y_true[test])
        raw.append(proba[test])
        calibrated.append(model.predict(proba[test]))
    y, before, after = np.concatenate(truth), np.concatenate(raw), np.concatenate(calibrated)
    return expected_calibration_error(y, before, CALIBRATION_BINS) > expected_calibration_error(
        y, after, CALIBRATION_BINS
    )


def _sorted_rank_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC of labels ordered by increasing score: the Mann-Whitney rank sum with tied
    scores given their mean rank (`sklearn.metrics.roc_auc_score`'s value, without its
    input checks, which cost more than the sum on ten thousand rows)."""
    n = scores.size
    starts = np.flatnonzero(np.r_[True, scores[1:] != scores[:-1]])
    sizes = np.diff(np.append(starts, n))
    ranks = np.repeat(starts + (sizes + 1) / 2.0, sizes)
    positives = y_true == 1
    n_pos = int(positives.sum())
    n_neg = n - n_pos
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _stratified_splits(
    y_true: np.ndarray, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`CALIBRATION_SPLITS` random 90/10 splits keeping each class's share (as scikit-learn's
    StratifiedShuffleSplit, without its per-split overhead)."""
    groups = [np.flatnonzero(y_true == value) for value in np.unique(y_true)]
    splits = []
    for _ in range(CALIBRATION_SPLITS):
        tests = []
        for members in groups:
            size = max(1, round(0.1 * members.size))
            tests.append(rng.choice(members, size, replace=False))
        test = np.sort(np.concatenate(tests))
        kept = np.ones(y_true.size, dtype=bool)
        kept[test] = False
        train = np.flatnonzero(kept)
        splits.append((train, test))
    return splits


@dataclass(frozen=True)
class Isotonic:
    """Increasing isotonic regression of y on x, clipped outside the fitted range: the same
    fit as ``sklearn.isotonic.IsotonicRegression(out_of_bounds="clip")`` (ties in x averaged,
    the pool-adjacent-violators solution by `scipy.optimize.isotonic_regression`, linear
    interpolation between fitted points), at the cost of one sort."""

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> Isotonic:
        order = np.argsort(x, kind="stable")
        return cls.fit_sorted(x[order], np.asarray(y, dtype=np.float64)[order])

    @classmethod
    def fit_sorted(cls, xs: np.ndarray, ys: np.ndarray) -> Isotonic:
        """`fit` on x already sorted (no sort at all)."""
        from scipy.optimize import isotonic_regression

        starts = np.concatenate([[0], np.flatnonzero(np.diff(xs)) + 1])
        counts = np.diff(np.append(starts, xs.size)).astype(np.float64)
        means = np.add.reduceat(np.asarray(ys, dtype=np.float64), starts) / counts
        fitted = isotonic_regression(means, weights=counts).x
        return cls(xs[starts], np.asarray(fitted, dtype=np.float64))

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.x.size == 1:
            return np.full(np.shape(x), self.y[0])
        return np.asarray(np.interp(x, self.x, self.y), dtype=np.float64)


def estimated_roc_auc(calibrated: np.ndarray, scores: np.ndarray) -> float:
    """Expected ROC AUC when row i is positive with probability ``calibrated[i]``, ranked by
    ``scores`` (NannyML's ``estimate_roc_auc``; tied scores have tied calibrated values, so
    the path through a tie is a straight line whatever the order)."""
    order = np.argsort(-scores, kind="stable")
    p = calibrated[order]
    tps = np.concatenate([[0.0], np.cumsum(p)])
    fps = np.concatenate([[0.0], np.cumsum(1.0 - p)])
    if tps[-1] <= 0 or fps[-1] <= 0:
        return math.nan
    return float(np.trapezoid(tps / tps[-1], fps / fps[-1]))


def _sort_by_class(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """(sorted scores, labels (0/1) in that order, whether any score is tied). Each class's
    scores are sorted apart (two sorts of half the rows cost less than one argsort of all)
    and merged by a stable argsort of the two sorted runs, which timsort does in one linear
    pass. With ties the caller keeps the original stable-order path (`_auc_components`),
    whose placements depend on the order within a tie."""
    negatives, positives = np.sort(scores[~positive]), np.sort(scores[positive])
    merged = np.concatenate([negatives, positives])
    order = np.argsort(merged, kind="stable")
    ordered = merged[order]
    labels = (order >= negatives.size).astype(np.float64)
    tied = bool(ordered.size > 1 and np.any(ordered[1:] == ordered[:-1]))
    return ordered, labels, tied


def _placements(ordered: np.ndarray) -> tuple[float, float]:
    """`_auc_components` of labels already ordered by increasing score (no ties)."""
    if ordered.mean() > 0.5:  # the smaller class as positive: reversed order, untied scores
        ordered = (1.0 - ordered)[::-1]
    positions = np.flatnonzero(ordered)
    n_pos = positions.size
    n_neg = ordered.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan, 0.0
    placements = (positions - np.arange(n_pos)) / n_neg
    return float(np.std(placements)), n_pos / ordered.size


def _sorted_roc_auc(positive: np.ndarray) -> float:
    """`estimated_roc_auc` of calibrated probabilities already ordered by decreasing score:
    the trapezoids under the curve in one pass (the false positives after row i are
    ``i - tps_i``, each trapezoid ``(1 - p_i)(tps_i - p_i / 2)``)."""
    tps = np.cumsum(positive)
    total_pos = float(tps[-1]) if tps.size else 0.0
    total_neg = positive.size - total_pos
    if total_pos <= 0 or total_neg <= 0:
        return math.nan
    return float(np.dot(1.0 - positive, tps - 0.5 * positive) / (total_pos * total_neg))


def _auc_components(y_true: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(std of the positives' placements, positive share): NannyML's AUROC sampling error."""
    if y_true.mean() > 0.5:  # NannyML takes the smaller class as positive
        y_true, scores = 1 - y_true, 1 - scores
    ordered = y_true[np.argsort(scores, kind="stable")]
    positions = np.flatnonzero(ordered)
    n_pos = positions.size
    n_neg = ordered.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan, 0.0
    placements = (positions - np.arange(n_pos)) / n_neg
    return float(np.std(placements)), n_pos / ordered.size


@dataclass(frozen=True)
class _ClassCalibration:
    calibrator: Isotonic | None  # None: the scores are used as they are
    auc_std: float
    positive_share: float

    def apply(self, scores: np.ndarray) -> np.ndarray:
        return scores if self.calibrator is None else self.calibrator.predict(scores)


def _calibrate_one(y_true: np.ndarray, scores: np.ndarray) -> _ClassCalibration:
    """Calibrator and sampling-error components of one class, the scores sorted once."""
    scores = np.asarray(scores, dtype=np.float64)
    ordered, truth, tied = _sort_by_class(scores, np.asarray(y_true) == 1)
    fitted = Isotonic.fit_sorted(ordered, truth) if needs_calibration(y_true, scores) else None
    components = _auc_components(y_true, scores) if tied else _placements(truth)
    return _ClassCalibration(fitted, *components)


@dataclass(frozen=True)
class CBPE:
    """CBPE fitted on a labelled reference (`CBPE.fit`); `estimate` takes unlabelled rows.

    `classes` are the model's classes in the order of its probability columns (sorted, as
    scikit-learn orders them); binary models use the second one's column.
    """

    classes: tuple[Any, ...]
    calibrations: tuple[_ClassCalibration, ...]
    accuracy_std: float

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2

    @classmethod
    def fit(cls, y_true: ArrayLike, proba: np.ndarray, y_pred: ArrayLike) -> CBPE:
        """Calibrate on reference labels and probabilities (n x k, or n for binary).

        Raises:
            ValueError: fewer than `MIN_REFERENCE_ROWS` rows, or a class absent.
        """
        truth, predicted = _aligned(y_true, y_pred)
        matrix = _as_matrix(proba)
        k = matrix.shape[1]
        classes = tuple(np.unique(truth).tolist())
        if len(classes) != k or truth.size < MIN_REFERENCE_ROWS:
            raise ValueError(
                f"CBPE needs {MIN_REFERENCE_ROWS}+ labelled reference rows showing each of the"
                f" model's {k} classes; got {truth.size} rows, {len(classes)} classes."
            )
        if k == 2:
            calibrations: tuple[_ClassCalibration, ...] = (
                _calibrate_one((truth == classes[1]).astype(float), matrix[:, 1]),
            )
        else:
            calibrations = tuple(
                _calibrate_one((truth == c).astype(float), matrix[:, i])
                for i, c in enumerate(classes)
            )
        correct = (truth == predicted).astype(float)
        return cls(classes, calibrations, float(np.std(correct)))

    def calibrated(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, n x k (rows sum to 1)."""
        matrix = _as_matrix(proba)
        if self.binary:
            positive = self.calibrations[0].apply(matrix[:, 1])
            return np.column_stack([1.0 - positive, positive])
        out = np.column_stack([c.apply(matrix[:, i]) for i, c in enumerate(self.calibrations)])
        total = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / out.shape[1])
        return np.asarray(np.divide(out, total, out=uniform, where=total != 0))

    def estimate(self, proba: np.ndarray, y_pred: ArrayLike) -> dict[str, Estimate]:
        """Estimated ``roc_auc`` and ``accuracy`` of unlabelled rows."""
        if self.binary:
            return self._estimate_binary(proba, y_pred)
        matrix = _as_matrix(proba)
        n = matrix.shape[0]
        calibrated = self.calibrated(matrix)
        if self.binary:
            cal = self.calibrations[0]
            auc = estimated_roc_auc(calibrated[:, 1], matrix[:, 1])
            error = cal.auc_std / math.sqrt(n * cal.positive_share) if cal.positive_share else 0
        else:
            aucs, errors = [], []
            for i, cal in enumerate(self.calibrations):
                aucs.append(estimated_roc_auc(calibrated[:, i], matrix[:, i]))
                share = cal.positive_share
                errors.append(cal.auc_std / math.sqrt(n * share) if share else 0.0)
            auc = float(np.mean(aucs))
            # NannyML's multiclass sampling error, with its empirical 1.2 correction
            error = 1.2 * float(np.sqrt(np.sum(np.square(errors)))) / len(errors)
        predicted = np.asarray(pd.Categorical(_plain(y_pred), categories=self.classes).codes)
        known = predicted >= 0
        hits = calibrated[np.flatnonzero(known), predicted[known]]
        accuracy = float(hits.sum() / n) if n else math.nan
        return {
            "roc_auc": band("roc_auc", "cbpe", auc, float(error), n, 1.0),
            "accuracy": band(
                "accuracy", "cbpe", accuracy, self.accuracy_std / math.sqrt(max(n, 1)), n, 1.0
            ),
        }

    def _estimate_binary(self, proba: np.ndarray, y_pred: ArrayLike) -> dict[str, Estimate]:
        """`estimate` for two classes without sorting the rows as a whole: the scores of the
        rows predicted negative, positive and neither are sorted apart and calibrated sorted
        (np.interp walks the calibrator's table in step, 20x faster than random lookups on a
        million rows); the accuracy is a sum per group, and the calibrated values, which do
        not decrease with the score, sorted together (a linear merge of sorted runs) are the
        curve's order for the ROC AUC. Same figures as the general path (tied scores have
        tied calibrated values, so the order within a tie is immaterial)."""
        array = np.asarray(proba, dtype=np.float64)
        scores = array if array.ndim == 1 else array[:, 1]
        n = scores.size
        cal = self.calibrations[0]
        codes = _codes(_plain(y_pred), self.classes)
        groups = [cal.apply(np.sort(scores[codes == code])) for code in (0, 1, -1)]
        hits = (groups[0].size - groups[0].sum()) + groups[1].sum()
        positive = np.sort(np.concatenate(groups), kind="stable")
        auc = _sorted_roc_auc(positive[::-1])
        error = cal.auc_std / math.sqrt(n * cal.positive_share) if cal.positive_share else 0
        accuracy = float(hits / n) if n else math.nan
        return {
            "roc_auc": band("roc_auc", "cbpe", auc, float(error), n, 1.0),
            "accuracy": band(
                "accuracy", "cbpe", accuracy, self.accuracy_std / math.sqrt(max(n, 1)), n, 1.0
            ),
        }


def _codes(values: np.ndarray, classes: tuple[Any, ...]) -> np.ndarray:
    """The index of each value in `classes` (sorted, as np.unique gives them), -1 when not a
    class: a binary search for numbers, pandas' hash lookup otherwise."""
    known = np.asarray(classes)
    if values.dtype.kind in "biuf" and known.dtype.kind in "biuf" and known.size:
        index = np.minimum(np.searchsorted(known, values), known.size - 1)
        return np.where(known[index] == values, index, -1)
    return np.asarray(pd.Categorical(values, categories=classes).codes)


def _plain(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values)
    return array if array.dtype.kind in "biuf" else array.astype(str)


def _aligned(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions as arrays of one kind: numbers when both are, else text."""
    truth, predicted = _plain(y_true), _plain(y_pred)
    if (truth.dtype.kind in "biuf") != (predicted.dtype.kind in "biuf"):
        return truth.astype(str), predicted.astype(str)
    return truth, predicted


def _as_matrix(proba: np.ndarray) -> np.ndarray:
    matrix = np.asarray(proba, dtype=np.float64)
    return np.column_stack([1.0 - matrix, matrix]) if matrix.ndim == 1 else matrix
