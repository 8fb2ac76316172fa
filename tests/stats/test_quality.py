"""Data quality against a training profile: schema, missing rates, unseen categories, range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelward.errors import InvalidInput
from modelward.stats.profile import profile
from modelward.stats.quality import QualityThresholds, check_quality, to_check_results
from tests.builders import applicants


@pytest.fixture
def training() -> pd.DataFrame:
    return applicants(500, seed=0)


def by_check(findings, column: str, check: str):
    return next(f for f in findings if (f.column, f.check) == (column, check))


def test_clean_data_passes(training: pd.DataFrame) -> None:
    findings = check_quality(training, profile(training))
    assert [f for f in findings if f.severity == "error"] == []
    assert {f.check for f in findings} == {
        "missing_rate_increase",
        "unseen_categories",
        "out_of_range",
    }


def test_schema_mismatch(training: pd.DataFrame) -> None:
    data = training.drop(columns=["debt"]).assign(
        age=training["age"].astype(str), request_id=range(len(training))
    )
    findings = check_quality(data, profile(training))
    missing = by_check(findings, "debt", "missing_column")
    assert (missing.severity, missing.passed) == ("error", False)
    assert "'debt'" in missing.message
    changed = by_check(findings, "age", "kind_changed")
    assert changed.severity == "error"
    assert changed.details == {"expected": "numeric", "actual": "categorical", "dtype": "str"}
    extra = by_check(findings, "request_id", "extra_column")
    assert (extra.severity, extra.passed) == ("warning", None)
    assert not [f for f in findings if f.column == "age" and f.check == "out_of_range"]


def test_missing_rate_increase(training: pd.DataFrame) -> None:
    data = training.copy()
    data.loc[:99, "income"] = np.nan
    finding = by_check(check_quality(data, profile(training)), "income", "missing_rate_increase")
    assert finding.value == pytest.approx(0.2)
    assert (finding.threshold, finding.severity) == (0.05, "error")
    assert "'income'" in finding.message and "0.2 > 0.05" in finding.message


def test_unseen_categories(training: pd.DataFrame) -> None:
    data = training.copy()
    data.loc[:9, "region"] = "west"
    data.loc[10:14, "region"] = None
    finding = by_check(check_quality(data, profile(training)), "region", "unseen_categories")
    assert finding.value == pytest.approx(10 / 495)
    assert finding.severity == "error"
    assert finding.details == {"unseen_rows": 10, "examples": ["west"]}
    assert "'west'" in finding.message


def test_unseen_categories_need_a_complete_profile(training: pd.DataFrame) -> None:
    reference = profile(training)
    reference["columns"]["region"]["other_count"] = 3
    data = training.assign(region="west")
    finding = by_check(check_quality(data, reference), "region", "unseen_categories")
    assert (finding.value, finding.passed, finding.severity) == (None, None, "info")


def test_out_of_range(training: pd.DataFrame) -> None:
    data = training.copy()
    data.loc[:4, "age"] = 5
    data.loc[5:19, "age"] = 200
    finding = by_check(check_quality(data, profile(training)), "age", "out_of_range")
    assert finding.value == pytest.approx(20 / 500)
    assert finding.details["below"] == pytest.approx(5 / 500)
    assert finding.details["above"] == pytest.approx(15 / 500)
    assert finding.severity == "error"


def test_thresholds_are_configurable(training: pd.DataFrame) -> None:
    data = training.copy()
    data.loc[:4, "age"] = 500
    loose = QualityThresholds(out_of_range_share=0.05)
    finding = by_check(
        check_quality(data, profile(training), thresholds=loose), "age", "out_of_range"
    )
    assert (finding.severity, finding.passed) == ("info", True)


def test_datetime_range() -> None:
    days = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=100, freq="D")})
    later = days.assign(when=days["when"] + pd.Timedelta(days=50))
    finding = by_check(check_quality(later, profile(days)), "when", "out_of_range")
    assert finding.value == pytest.approx(0.5)


def test_bad_input(training: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="no rows"):
        check_quality(training.iloc[:0], profile(training))
    with pytest.raises(InvalidInput, match="profile"):
        check_quality(training, {"columns": {}})


def test_to_check_results(training: pd.DataFrame) -> None:
    data = training.drop(columns=["debt"])
    data.loc[:99, "income"] = np.nan
    checks = to_check_results(check_quality(data, profile(training)))
    names = {check.name: check for check in checks}
    assert names["data_quality.missing_rate_increase[income]"].passed is False
    assert names["data_quality.missing_rate_increase[income]"].direction == "max"
    assert names["data_quality.missing_column[debt]"].passed is False
    assert names["data_quality.out_of_range[age]"].passed is True
    assert all(check.category == "data_quality" for check in checks)
    assert len(names) == len(checks)
