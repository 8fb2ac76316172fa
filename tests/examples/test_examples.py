"""The worked examples in examples/ run end to end at small size, in-process, each in a fresh
workspace under tmp_path, and decide what their narratives say."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# Each example is a full lifecycle in a fresh workspace: end to end, so slow.
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# Every example has modules named like its neighbours' (train, ...): forget them between runs.
PROJECT_MODULES = ("train", "customers", "nightly", "grid_data")


@pytest.fixture
def load_example(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def load(name: str) -> ModuleType:
        folder = EXAMPLES / name
        for module in PROJECT_MODULES:
            monkeypatch.delitem(sys.modules, module, raising=False)
        monkeypatch.syspath_prepend(str(folder))
        spec = importlib.util.spec_from_file_location(f"example_{name}_run", folder / "run.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    yield load
    for module in PROJECT_MODULES:
        sys.modules.pop(module, None)


def test_credit_risk(load_example: Any, tmp_path: Path) -> None:
    facts = load_example("credit_risk").main(["--rows", "2000", "--workdir", str(tmp_path)])

    assert facts["validation_passed"] is True
    assert facts["risk_level"] == "high"
    assert facts["champion"] == 1
    assert facts["requests_answered"] > 0
    monitoring = facts["monitoring"]
    assert monitoring["available"] is True
    assert monitoring["labels_stored"] == facts["requests_answered"]
    assert {"income", "late_payments"} <= set(monitoring["day2_drifted"])
    assert len(monitoring["day2_drifted"]) > len(monitoring["day1_drifted"])
    assert all(auc is not None and auc > 0.6 for auc in monitoring["roc_auc"])
    retrain = facts["retrain"]
    assert retrain["outcome"] == "review_requested"  # a high-risk model waits for sign-offs
    assert retrain["revalidation_passed"] is True
    assert retrain["serving"] == retrain["version"] == 2
    assert facts["audit_ok"] is True


def test_recommender(load_example: Any, tmp_path: Path) -> None:
    facts = load_example("recommender").main(["--rows", "1500", "--workdir", str(tmp_path)])

    assert facts["validation_passed"] is True
    assert (facts["risk_level"], facts["auto_promoted"], facts["champion"]) == ("low", True, 1)
    assert facts["rows_scored"] == facts["rows_logged"] == 1500  # two nights on Dask, logged
    night1, night2 = facts["nights"]["night-1"], facts["nights"]["night-2"]
    assert set(night1) <= {"discount", "premium_upgrade", "loyalty_points", "bundle"}
    assert night2["discount"] > night1["discount"]  # the summer crowd takes discounts
    monitoring = facts["monitoring"]
    assert monitoring["available"] is True
    assert monitoring["night1_drifted"] is False  # the reference against itself
    assert monitoring["prediction_drifted"] is True
    assert "prediction:prediction" in monitoring["alerts"]
    kill = facts["kill_switch"]
    assert (kill["live_status"], kill["killed_status"]) == (200, 503)
    assert kill["fallback_answer"] == "loyalty_points"
    assert kill["batch_scored_while_killed"] is False
    assert kill["revived_arm"] == "champion"
    assert facts["audit_ok"] is True


def test_load_forecasting(load_example: Any, tmp_path: Path) -> None:
    facts = load_example("load_forecasting").main(
        ["--rows", str(24 * 60), "--workdir", str(tmp_path)]
    )

    assert facts["validation_passed"] is True
    assert facts["risk_level"] == "medium"
    assert (facts["max_model_age_days"], facts["retraining_due_now"]) == (28, False)
    assert facts["forecast_rows"] == 2 * 168
    monitoring = facts["monitoring"]
    assert monitoring["labels_stored"] == 2 * 168
    assert "temperature" not in monitoring["summer_drifted"]
    assert "temperature" in monitoring["winter_drifted"]  # the season change
    summer_mae, winter_mae = monitoring["mae"]
    assert winter_mae > 3 * summer_mae
    assert monitoring["performance_alert"] is True
    retrain = facts["retrain"]
    assert retrain["validation_passed"] is True
    assert retrain["outcome"] == "review_requested"  # medium risk: one validator signs off
    assert retrain["winter_mae"] < winter_mae / 3
    assert retrain["serving"] == retrain["version"] == 2
