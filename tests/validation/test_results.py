"""CheckResult and ValidationReport: invariants, queries, and the JSON round trip."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelward.domain.results import CATEGORIES, CheckResult, ValidationReport, json_safe
from modelward.errors import InvalidInput

CREATED = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def make_check(**overrides) -> CheckResult:
    fields = {
        "name": "performance.roc_auc",
        "category": "performance",
        "value": 0.82,
        "threshold": 0.7,
        "passed": True,
        "direction": "min",
        "message": "performance.roc_auc = 0.82 meets the bound >= 0.7.",
        "details": {},
    }
    return CheckResult(**{**fields, **overrides})


def make_report(checks=(), **overrides) -> ValidationReport:
    fields = {
        "model": "credit-risk",
        "version": 4,
        "task": "classification",
        "checks": tuple(checks) or (make_check(),),
        "sections": {"confusion_matrix": {"labels": ["0", "1"], "matrix": [[5, 1], [2, 7]]}},
        "warnings": ("SHAP is not installed.",),
        "created_at": CREATED,
        "created_by": "ada",
        "data_rows": 15,
        "dataset_id": "ab12",
        "against": "champion",
    }
    return ValidationReport(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        pytest.param({"category": "vibes"}, "'vibes'", id="unknown-category"),
        pytest.param({"name": "roc_auc"}, "'roc_auc'", id="name-without-category"),
        pytest.param({"name": "fairness.dp"}, "'fairness.dp'", id="name-of-other-category"),
        pytest.param({"direction": "up"}, "'up'", id="unknown-direction"),
        pytest.param({"value": math.nan}, "nan", id="nan-value"),
        pytest.param({"threshold": math.inf}, "inf", id="infinite-threshold"),
    ],
)
def test_malformed_check_is_invalid_input(overrides: dict, named: str) -> None:
    with pytest.raises(InvalidInput, match=named):
        make_check(**overrides)


def test_report_passes_when_no_check_fails_and_informational_checks_do_not_count() -> None:
    informational = make_check(name="performance.accuracy", threshold=None, passed=None)
    report = make_report([make_check(), informational])
    assert report.passed
    assert report.failed_checks == ()


def test_report_lists_failed_checks() -> None:
    failed = make_check(name="slices.worst_gap", category="slices", value=0.2, passed=False)
    report = make_report([make_check(), failed])
    assert not report.passed
    assert [check.name for check in report.failed_checks] == ["slices.worst_gap"]


def test_check_names_by_category() -> None:
    fairness = make_check(
        name="fairness.demographic_parity_difference[gender]", category="fairness"
    )
    report = make_report([make_check(), fairness])
    assert report.check_names("fairness") == ["fairness.demographic_parity_difference[gender]"]
    assert report.check_names() == [
        "performance.roc_auc",
        "fairness.demographic_parity_difference[gender]",
    ]
    assert report.find_check("performance.roc_auc") == make_check()
    assert report.find_check("performance.nope") is None


def test_unknown_category_query_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="'perf'"):
        make_report().check_names("perf")


def test_duplicate_check_names_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="performance.roc_auc"):
        make_report([make_check(), make_check()])


def test_report_round_trips_through_json() -> None:
    report = make_report(
        [
            make_check(details={"ci": [0.1, 0.2], "groups": {"a": 1}}),
            make_check(name="comparison.roc_auc", category="comparison", value=None),
        ]
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is True
    assert ValidationReport.from_dict(data) == report


def test_from_dict_names_the_missing_key() -> None:
    data = make_report().to_dict()
    del data["task"]
    with pytest.raises(InvalidInput, match="'task'"):
        ValidationReport.from_dict(data)


def test_json_safe_turns_non_finite_numbers_into_null_and_tuples_into_lists() -> None:
    assert json_safe({"a": (1.0, math.nan), 2: math.inf}) == {"a": [1.0, None], "2": None}


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(
    category=st.sampled_from(CATEGORIES),
    figure=st.text(alphabet="abcdefghij_[]&=", min_size=1, max_size=20),
    value=st.none() | finite,
    threshold=st.none() | finite,
    passed=st.none() | st.booleans(),
    details=st.dictionaries(st.text(max_size=5), st.none() | finite | st.text(max_size=5)),
)
def test_any_check_round_trips(category, figure, value, threshold, passed, details) -> None:
    check = CheckResult(
        name=f"{category}.{figure}",
        category=category,
        value=value,
        threshold=threshold,
        passed=passed,
        details=details,
    )
    assert CheckResult.from_dict(json.loads(json.dumps(check.to_dict()))) == check
