"""Slices: a planted bad slice is flagged with its size; tiny slices are reported, not flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

from modelward.errors import InvalidInput
from modelward.validation.base import Outputs
from modelward.validation.slices import check_slices, parse_slice_queries, shortfall

ROWS = 4_000


def regional_outputs(*, bad_region: str | None, seed: int = 0) -> tuple[Outputs, pd.DataFrame]:
    """Decisions right 90% of the time, and a coin toss in `bad_region`."""
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east", "west"], ROWS),
            "income": rng.normal(50_000, 10_000, ROWS),
        }
    )
    truth = rng.integers(0, 2, ROWS)
    right = rng.random(ROWS) < 0.9
    if bad_region is not None:
        in_bad = (features["region"] == bad_region).to_numpy()
        right[in_bad] = rng.random(in_bad.sum()) < 0.5
    pred = np.where(right, truth, 1 - truth)
    outputs = Outputs(
        task="classification", y_true=truth, y_pred=pred, classes=(0, 1), positive_label=1
    )
    return outputs, features


def test_planted_bad_slice_is_flagged_with_its_size() -> None:
    outputs, features = regional_outputs(bad_region="west")
    part = check_slices(outputs, features=features, metric="accuracy", gap=0.05)
    failed = {check.name: check for check in part.checks if check.passed is False}
    west = features["region"] == "west"
    assert set(failed) == {"slices.worst_gap", "slices.gap[region=west]"}
    assert failed["slices.gap[region=west]"].details["size"] == int(west.sum())
    expected = accuracy_score(outputs.y_true, outputs.y_pred) - accuracy_score(
        outputs.y_true[west], outputs.y_pred[west]
    )
    assert failed["slices.gap[region=west]"].value == pytest.approx(expected)
    assert failed["slices.worst_gap"].details["worst"] == "region=west"


def test_model_even_across_slices_passes() -> None:
    outputs, features = regional_outputs(bad_region=None)
    part = check_slices(outputs, features=features, metric="accuracy", gap=0.05)
    assert [check.passed for check in part.checks] == [True]


def test_numeric_features_slice_by_quantile_bins_with_their_range() -> None:
    outputs, features = regional_outputs(bad_region=None)
    rows = check_slices(outputs, features=features, bins=4).sections["slices"]["rows"]
    income = [row for row in rows if row["feature"] == "income"]
    assert [row["slice"] for row in income] == [f"income=q{i}" for i in range(1, 5)]
    assert sum(row["size"] for row in income) == ROWS
    assert income[0]["range"][1] == pytest.approx(features["income"].quantile(0.25))


def test_tiny_slice_is_reported_but_not_flagged() -> None:
    outputs, features = regional_outputs(bad_region=None)
    features["vip"] = "no"
    features.loc[:9, "vip"] = "yes"
    outputs.y_pred[:10] = 1 - outputs.y_true[:10]  # all ten VIPs wrong
    part = check_slices(outputs, features=features[["vip"]], min_size=50)
    vip = next(row for row in part.sections["slices"]["rows"] if row["slice"] == "vip=yes")
    assert (vip["size"], vip["value"], vip["small"], vip["flagged"]) == (10, 0.0, True, False)
    assert all(check.passed is not False for check in part.checks)


def test_missing_values_form_their_own_slice() -> None:
    outputs, features = regional_outputs(bad_region=None)
    features.loc[:99, "income"] = np.nan
    rows = check_slices(outputs, features=features[["income"]]).sections["slices"]["rows"]
    missing = next(row for row in rows if row["slice"] == "income=<missing>")
    assert missing["size"] == 100


def test_user_defined_query_slice() -> None:
    outputs, features = regional_outputs(bad_region="west")
    part = check_slices(
        outputs,
        features=features[["income"]],
        queries={"rich_west": "region == 'west' and income > 50000"},
        query_data=features,
    )
    rich_west = next(row for row in part.sections["slices"]["rows"] if row["kind"] == "query")
    expected = int(((features["region"] == "west") & (features["income"] > 50_000)).sum())
    assert (rich_west["slice"], rich_west["size"], rich_west["flagged"]) == (
        "rich_west",
        expected,
        True,
    )


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("region ==", id="syntax-error"),
        pytest.param("planet == 'mars'", id="unknown-column"),
        pytest.param("income * 2", id="arithmetic"),
        pytest.param("income", id="not-boolean"),
        pytest.param("region > 3", id="text-against-number"),
    ],
)
def test_bad_query_is_invalid_input_naming_the_slice(query: str) -> None:
    outputs, features = regional_outputs(bad_region=None)
    with pytest.raises(InvalidInput, match="Slice 'broken'"):
        check_slices(outputs, features=features, queries={"broken": query})


def test_malicious_query_is_refused_and_never_run(tmp_path: Path) -> None:
    outputs, features = regional_outputs(bad_region=None)
    marker = tmp_path / "pwned"
    for attack in (
        f"@pd.io.common.os.system('touch {marker}')",
        f"__import__('os').system('touch {marker}')",
        "income.__class__.__mro__",
    ):
        with pytest.raises(InvalidInput) as caught:
            check_slices(outputs, features=features, queries={"evil": attack})
        assert not marker.exists(), f"{attack!r} was executed"
        assert "Slice 'evil' expression" in str(caught.value)
        assert "at character" in str(caught.value)


def test_parse_slice_queries_checks_columns() -> None:
    parsed = parse_slice_queries({"west": "region == 'west'"}, columns=["region", "income"])
    assert str(parsed["west"]) == "region == 'west'"
    with pytest.raises(InvalidInput, match="Slice 'west' expression .*column 'region'"):
        parse_slice_queries({"west": "region == 'west'"}, columns=["income"])


@pytest.mark.parametrize(
    ("metric", "overall", "value", "expected"),
    [
        pytest.param("accuracy", 0.9, 0.8, 0.1, id="score-absolute"),
        pytest.param("roc_auc", 0.8, 0.85, -0.05, id="better-slice-negative"),
        pytest.param("rmse", 10.0, 12.0, 0.2, id="error-relative"),
        pytest.param("mae", 0.0, 0.5, 0.5, id="perfect-overall-absolute"),
        pytest.param("accuracy", 0.9, None, None, id="undefined"),
    ],
)
def test_shortfall(metric: str, overall: float, value: float | None, expected) -> None:
    assert shortfall(metric, overall, value) == (
        None if expected is None else pytest.approx(expected)
    )
