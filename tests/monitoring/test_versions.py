"""Per-version figures of a monitoring window (what canary analysis reads of a challenger):
each version's realised metrics equal scikit-learn's on its own labelled rows, a shadow
challenger's rows count for it, estimates come from the window's estimator, and a refresh for
late labels keeps the estimates."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from modelward.domain.monitoring import Label
from modelward.monitoring import estimated, versions
from modelward.monitoring.windows_compute import MonitorOptions

AT = datetime(2026, 11, 30, 8, tzinfo=UTC)


def _log(version: int, arm: str, ids: list[str], score: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": ids,
            "row": 0,
            "version": version,
            "arm": arm,
            "prediction": (score >= 0.5).astype(int),
            "probabilities": [[1.0 - s, s] for s in score],
        }
    )


def _data(rows: int = 300, seed: int = 4) -> tuple[pd.DataFrame, list[Label], dict[int, tuple]]:  # type: ignore[type-arg]
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, rows)
    good = np.clip(0.4 * truth + rng.uniform(0, 0.6, rows), 0, 1)  # the champion sees it
    poor = rng.uniform(0, 1, rows)  # the shadow challenger guesses
    ids = [f"r{i}" for i in range(rows)]
    logged = pd.concat([_log(1, "champion", ids, good), _log(2, "shadow", ids, poor)])
    labels = [Label(i, 0, int(y), AT, AT) for i, y in zip(ids, truth, strict=True)]
    return logged, labels, {1: (truth, good), 2: (truth, poor)}


def test_each_version_is_judged_on_its_own_rows_like_sklearn() -> None:
    logged, labels, truth = _data()
    found = versions.figures(logged, labels, task="classification", options=MonitorOptions())
    for version, (y, score) in truth.items():
        entry = found["versions"][str(version)]
        assert (entry["rows"], entry["n_labels"]) == (300, 300)
        # the same float64 numbers through scikit-learn on both sides: another summation
        # order at most
        assert entry["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(y, score), rel=1e-12)
        assert entry["metrics"]["accuracy"] == pytest.approx(
            accuracy_score(y, (score >= 0.5).astype(int)), rel=1e-12
        )
    assert found["versions"]["2"]["arms"] == ["shadow"]  # shadow rows count for their version
    assert found["versions"]["1"]["estimated"] == {}  # no estimator given: none kept


def test_one_version_or_no_log_gives_nothing() -> None:
    logged, labels, _ = _data()
    options = MonitorOptions()
    champion_only = logged[logged["version"] == 1]
    assert versions.figures(champion_only, labels, task=None, options=options) == {}
    assert versions.figures(None, labels, task=None, options=options) == {}


def test_estimates_come_from_the_windows_estimator_and_survive_a_refresh() -> None:
    logged, labels, _ = _data(rows=400)
    reference = estimated.label_frame(logged[logged["version"] == 1], labels)
    estimator = estimated.fit(reference, "test reference", [], "classification")
    assert estimator.model is not None, estimator.message
    options = MonitorOptions()
    first = versions.figures(logged, [], task="classification", options=options,
                             estimator=estimator)  # fmt: skip
    entry = first["versions"]["2"]
    assert entry["metrics"] == {} and entry["n_labels"] == 0  # no labels yet
    direct = estimated.estimate(estimator, logged[logged["version"] == 2].reset_index(drop=True))
    assert entry["estimated"]["roc_auc"] == direct["roc_auc"].value
    # late labels: realised values join, the estimates stay as computed
    later = versions.figures(logged, labels, task="classification", options=options,
                             earlier=first["versions"])  # fmt: skip
    assert later["versions"]["2"]["estimated"] == entry["estimated"]
    assert later["versions"]["2"]["n_labels"] == 400
