"""Dataset fingerprints, profiles and samples (modelward.stats.profile)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from modelward.errors import InvalidInput
from modelward.stats.profile import (
    HISTOGRAM_BINS,
    QUANTILES,
    column_kind,
    fingerprint,
    profile,
    sample,
    to_arrow,
    to_frame,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = 1_000
    income = rng.lognormal(10, 0.5, rows)
    income[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "income": income,
            "age": rng.integers(18, 90, rows),
            "region": rng.choice(["north", "south", "east", "west"], rows, p=[0.4, 0.3, 0.2, 0.1]),
            "member": rng.random(rows) < 0.3,
        }
    )


def test_same_data_same_fingerprint(frame: pd.DataFrame) -> None:
    assert fingerprint(to_arrow(frame)) == fingerprint(to_arrow(frame.copy()))


def test_reordered_rows_change_the_fingerprint(frame: pd.DataFrame) -> None:
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert fingerprint(to_arrow(shuffled)) != fingerprint(to_arrow(frame))


def test_changed_value_changes_the_fingerprint(frame: pd.DataFrame) -> None:
    changed = frame.copy()
    changed.loc[0, "age"] += 1
    assert fingerprint(to_arrow(changed)) != fingerprint(to_arrow(frame))


def test_pandas_arrow_and_parquet_give_the_same_fingerprint(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, index=False)
    from_pandas = fingerprint(to_arrow(frame))
    assert fingerprint(to_arrow(pa.Table.from_pandas(frame))) == from_pandas
    assert fingerprint(to_arrow(path)) == from_pandas
    assert fingerprint(to_arrow(str(path))) == from_pandas


def test_index_does_not_change_the_fingerprint(frame: pd.DataFrame) -> None:
    assert fingerprint(to_arrow(frame.set_axis(range(5, 5 + len(frame))))) == fingerprint(
        to_arrow(frame)
    )


def test_numeric_profile_matches_numpy(frame: pd.DataFrame) -> None:
    column = profile(frame)["columns"]["income"]
    values = frame["income"].to_numpy()
    finite = values[np.isfinite(values)]
    assert column["kind"] == "numeric"
    assert column["count"] == finite.size
    assert column["missing_rate"] == pytest.approx(np.isnan(values).mean())
    assert (column["min"], column["max"]) == (finite.min(), finite.max())
    assert column["mean"] == pytest.approx(finite.mean(), rel=1e-12)
    assert column["std"] == pytest.approx(finite.std(ddof=1), rel=1e-12)
    expected = np.quantile(finite, QUANTILES)
    assert list(column["quantiles"].values()) == pytest.approx(expected, rel=1e-12)
    counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
    assert column["histogram"]["counts"] == counts.tolist()
    assert column["histogram"]["edges"] == pytest.approx(edges, rel=1e-12)
    assert sum(column["histogram"]["counts"]) == column["count"]


def test_categorical_and_boolean_profiles(frame: pd.DataFrame) -> None:
    columns = profile(frame)["columns"]
    region = columns["region"]
    assert region["kind"] == "categorical"
    assert region["top"] == frame["region"].value_counts().to_dict()
    assert (region["n_unique"], region["other_count"]) == (4, 0)
    member = columns["member"]
    assert member["kind"] == "boolean"
    assert member["top"] == {
        str(key): int(value) for key, value in frame["member"].value_counts().items()
    }


def test_row_count_and_constant_column() -> None:
    result = profile(pd.DataFrame({"flag": np.ones(10)}))
    assert result["row_count"] == 10
    flag = result["columns"]["flag"]
    assert (flag["min"], flag["max"], flag["std"]) == (1.0, 1.0, 0.0)
    assert flag["histogram"]["counts"][0] == 10


def test_all_missing_numeric_column() -> None:
    column = profile(pd.DataFrame({"x": [np.nan] * 5}))["columns"]["x"]
    assert (column["count"], column["missing_rate"], column["min"]) == (0, 1.0, None)


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        pytest.param(pd.Series([1, 2]), "numeric", id="int"),
        pytest.param(pd.Series([1.5, None]), "numeric", id="float"),
        pytest.param(pd.Series([True, False]), "boolean", id="bool"),
        pytest.param(pd.Series(pd.to_datetime(["2024-01-01"])), "datetime", id="datetime"),
        pytest.param(pd.Series(["a", "b"]), "categorical", id="text"),
        pytest.param(pd.Series(["a"], dtype="category"), "categorical", id="category"),
        pytest.param(pd.Series([1, "a"], dtype=object), "categorical", id="mixed"),
    ],
)
def test_column_kind(series: pd.Series, kind: str) -> None:
    assert column_kind(series) == kind


def test_sample_is_seeded_and_bounded(frame: pd.DataFrame) -> None:
    first = sample(frame, rows=100, seed=3)
    assert len(first) == 100
    pd.testing.assert_frame_equal(first, sample(frame, rows=100, seed=3))
    assert not first.equals(sample(frame, rows=100, seed=4))
    assert len(sample(frame, rows=5_000)) == len(frame)


def test_to_frame_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        to_frame(tmp_path / "missing.parquet")
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(InvalidInput, match="must be .parquet or .csv"):
        to_frame(tmp_path / "data.json")
    with pytest.raises(InvalidInput, match="got list"):
        to_frame([1, 2, 3])
