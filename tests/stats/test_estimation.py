"""CBPE and DLE (`modelward.stats.estimation`): checked against scikit-learn where a figure
has an exact reference, and against the realised metric on labelled synthetic data.

The comparison with NannyML itself (same data, its own venv) is
`test_estimation_nannyml.py` (slow)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, mean_absolute_error, roc_auc_score

from modelward.stats.estimation import (
    CBPE,
    Isotonic,
    estimated_roc_auc,
    expected_calibration_error,
    needs_calibration,
)
from modelward.stats.loss_estimation import DLE
from modelward.stats.synthetic import estimation_data

FEATURES = ["x0", "x1", "x2", "c"]
PROBA = ["proba_0", "proba_1", "proba_2"]


def _binary(rows: int, shift: str) -> tuple[dict, float, float]:
    ref, cur = estimation_data(rows, task="binary", shift=shift, seed=3)
    fitted = CBPE.fit(ref["y_true"], ref["proba_1"].to_numpy(), ref["y_pred"])
    found = fitted.estimate(cur["proba_1"].to_numpy(), cur["y_pred"])
    realised_auc = roc_auc_score(cur["y_true"], cur["proba_1"])
    return found, realised_auc, accuracy_score(cur["y_true"], cur["y_pred"])


def test_estimated_roc_auc_with_known_labels_is_scikit_learns() -> None:
    # When each row's "probability" is its actual label (0 or 1), the expected curve is the
    # realised one: the estimate must equal roc_auc_score exactly (up to summation order).
    rng = np.random.default_rng(0)
    scores = rng.random(5_000)
    labels = (rng.random(5_000) < scores).astype(float)
    assert estimated_roc_auc(labels, scores) == pytest.approx(
        roc_auc_score(labels, scores), abs=1e-12
    )


def test_calibration_is_fitted_only_when_it_helps() -> None:
    rng = np.random.default_rng(1)
    truth_p = rng.random(20_000)
    labels = (rng.random(20_000) < truth_p).astype(float)
    # perfectly separated scores are never recalibrated (NannyML's AUC > 0.999 rule)
    assert not needs_calibration(labels, labels * 0.5 + 0.25)
    confident = 1 / (1 + np.exp(-4 * (truth_p - 0.5) * 4))
    assert needs_calibration(labels, confident)
    assert expected_calibration_error(labels, confident, 10) > expected_calibration_error(
        labels, truth_p, 10
    )


def test_cbpe_binary_tracks_covariate_shift() -> None:
    found, realised_auc, realised_accuracy = _binary(20_000, "covariate")
    auc, accuracy = found["roc_auc"], found["accuracy"]
    assert auc.value is not None and accuracy.value is not None
    # sampling noise of a 20k-row window: the realised figure sits inside the 3-SE band
    assert auc.lower <= realised_auc <= auc.upper
    assert accuracy.lower <= realised_accuracy <= accuracy.upper
    assert abs(auc.value - realised_auc) < 0.01
    assert (auc.method, auc.n_rows) == ("cbpe", 20_000)


def test_cbpe_is_wrong_under_concept_shift() -> None:
    # The documented failure: P(y | x) changed, the scores did not, so the estimate stays
    # near the reference's figure while the realised ROC AUC falls.
    found, realised_auc, _ = _binary(20_000, "concept")
    assert found["roc_auc"].value - realised_auc > 0.1
    assert not found["roc_auc"].lower <= realised_auc <= found["roc_auc"].upper


def test_cbpe_multiclass_tracks_covariate_shift() -> None:
    ref, cur = estimation_data(20_000, task="multiclass", shift="covariate", seed=4)
    fitted = CBPE.fit(ref["y_true"], ref[PROBA].to_numpy(), ref["y_pred"])
    found = fitted.estimate(cur[PROBA].to_numpy(), cur["y_pred"])
    realised = roc_auc_score(cur["y_true"], cur[PROBA].to_numpy(), multi_class="ovr")
    assert abs(found["roc_auc"].value - realised) < 0.01
    assert abs(found["accuracy"].value - accuracy_score(cur["y_true"], cur["y_pred"])) < 0.015
    calibrated = fitted.calibrated(cur[PROBA].to_numpy())
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0, rtol=1e-12)


def test_dle_tracks_covariate_shift_and_fails_under_concept_shift() -> None:
    for shift, close in (("covariate", True), ("concept", False)):
        ref, cur = estimation_data(20_000, task="regression", shift=shift, seed=5)
        fitted = DLE.fit(ref[FEATURES], ref["y_pred"], ref["y_true"])
        found = fitted.estimate(cur[FEATURES], cur["y_pred"])
        realised = mean_absolute_error(cur["y_true"], cur["y_pred"])
        relative = abs(found["mae"].value - realised) / realised
        assert (relative < 0.03) is close, (shift, found["mae"].value, realised)
        assert found["rmse"].value > found["mae"].value  # RMSE >= MAE for any errors


def test_cbpe_refuses_a_reference_without_every_class() -> None:
    with pytest.raises(ValueError, match="labelled reference rows"):
        CBPE.fit([0] * 500, np.full(500, 0.3), [0] * 500)


def test_estimates_serialise_without_nan() -> None:
    found, _, _ = _binary(2_000, "none")
    payload = found["roc_auc"].to_dict()
    assert set(payload) >= {"metric", "value", "lower", "upper", "sampling_error", "n_rows"}


def test_isotonic_fit_is_scikit_learns() -> None:
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(7)
    scores = np.round(rng.random(3_000), 3)  # rounded: ties in x, as real scores have
    labels = (rng.random(3_000) < scores**2).astype(float)
    ours = Isotonic.fit(scores, labels)
    theirs = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(scores, labels)
    probe = np.concatenate([rng.random(500) * 1.2 - 0.1, scores[:200]])  # outside the range too
    # the same PAV solution; only the rounding of the interpolation differs
    np.testing.assert_allclose(ours.predict(probe), theirs.predict(probe), rtol=0, atol=1e-12)


def test_calibration_checks_rank_auc_is_scikit_learns_with_ties() -> None:
    from modelward.stats.estimation import _sorted_rank_auc

    rng = np.random.default_rng(4)
    scores = np.round(rng.random(5_000), 2)  # many ties: mean ranks matter
    truth = (rng.random(5_000) < scores).astype(float)
    order = np.argsort(scores, kind="stable")
    # two float paths (rank sums vs trapezoids): agree to rounding
    assert _sorted_rank_auc(truth[order], scores[order]) == pytest.approx(
        roc_auc_score(truth, scores), abs=1e-12
    )
