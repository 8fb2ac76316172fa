"""Row fingerprints: stable across the ways one row can be read, compact, never pickled."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pandas as pd
import pytest

from modelward.errors import InvalidInput
from modelward.stats.row_hashes import from_npy, overlap, row_hashes, to_npy
from tests.builders import applicants

COLUMNS = ["income", "debt", "age", "region", "default"]


@pytest.mark.parametrize(
    "reread",
    [
        pytest.param(lambda f: f.astype({"age": "float64"}), id="int-read-as-float"),
        pytest.param(lambda f: f.astype({"region": "category"}), id="categorical"),
        pytest.param(lambda f: f.astype({"region": "string"}), id="string-dtype"),
        pytest.param(lambda f: f[list(reversed(f.columns))], id="column-order"),
        pytest.param(lambda f: f.set_index(f.index + 1000), id="index-ignored"),
        pytest.param(lambda f: f.assign(extra=1.0), id="other-columns-ignored"),
        pytest.param(
            lambda f: pd.read_parquet(io.BytesIO(f.to_parquet(index=False))), id="parquet"
        ),
    ],
)
def test_the_same_rows_hash_the_same_however_read(reread) -> None:
    frame = applicants(50)
    assert np.array_equal(row_hashes(frame, COLUMNS), row_hashes(reread(frame), COLUMNS))


def test_normalisation_folds_signed_zero_missing_values_and_booleans() -> None:
    left = pd.DataFrame({"x": [0.0, np.nan, 1.0], "name": ["a", None, "b"], "flag": [1, 0, 1]})
    right = pd.DataFrame(
        {"x": [-0.0, float("nan"), 1], "name": ["a", np.nan, "b"], "flag": [True, False, True]}
    )
    columns = ["x", "name", "flag"]
    assert np.array_equal(row_hashes(left, columns), row_hashes(right, columns))


def test_different_rows_hash_differently() -> None:
    frame = applicants(500)
    hashes = row_hashes(frame, COLUMNS)
    assert len(np.unique(hashes)) == len(frame)  # 500 distinct rows, no collision
    changed = frame.assign(region=frame["region"].map({"north": "south"}).fillna("x"))
    assert not np.isin(row_hashes(changed, COLUMNS), hashes).any()


def test_times_hash_by_instant() -> None:
    utc = pd.DataFrame({"at": pd.to_datetime(["2026-01-01T10:00Z", None], utc=True)})
    naive = pd.DataFrame({"at": pd.to_datetime(["2026-01-01 10:00", None])})
    assert np.array_equal(row_hashes(utc, ["at"]), row_hashes(naive, ["at"]))


def test_overlap_counts_validation_rows_found_in_training() -> None:
    training = row_hashes(applicants(200), COLUMNS)
    validation = pd.concat([applicants(200).head(10), applicants(190, seed=1)])
    found = overlap(row_hashes(validation, COLUMNS), from_npy(to_npy(training)))
    assert (found.rows, found.share) == (10, 10 / 200)
    assert overlap(np.array([], dtype=np.uint64), training).share == 0.0


def test_the_stored_form_is_a_compact_npy_array() -> None:
    hashes = row_hashes(applicants(1000), COLUMNS)
    data = to_npy(hashes)
    assert data.startswith(b"\x93NUMPY")
    assert len(data) <= 8 * 1000 + 128  # 8 bytes a row plus the header
    assert np.array_equal(from_npy(data), np.unique(hashes))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(pickle.dumps([1, 2, 3]), id="a-pickle"),
        pytest.param(b"not numpy", id="garbage"),
        pytest.param(to_npy(np.array([1, 2])).replace(b"<u8", b"<i8"), id="signed"),
    ],
)
def test_anything_but_a_uint64_array_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        from_npy(data)


def test_missing_columns_are_named() -> None:
    with pytest.raises(InvalidInput, match="'salary'"):
        row_hashes(applicants(5), ["income", "salary"])


def test_logging_a_training_set_keeps_its_fingerprints(client) -> None:
    frame = applicants(120)
    with client.start_run("credit") as run:
        run.log_dataset(frame, name="train", role="training")
        run.log_dataset(applicants(30, seed=2), name="holdout", role="evaluation")
    datasets = {d.name: d for d in client.tracking.get_run(run.id).datasets}
    assert datasets["holdout"].row_hashes_sha256 is None
    stored = from_npy(client.backend.artifacts.get_bytes(datasets["train"].row_hashes_sha256))
    assert np.array_equal(stored, np.unique(row_hashes(frame, COLUMNS)))
