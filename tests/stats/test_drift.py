"""Drift verdicts: sample-size stability on the benchmark data, overrides, edge cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from modelward.errors import InvalidInput
from modelward.stats.drift import (
    DriftOptions,
    detect_drift,
    detect_drift_batches,
    prediction_drift,
)
from modelward.stats.profile import profile
from modelward.stats.reference import prepare_reference
from modelward.stats.synthetic import FLAGGED_BY_DEFAULT, SHIFTED_COLUMNS, drift_benchmark_data
from tests.stats.tolerance import KS_TOLERANCE


@pytest.fixture(scope="module")
def benchmark_10k() -> tuple[pd.DataFrame, pd.DataFrame]:
    return drift_benchmark_data(10_000, seed=0)


def two_windows(rows: int = 2_000, *, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def window(shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "income": rng.normal(50_000 + shift * 12_000, 12_000, rows),
                "age": rng.integers(18, 80, rows),
                "region": rng.choice(["north", "south", "east"], rows),
            }
        )

    return window(0.0), window(0.0)


@pytest.mark.parametrize("rows", [pytest.param(10_000, id="10k"), pytest.param(100_000, id="100k")])
def test_benchmark_flags_the_documented_columns(rows: int) -> None:
    reference, current = drift_benchmark_data(rows, seed=0)
    report = detect_drift(reference, current)
    assert sorted(report.drifted_columns) == sorted(FLAGGED_BY_DEFAULT)
    assert report.status == "ok"
    assert report.share_drifted == pytest.approx(3 / 25)
    assert not report.dataset_drift
    subtle = {name: report.column(name).effect_size for name in ("shift_0_05sd", "cat_10_to_12")}
    assert subtle["shift_0_05sd"] == pytest.approx(0.05, abs=0.02)
    assert subtle["cat_10_to_12"] == pytest.approx(0.027, abs=0.01)
    assert "small" in report.column("shift_0_05sd").message


def test_benchmark_verdicts_do_not_depend_on_the_seed() -> None:
    for seed in (1, 2, 3):
        reference, current = drift_benchmark_data(10_000, seed=seed)
        report = detect_drift(reference, current)
        assert sorted(report.drifted_columns) == sorted(FLAGGED_BY_DEFAULT), seed


def test_profile_reference_gives_the_same_verdicts(benchmark_10k) -> None:
    reference, current = benchmark_10k
    from_sample = detect_drift(reference, current)
    from_profile = detect_drift(profile(reference), current)
    assert sorted(from_profile.drifted_columns) == sorted(FLAGGED_BY_DEFAULT)
    for name in SHIFTED_COLUMNS:
        exact, approx = from_sample.column(name), from_profile.column(name)
        assert approx.effect_size == pytest.approx(exact.effect_size, abs=0.03), name


def test_prepared_reference_is_reusable(benchmark_10k) -> None:
    reference, current = benchmark_10k
    prepared = prepare_reference(reference)
    first = detect_drift(prepared, current).to_dict()
    assert first == detect_drift(reference, current).to_dict()
    assert detect_drift(prepared, current).to_dict() == first


def test_figures_equal_scipy_in_the_report(benchmark_10k) -> None:
    reference, current = benchmark_10k
    column = detect_drift(reference, current).column("shift_0_5sd")
    ref, cur = reference["shift_0_5sd"], current["shift_0_5sd"]
    expected = sps.ks_2samp(ref, cur, method="asymp")
    assert column.details["ks_statistic"] == pytest.approx(expected.statistic, **KS_TOLERANCE)
    assert column.p_value == pytest.approx(expected.pvalue, rel=1e-8, abs=1e-300)
    wasserstein = sps.wasserstein_distance(ref, cur)
    assert column.details["wasserstein"] == pytest.approx(wasserstein, rel=1e-12)
    assert column.effect_size == pytest.approx(wasserstein / np.std(ref.to_numpy()), rel=1e-12)
    assert (column.method, column.threshold, column.status) == ("wasserstein", 0.1, "ok")


def test_float32_input_changes_nothing(benchmark_10k) -> None:
    reference, current = benchmark_10k
    numeric = [c for c in reference.columns if not c.startswith("cat_")]
    narrow_ref = reference.astype(dict.fromkeys(numeric, "float32"))
    narrow_cur = current.astype(dict.fromkeys(numeric, "float32"))
    widened = detect_drift(narrow_ref.astype(dict.fromkeys(numeric, "float64")), narrow_cur)
    assert detect_drift(narrow_ref, narrow_cur).to_dict() == widened.to_dict()


def test_report_is_json_ready(benchmark_10k) -> None:
    reference, current = benchmark_10k
    text = json.dumps(detect_drift(reference, current).to_dict(), allow_nan=False)
    assert '"drifted_columns"' in text


@settings(max_examples=20, deadline=None)
@given(values=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=100, max_size=300))
def test_identical_windows_never_drift(values: list[float]) -> None:
    frame = pd.DataFrame({"x": values, "code": [str(int(v) % 3) for v in values]})
    report = detect_drift(frame, frame.sample(frac=1.0, random_state=0))
    assert report.drifted_columns == []
    assert [col.effect_size for col in report.columns] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("override", "drifted"),
    [
        pytest.param({"method": "psi", "threshold": 0.001}, True, id="psi-low-threshold"),
        pytest.param({"method": "ks", "threshold": 0.05}, True, id="ks-p-value"),
        pytest.param({"method": "wasserstein", "threshold": 0.03}, True, id="lower-threshold"),
        pytest.param({"threshold": 0.5}, False, id="threshold-only"),
    ],
)
def test_per_column_overrides(benchmark_10k, override: dict, drifted: bool) -> None:
    reference, current = benchmark_10k
    report = detect_drift(reference, current, thresholds={"shift_0_05sd": override})
    column = report.column("shift_0_05sd")
    assert column.drifted is drifted
    assert column.method == override.get("method", "wasserstein")


@pytest.mark.parametrize(
    ("thresholds", "fragment"),
    [
        pytest.param({"income": {"method": "kl"}}, "'kl'", id="unknown-method"),
        pytest.param({"income": {"method": "chi2"}}, "'chi2'", id="method-unfit-for-numeric"),
        pytest.param({"region": {"method": "ks"}}, "'ks'", id="method-unfit-for-text"),
        pytest.param({"nope": {"threshold": 0.1}}, "'nope'", id="unknown-column"),
        pytest.param({"income": {"treshold": 0.1}}, "treshold", id="unknown-key"),
        pytest.param({"income": {"threshold": -1}}, "negative", id="negative-threshold"),
    ],
)
def test_bad_overrides_are_invalid_input(thresholds: dict, fragment: str) -> None:
    reference, current = two_windows(300)
    with pytest.raises(InvalidInput, match=fragment):
        detect_drift(reference, current, thresholds=thresholds)


@pytest.mark.parametrize("rows", [0, 1, 99])
def test_small_window_is_insufficient_data_never_drift(rows: int) -> None:
    reference, _ = two_windows(1_000)
    current = reference.iloc[:rows] * 1 if rows else reference.iloc[:0]
    current = current.assign(income=current["income"] * 100)
    report = detect_drift(reference, current)
    assert report.status == "insufficient_data"
    assert not report.dataset_drift
    assert all(col.drifted is None and col.status == "insufficient_data" for col in report.columns)
    assert "100" in report.columns[0].message


def test_constant_columns() -> None:
    reference = pd.DataFrame({"flag": np.ones(500), "mode": ["x"] * 500})
    same = detect_drift(reference, reference.copy()).column("flag")
    assert (same.drifted, same.method, same.effect_size) == (False, "jensenshannon", 0.0)
    moved = pd.DataFrame({"flag": np.r_[np.ones(250), np.zeros(250)], "mode": ["x"] * 500})
    report = detect_drift(reference, moved)
    assert report.column("flag").drifted is True
    assert report.column("flag").details["current_share_equal"] == 0.5
    assert report.column("mode").drifted is False


def test_all_missing_columns() -> None:
    reference, current = two_windows(1_000)
    gone = current.assign(income=np.nan)
    column = detect_drift(reference, gone).column("income")
    assert (column.drifted, column.status) == (True, "insufficient_data")
    assert column.details["missing_rate_current"] == 1.0
    assert "missing rate" in column.message
    both = detect_drift(reference.assign(income=np.nan), gone).column("income")
    assert (both.drifted, both.status) == (None, "insufficient_data")


def test_missing_rate_change_alone_is_drift() -> None:
    reference, current = two_windows(2_000)
    current.loc[current.sample(frac=0.2, random_state=0).index, "region"] = None
    column = detect_drift(reference, current).column("region")
    assert column.drifted is True
    assert column.details["missing_rate_change"] == pytest.approx(0.2)


def test_schema_problems_are_results() -> None:
    reference, current = two_windows(500)
    current = current.drop(columns=["age"]).assign(income=current["income"].astype(str))
    report = detect_drift(reference, current)
    assert report.column("age").status == "missing_in_current"
    assert report.column("income").status == "kind_changed"
    assert report.column("age").drifted is None
    assert "missing from the current data" in report.column("age").message


def test_mixed_types_are_compared_as_text() -> None:
    rng = np.random.default_rng(5)
    mixed = pd.Series(rng.choice(np.array([1, "1", "two", 3.5], dtype=object), 1_000))
    reference = pd.DataFrame({"code": mixed})
    report = detect_drift(reference, pd.DataFrame({"code": mixed.sample(frac=1, random_state=1)}))
    assert report.column("code").drifted is False
    assert report.column("code").kind == "categorical"


def test_a_column_in_neither_window_is_invalid_input() -> None:
    reference, current = two_windows(500)
    with pytest.raises(InvalidInput, match="'nope'"):
        detect_drift(reference, current, columns=["nope"])


def test_datetime_columns_are_compared_as_numbers() -> None:
    start = pd.Timestamp("2024-01-01")
    reference = pd.DataFrame({"when": start + pd.to_timedelta(np.arange(1_000), unit="h")})
    later = reference.assign(when=reference["when"] + pd.Timedelta(days=30))
    assert detect_drift(reference, reference.copy()).column("when").drifted is False
    assert detect_drift(reference, later).column("when").drifted is True


def test_small_samples_are_guarded_by_the_test() -> None:
    rng = np.random.default_rng(6)
    flags = []
    for _ in range(20):
        reference = pd.DataFrame({"x": rng.normal(0, 1, 120)})
        current = pd.DataFrame({"x": rng.normal(0, 1, 120)})
        flags.append(detect_drift(reference, current).column("x").drifted)
    assert not any(flags)


def test_prediction_drift() -> None:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"prediction": rng.beta(2, 5, 3_000)})
    current = pd.DataFrame({"prediction": rng.beta(3, 4, 3_000)})
    column = prediction_drift(reference, current)
    assert column.drifted is True
    assert column.column == "prediction"
    assert prediction_drift(reference, reference, method="psi").drifted is False


def test_bad_options_are_invalid_input() -> None:
    reference, current = two_windows(300)
    with pytest.raises(InvalidInput, match="numeric_method"):
        detect_drift(reference, current, options=DriftOptions(numeric_method="chi2"))


def test_domain_classifier_finds_and_names_the_drift() -> None:
    reference, current = drift_benchmark_data(2_000, seed=0)
    report = detect_drift(reference, current, domain_classifier=True)
    result = report.domain_classifier
    assert result is not None and result.drifted is True
    assert result.auc is not None and result.auc > 0.6
    assert set(list(result.importances)[:3]) == set(FLAGGED_BY_DEFAULT)
    assert report.dataset_drift


def test_domain_classifier_sees_no_drift_between_like_windows() -> None:
    reference, _ = drift_benchmark_data(2_000, seed=0)
    other, _ = drift_benchmark_data(2_000, seed=4)
    result = detect_drift(reference, other, domain_classifier=True).domain_classifier
    assert result is not None and result.drifted is False
    assert result.auc == pytest.approx(0.5, abs=0.04)
    assert result.importances == {}


def test_domain_classifier_needs_reference_rows() -> None:
    reference, current = two_windows(500)
    report = detect_drift(profile(reference), current, domain_classifier=True)
    assert report.domain_classifier is not None
    assert report.domain_classifier.status == "unsupported"
    assert report.domain_classifier.drifted is None


def batches_of(frame: pd.DataFrame, rows: int):
    for start in range(0, len(frame), rows):
        yield frame.iloc[start : start + rows]


def test_batches_give_the_in_memory_figures(benchmark_10k) -> None:
    reference, current = benchmark_10k
    exact = detect_drift(reference, current)
    streamed = detect_drift_batches(reference, batches_of(current, 3_000))
    assert streamed.drifted_columns == exact.drifted_columns
    for mine, theirs in zip(streamed.columns, exact.columns, strict=True):
        for key in ("ks_statistic", "psi", "jensenshannon", "chi2", "missing_rate_current"):
            if key in theirs.details:
                assert mine.details[key] == pytest.approx(theirs.details[key], rel=1e-12)
        if mine.kind == "numeric":
            bound = mine.details["wasserstein_error_bound"]
            gap = abs(mine.details["wasserstein"] - theirs.details["wasserstein"])
            assert gap <= bound + 1e-9 * theirs.details["wasserstein"]
            assert mine.details["ks_p_value"] == pytest.approx(theirs.details["ks_p_value"])
            assert mine.details["current_std"] == pytest.approx(theirs.details["current_std"])


def test_batches_with_a_profile_reference_match_the_in_memory_profile_path(benchmark_10k) -> None:
    reference, current = benchmark_10k
    summary = profile(reference)
    exact = detect_drift(summary, current)
    streamed = detect_drift_batches(summary, pa_batches(current))
    for mine, theirs in zip(streamed.columns, exact.columns, strict=True):
        assert mine.effect_size == pytest.approx(theirs.effect_size, rel=1e-9), mine.column


def pa_batches(frame: pd.DataFrame):
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False).to_batches(max_chunksize=4_000)


def test_dask_engine(benchmark_10k, tmp_path) -> None:
    reference, current = benchmark_10k
    path = tmp_path / "current.parquet"
    current.to_parquet(path, index=False)
    report = detect_drift(reference, path, engine="dask")
    assert sorted(report.drifted_columns) == sorted(FLAGGED_BY_DEFAULT)
    assert report.n_current == len(current)
    exact = detect_drift(reference, current).column("shift_0_5sd")
    # Dask computes the ECDFs partition by partition: the same counts, another evaluation order.
    streamed_ks = report.column("shift_0_5sd").details["ks_statistic"]
    assert streamed_ks == pytest.approx(exact.details["ks_statistic"], **KS_TOLERANCE)


def test_empty_batches_are_insufficient_data() -> None:
    reference, _ = two_windows(500)
    report = detect_drift_batches(reference, [])
    assert report.status == "insufficient_data"
    assert report.drifted_columns == []


def test_unknown_engine_is_invalid_input() -> None:
    reference, current = two_windows(300)
    with pytest.raises(InvalidInput, match="'spark'"):
        detect_drift(reference, current, engine="spark")


def test_domain_classifier_auc_is_scikit_learns_with_ties() -> None:
    from sklearn.metrics import roc_auc_score

    from modelward.stats.domain_classifier import _auc

    rng = np.random.default_rng(9)
    truth = rng.integers(0, 2, 3_000).astype(float)
    scores = np.round(rng.random(3_000) + 0.3 * truth, 2)  # rounded: many ties
    # the rank-sum form of the same statistic; only summation order differs
    assert _auc(truth, scores) == pytest.approx(roc_auc_score(truth, scores), abs=1e-12)
