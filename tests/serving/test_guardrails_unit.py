"""The guardrail checks themselves (no server): output constraints, input plausibility against
the training reference, the OOD score against scipy's Mahalanobis distance, the fallback,
the per-minute alert and canary analysis."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import mahalanobis

from modelward.domain.guardrails import (
    ArmStats,
    CanaryBounds,
    GuardrailSpec,
    MetricBound,
    canary_breaches,
    challenger_readings,
    metric_breaches,
)
from modelward.errors import InvalidInput
from modelward.serving import guardrail_hook
from modelward.serving import guardrails as g
from modelward.serving.metrics import ServingMetrics
from modelward.stats.profile import profile

COLUMNS, KINDS = ["income", "debt", "region"], ["float", "float", "string"]


def sample(rows: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000, 12_000, rows)
    return pd.DataFrame(
        {
            "income": income,
            "debt": income * 0.2 + rng.normal(0, 2_000, rows),  # correlated: Mahalanobis matters
            "region": rng.choice(["north", "south"], rows),
        }
    )


def compiled(**spec: Any) -> g.Guardrails:
    ref = sample()
    reference = g.TrainingReference(profile(ref)["columns"], ref)
    parsed = GuardrailSpec.parse(spec)
    return g.Guardrails(parsed, columns=COLUMNS, kinds=KINDS, reference=reference, fallback=-1)


def frame(*rows: tuple[float, float, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def test_inputs_outside_the_training_range_or_categories_are_flagged() -> None:
    ref = sample()
    guard = compiled(range_margin=0.0)
    inside = (float(ref.income.median()), float(ref.debt.median()), "north")
    high = (float(ref.income.max()) + 1.0, float(ref.debt.median()), "north")
    west = (float(ref.income.median()), float(ref.debt.median()), "west")
    verdict = guard.check(frame(inside, high, west), np.array([0, 1, 0]))
    assert verdict is not None
    assert verdict.rows == [1, 2]
    assert verdict.counts == {"input_range": 1, "input_category:region": 1}
    assert guard.check(frame(inside), np.array([0])) is None
    # a margin of 10% of the range lets the row just above the maximum through
    assert compiled(range_margin=0.1).check(frame(high), np.array([1])) is None


def test_ood_score_matches_scipy_mahalanobis() -> None:
    ref = sample()
    guard = compiled(max_ood=0.99, check_ranges=False)
    assert guard.ood is not None
    numeric = ref[["income", "debt"]].to_numpy()
    inverse = np.linalg.inv(np.cov(numeric, rowvar=False))
    rows = np.array([[50_000.0, 10_000.0], [50_000.0, 30_000.0], [80_000.0, 5_000.0]])
    expected_d2 = [mahalanobis(r, numeric.mean(axis=0), inverse) ** 2 for r in rows]
    # same formula, different summation order: equal to float rounding
    np.testing.assert_allclose(guard.ood.distances(rows), expected_d2, rtol=1e-9)
    reference_d2 = [mahalanobis(r, numeric.mean(axis=0), inverse) ** 2 for r in numeric]
    expected_score = [np.mean(np.array(reference_d2) < d) for d in expected_d2]
    np.testing.assert_allclose(guard.ood.score(rows), expected_score, atol=1e-12)
    # (50k, 30k) is plausible per feature but far off the income-debt relation
    verdict = guard.check(frame((50_000.0, 10_000.0, "north"), (50_000.0, 30_000.0, "north")),
                          np.array([0, 0]))  # fmt: skip
    assert verdict is not None and verdict.rows == [1] and "input_ood" in verdict.counts


def test_output_bounds_classes_and_fallback() -> None:
    guard = compiled(output_min=0.0, output_max=1.0, on_violation="fallback", check_ranges=False)
    x = frame(*[(50_000.0, 10_000.0, "north")] * 3)
    predictions = np.array([0.5, 1.5, -0.1])
    verdict = guard.check(x, predictions)
    assert verdict is not None and verdict.counts == {"output_bounds": 2}
    answered, proba = guard.apply(verdict, predictions, np.array([[0.5, 0.5]] * 3))
    assert answered.tolist() == [0.5, -1, -1]
    assert proba is not None and np.isnan(proba[1:]).all() and proba[0, 0] == 0.5
    classes = compiled(allowed_classes=["approve", "refer"], check_ranges=False)
    found = classes.check(x, np.array(["approve", "decline", "refer"], dtype=object))
    assert found is not None and found.rows == [1] and found.counts == {"output_class": 1}


def test_share_of_one_class_per_minute_and_the_alert() -> None:
    guard = compiled(max_class_share=0.8, min_rows_for_share=10, check_ranges=False,
                     alert_rate=0.1)  # fmt: skip
    x = frame(*[(50_000.0, 10_000.0, "north")] * 5)
    assert guard.check(x, np.array([1, 1, 1, 1, 0])) is None  # 5 rows: too few to judge
    verdict = guard.check(x, np.array([1, 1, 1, 1, 1]))  # 9 of 10 rows are class 1 > 80%
    assert verdict is not None and verdict.counts == {"output_class_share": 5}
    assert guard.tally(verdict) is None  # the minute is still open
    guard._minute.start -= 61  # the minute ends: the next request closes it
    guard.check(x, np.array([0, 0, 0, 0, 0]))
    closed = guard.tally(None)
    assert closed is not None and (closed.rows, closed.violating) == (10, 5)


def test_spec_is_checked() -> None:
    with pytest.raises(InvalidInput, match="Unknown guardrail setting 'max_oodd'"):
        GuardrailSpec.parse({"max_oodd": 0.9})
    with pytest.raises(InvalidInput, match="output_min 2.0 is above output_max 1.0"):
        GuardrailSpec.parse({"output_min": 2, "output_max": 1})
    with pytest.raises(InvalidInput, match="allowed_classes must be a non-empty list"):
        GuardrailSpec.parse({"allowed_classes": [[1]]})
    with pytest.raises(InvalidInput, match="canary.max_error_rate"):
        GuardrailSpec.parse({"canary": {"max_error_rate": 2}})
    spec = GuardrailSpec.parse(
        {"allowed_classes": [0, 1], "canary": {"metrics": {"auc": {"min": 0.7}}}}
    )
    assert GuardrailSpec.parse(spec.as_dict()) == spec


def test_canary_breaches() -> None:
    bounds = CanaryBounds(max_error_rate=0.05, max_latency_p99_ms=50.0, max_violation_rate=0.1,
                          min_requests=20, metrics={"roc_auc": MetricBound(min=0.7)})  # fmt: skip
    assert canary_breaches(bounds, ArmStats(requests=10, errors=10)) == []  # too few to judge
    found = canary_breaches(
        bounds, ArmStats(requests=100, errors=6, latency_p99_ms=80.0, rows=100, violations=20,
                         metrics={"roc_auc": 0.65}),
    )  # fmt: skip
    assert found == [
        "error rate 0.060 > 0.05",
        "latency p99 80.0 ms > 50 ms",
        "guardrail violation rate 0.200 > 0.1",
        "roc_auc 0.65 < 0.7",
    ]
    assert canary_breaches(bounds, ArmStats(requests=100, errors=5, latency_p99_ms=50.0)) == []


class _Deployment:
    def __init__(self, guardrails: dict[str, Any], challenger: int | None, seq: int) -> None:
        from modelward.domain.deployment import DeploymentConfig, Strategy

        self.name, self.model, self.fallback, self.guardrails = "d", "m", None, guardrails
        strategy = Strategy.CANARY if challenger else Strategy.NONE
        self.config = DeploymentConfig(1, challenger, strategy, 0.5 if challenger else 0.0, seq=seq)


def test_hook_rolls_back_a_challenger_once() -> None:
    asked: list[tuple[str, int, list[str]]] = []
    hook = guardrail_hook.GuardrailHook(reference=lambda m, v: None, metrics=ServingMetrics(),
                           on_rollback=lambda *a: asked.append(a))  # fmt: skip
    spec = {"canary": {"max_error_rate": 0.1, "min_requests": 10}}
    live = _Deployment(spec, challenger=2, seq=3)
    hook.compile(live, {})
    for _ in range(8):
        hook.observe(2, rows=1, seconds=0.001)
    for _ in range(2):
        hook.observe(2, rows=0, seconds=0.0, failed=True)
    hook.observe(1, rows=1, seconds=0.001, failed=True)  # the champion's are not counted
    assert hook.analyze(live) == ["error rate 0.200 > 0.1"]
    assert asked == [("d", 2, ["error rate 0.200 > 0.1"])]
    assert hook.analyze(live) == [] and len(asked) == 1  # asked once
    hook.compile(_Deployment(spec, challenger=None, seq=4), {})
    assert hook.watch is None
    hook.close()


@pytest.mark.parametrize("max_ood", [0.5, 0.9, 0.99, 0.998, 1.0])
def test_compiled_ood_limit_flags_exactly_the_rows_whose_score_passes(max_ood: float) -> None:
    guard = compiled(max_ood=max_ood, check_ranges=False)
    assert guard.ood is not None
    rng = np.random.default_rng(3)
    ref = sample()[["income", "debt"]].to_numpy()
    rows = np.vstack([ref, rng.normal([50_000, 10_000], [20_000, 6_000], (500, 2))])
    expected = guard.ood.score(rows) > max_ood  # the definition: searchsorted share
    far = guard.ood.far(rows)
    assert (np.zeros(len(rows), bool) if far is None else far).tolist() == expected.tolist()
    # One row at a time (the single-row path) agrees with the batch, except for rows whose
    # distance is within rounding of the limit: the single-row path sums the same products in
    # another order (a vector dot product, not a matrix product), and which order a CPU's BLAS
    # uses differs between machines. The training rows are in `rows`, and one of them lies
    # exactly on the limit by construction, so the comparison leaves out rows within 1e-9
    # relative of it (the products are of order 1; float64 rounding is ~1e-16 relative).
    single = [guard.ood.far(rows[i : i + 1]) is not None for i in range(len(rows))]
    at_limit = np.isclose(guard.ood.distances(rows), guard.ood.limit, rtol=1e-9, atol=0.0)
    assert at_limit.sum() <= 2  # the comparison below still covers (almost) every row
    kept = ~at_limit
    assert np.array(single)[kept].tolist() == expected[kept].tolist()
    missing = guard.ood.far(np.array([[np.nan, 10_000.0]]))
    assert (missing is not None) == (max_ood < 1.0)  # a missing value is as far as can be


def test_dataframe_rows_are_read_without_pandas_per_column_and_agree() -> None:
    ref = sample()
    guard = compiled(max_ood=0.999)
    inside = (float(ref.income.median()), float(ref.debt.median()), "north")
    high = (float(ref.income.max()) + 1.0, float(ref.debt.median()), "west")
    rows = frame(inside, high)
    verdict = guard.check(rows, np.array([0, 1]))
    assert verdict is not None and verdict.rows == [1]
    assert verdict.counts == {"input_range": 1, "input_ood": 1, "input_category:region": 1}
    assert verdict.ood is not None and verdict.ood.shape == (2,)
    # columns in another order: read by name, same verdict
    shuffled = guard.check(rows[["region", "debt", "income"]], np.array([0, 1]))
    assert shuffled is not None and shuffled.counts == verdict.counts
    # None in a numeric column (allow_missing): the pandas way, the row is far (OOD)
    holes = frame(inside).astype(object)
    holes.loc[0, "debt"] = None
    found = guard.check(holes, np.array([0]))
    assert found is not None and found.counts == {"input_ood": 1}
    assert guard.check(frame(inside), np.array([0])) is None


def test_metric_bounds_parse_with_estimated_and_refuse_nonsense() -> None:
    spec = GuardrailSpec.parse(
        {"canary": {"metrics": {"roc_auc": {"min": 0.7, "estimated": True}, "mae": {"max": 3}}}}
    )
    assert spec.canary.metrics == {
        "roc_auc": MetricBound(min=0.7, estimated=True),
        "mae": MetricBound(max=3.0),
    }
    assert GuardrailSpec.parse(spec.as_dict()) == spec
    assert spec.as_dict()["canary"]["metrics"]["roc_auc"] == {"min": 0.7, "estimated": True}
    for bad, field in [
        ({"roc_auc": {"estimated": True}}, "canary.metrics.roc_auc"),  # no bound at all
        ({"roc_auc": {"min": 0.7, "estimated": "yes"}}, "canary.metrics.roc_auc.estimated"),
        ({"roc_auc": {"min": 0.9, "max": 0.8}}, "canary.metrics.roc_auc"),
        ({"roc_auc": {"low": 0.7}}, "canary.metrics.roc_auc"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            GuardrailSpec.parse({"canary": {"metrics": bad}})
        assert caught.value.details.get("field") == field, caught.value


def _window(hour: int, versions: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 30, hour, tzinfo=UTC)
    return start, start + timedelta(hours=1), {"versions": versions}


def test_challenger_readings_take_the_newest_realised_value_or_an_allowed_estimate() -> None:
    bounds = CanaryBounds(metrics={"roc_auc": MetricBound(min=0.7),
                                   "accuracy": MetricBound(min=0.8, estimated=True)})  # fmt: skip
    windows = [
        _window(3, {"2": {"n_labels": 40, "rows": 90, "metrics": {"roc_auc": 0.61}}}),
        _window(
            5,
            {
                "1": {"metrics": {"roc_auc": 0.9}},
                "2": {"rows": 120, "metrics": {}, "estimated": {"roc_auc": 0.5, "accuracy": 0.7}},
            },
        ),  # fmt: skip
        _window(4, {"2": {"n_labels": 50, "metrics": {"roc_auc": 0.75, "accuracy": 0.9}}}),
    ]
    found = challenger_readings(bounds, windows, 2)
    # roc_auc: the newest realised value (04:00); the 05:00 estimate is not allowed for it
    assert (found["roc_auc"].value, found["roc_auc"].estimated) == (0.75, False)
    assert found["roc_auc"].window_start.hour == 4 and found["roc_auc"].rows == 50
    # accuracy: the 05:00 window has no realised value, so its estimate is judged
    assert (found["accuracy"].value, found["accuracy"].estimated) == (0.7, True)
    assert metric_breaches(bounds, found) == [
        "accuracy 0.7 < 0.8 (estimated, window 2026-11-30 05:00-06:00 UTC, 120 rows)"
    ]
    assert challenger_readings(bounds, windows, 7) == {}  # no figures for that version
    assert challenger_readings(bounds, [_window(6, {})], 2) == {}


def test_hook_judges_monitored_metrics_once_per_poll_without_min_requests() -> None:
    from datetime import UTC, datetime, timedelta

    asked: list[tuple[str, int, list[str]]] = []
    reads: list[tuple[str, int, Any]] = []
    start = datetime(2026, 11, 30, 5, tzinfo=UTC)

    def monitored(name: str, version: int, since: Any, bounds: CanaryBounds) -> Any:
        reads.append((name, version, since))
        figures = {"versions": {"2": {"n_labels": 60, "metrics": {"roc_auc": 0.55}}}}
        windows = [(start, start + timedelta(hours=1), figures)]
        return challenger_readings(bounds, windows, version)

    hook = guardrail_hook.GuardrailHook(reference=lambda m, v: None, metrics=ServingMetrics(),
                                        on_rollback=lambda *a: asked.append(a),
                                        monitored=monitored)  # fmt: skip
    spec = {"canary": {"metrics": {"roc_auc": {"min": 0.7}}, "min_requests": 1000}}
    live = _Deployment(spec, challenger=2, seq=3)
    hook.compile(live, {})
    breaches = hook.analyze(live)  # no request seen here: the labels are the evidence
    assert breaches == ["roc_auc 0.55 < 0.7 (realised, window 2026-11-30 05:00-06:00 UTC,"
                        " 60 labelled rows)"]  # fmt: skip
    assert asked == [("d", 2, breaches)] and len(reads) == 1
    assert hook.analyze(live) == [] and len(reads) == 1  # rolled back: nothing more is read
    hook.close()


def test_hook_keeps_serving_when_the_metrics_cannot_be_read() -> None:
    def broken(*_: Any) -> Any:
        raise OSError("database is down")

    hook = guardrail_hook.GuardrailHook(reference=lambda m, v: None, metrics=ServingMetrics(),
                                        monitored=broken)  # fmt: skip
    live = _Deployment({"canary": {"metrics": {"roc_auc": {"min": 0.7}}}}, challenger=2, seq=1)
    hook.compile(live, {})
    assert hook.analyze(live) == []
    hook.close()
