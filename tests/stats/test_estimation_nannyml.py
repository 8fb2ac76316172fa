"""CBPE and DLE against NannyML 0.13 on the same data (covariate shift): ROC AUC within 0.01,
MAE within 1% relative.

NannyML runs in its own virtual environment (`/work/venvs/nannyml`, or
``MODELWARD_NANNYML_VENV``), built here when missing by `benchmarks/peer_nannyml.py`; the test
skips, saying why, only when that venv cannot be built (no network, no registry).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.metrics import mean_absolute_error

from modelward.stats.estimation import CBPE
from modelward.stats.loss_estimation import DLE
from modelward.stats.synthetic import estimation_data

pytestmark = pytest.mark.slow
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
FEATURES = ["x0", "x1", "x2", "c"]
ROWS = 20_000
# Tolerances of the issue. CBPE is deterministic given the data (isotonic fits, fixed
# splits), so ours and NannyML's agree far closer; DLE's regressors differ (scikit-learn's
# histogram GBM vs LightGBM, same settings), hence the 1% on MAE.
AUC_TOLERANCE = 0.01
MAE_RELATIVE = 0.01


def _peer() -> Path:
    spec = importlib.util.spec_from_file_location("peer_nannyml", BENCHMARKS / "peer_nannyml.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    python, error = module.ensure_venv(sys.executable)
    if python is None:
        pytest.skip(f"NANNYML COMPARISON NOT RUN: {error}")
    return Path(python)


def _nannyml(tmp_path: Path, kind: str, ref, cur, **flags: str) -> dict:  # type: ignore[no-untyped-def]
    ref_path, cur_path = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    ref.to_parquet(ref_path, index=False)
    cur.to_parquet(cur_path, index=False)
    extra = [item for key, value in flags.items() for item in (f"--{key}", value)]
    done = subprocess.run(
        [str(_peer()), str(BENCHMARKS / "peer_nannyml.py"), "--kind", kind,
         "--ref", str(ref_path), "--cur", str(cur_path), *extra],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["version"].startswith("0.13")
    return result["estimates"]  # type: ignore[no-any-return]


def test_binary_cbpe_agrees_with_nannyml(tmp_path: Path) -> None:
    ref, cur = estimation_data(ROWS, task="binary", shift="covariate", seed=11)
    ours = CBPE.fit(ref["y_true"], ref["proba_1"].to_numpy(), ref["y_pred"]).estimate(
        cur["proba_1"].to_numpy(), cur["y_pred"]
    )
    theirs = _nannyml(tmp_path, "cbpe", ref, cur, classes="0,1")
    assert abs(ours["roc_auc"].value - theirs["roc_auc"]["value"]) < AUC_TOLERANCE
    assert abs(ours["accuracy"].value - theirs["accuracy"]["value"]) < AUC_TOLERANCE
    # same sampling-error formula, same reference: equal up to float summation order
    assert ours["roc_auc"].sampling_error == pytest.approx(
        theirs["roc_auc"]["sampling_error"], rel=1e-6
    )


def test_multiclass_cbpe_agrees_with_nannyml(tmp_path: Path) -> None:
    ref, cur = estimation_data(ROWS, task="multiclass", shift="covariate", seed=12)
    proba = ["proba_0", "proba_1", "proba_2"]
    ours = CBPE.fit(ref["y_true"], ref[proba].to_numpy(), ref["y_pred"]).estimate(
        cur[proba].to_numpy(), cur["y_pred"]
    )
    theirs = _nannyml(tmp_path, "cbpe", ref, cur, classes="0,1,2")
    assert abs(ours["roc_auc"].value - theirs["roc_auc"]["value"]) < AUC_TOLERANCE
    assert abs(ours["accuracy"].value - theirs["accuracy"]["value"]) < AUC_TOLERANCE


def test_dle_agrees_with_nannyml(tmp_path: Path) -> None:
    ref, cur = estimation_data(ROWS, task="regression", shift="covariate", seed=13)
    ours = DLE.fit(ref[FEATURES], ref["y_pred"], ref["y_true"]).estimate(
        cur[FEATURES], cur["y_pred"]
    )
    theirs = _nannyml(tmp_path, "dle", ref, cur, features=",".join(FEATURES))
    relative = abs(ours["mae"].value - theirs["mae"]["value"]) / theirs["mae"]["value"]
    assert relative < MAE_RELATIVE
    # and both estimate the realised MAE (covariate shift only: the assumption holds)
    realised = mean_absolute_error(cur["y_true"], cur["y_pred"])
    assert abs(ours["mae"].value - realised) / realised < 0.03
