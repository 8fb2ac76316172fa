"""Reproducing a run: a demo-like training script in a git repository, with uncommitted
changes, an untracked module and ignored training data, is rebuilt from what the run stored
and re-run; metrics and model bytes come back identical, the result is stored, audited, and
passes the gate item. One slow test rebuilds the environment in a fresh virtual environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelward import errors
from modelward.cli.main import app
from modelward.client import Client
from modelward.config import Settings
from modelward.tracking import capture
from tests.builders import applicants

SRC = Path(__file__).resolve().parents[2] / "src"

TRAIN = """\
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import modelward
from features import FEATURES  # an untracked module: part of the stored patch

C = 1.0

data = pd.read_csv("data/train.csv")  # ignored by git: only the snapshot has it
with modelward.start_run("credit", name="train") as run:
    run.log_dataset("data/train.csv", name="train", snapshot=True)
    run.log_param("C", C)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))
    model.fit(data[FEATURES], data["default"])
    run.log_metric("auc", roc_auc_score(data["default"], model.predict_proba(data[FEATURES])[:, 1]))
    run.log_metric("rows", len(data))
    run.log_model(model, "model", input_example=data[FEATURES].head(5))
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_project(root: Path) -> Path:
    """A git repository with train.py committed, then changed (C) but not committed."""
    repo = root / "project"
    (repo / "data").mkdir(parents=True)
    (repo / "train.py").write_text(TRAIN)
    (repo / ".gitignore").write_text("data/\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "train.py", ".gitignore")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "train")
    (repo / "train.py").write_text(TRAIN.replace("C = 1.0", "C = 0.3"))  # uncommitted
    (repo / "features.py").write_text('FEATURES = ["income", "debt", "age"]\n')  # untracked
    applicants(500, seed=4).to_csv(repo / "data" / "train.csv", index=False)
    return repo


def train(repo: Path, home: Path, env: dict[str, str] | None = None) -> str:
    """Run the project's script as a user would; returns the run id."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    environment |= {"MODELWARD_HOME": str(home), "PYTHONPATH": str(SRC), **(env or {})}
    subprocess.run(
        [sys.executable, "train.py"], cwd=repo, env=environment, check=True, capture_output=True
    )
    client = Client(Settings(home=home))
    try:
        [run] = client.tracking.search_runs(experiments=["credit"])
    finally:
        client.close()
    return run.id


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    repo = make_project(tmp_path)
    home = tmp_path / "ws"
    run_id = train(repo, home)
    monkeypatch.setenv("PYTHONPATH", str(SRC))  # the re-run imports this modelward
    return repo, home, run_id


def test_a_run_stores_its_code_state_lock_and_data(project: tuple[Path, Path, str]) -> None:
    repo, home, run_id = project
    client = Client(Settings(home=home))
    try:
        run = client.tracking.get_run(run_id)
        paths = {a.path for a in run.artifacts}
        assert {capture.CODE_STATE, capture.CODE_PATCH, capture.ENV_LOCK} <= paths
        assert "modelward/data/train.csv" in paths
        state = client.tracking.read_artifact(run_id, capture.CODE_STATE)
        patch = client.tracking.read_artifact(run_id, capture.CODE_PATCH).decode()
        lock = client.tracking.read_artifact(run_id, capture.ENV_LOCK).decode()
        data = client.tracking.read_artifact(run_id, "modelward/data/train.csv")
    finally:
        client.close()
    assert b'"entry_point": "train.py"' in state
    assert "+C = 0.3" in patch and "features.py" in patch  # uncommitted and untracked
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in lock
    assert data == (repo / "data" / "train.csv").read_bytes()


def test_a_demo_run_is_reproduced_bit_for_bit(project: tuple[Path, Path, str]) -> None:
    repo, home, run_id = project
    (repo / "data" / "train.csv").unlink()  # the re-run must use the stored snapshot
    (repo / "train.py").write_text(TRAIN.replace("C = 1.0", "C = 9.0"))  # later edits ignored
    client = Client(Settings(home=home))
    try:
        result = client.reproduce_run(run_id, repo=str(repo), in_current_env=True)
        assert result.passed and result.metrics_match and result.model_identical is True
        original = client.tracking.get_run(run_id).metrics
        assert {k: v[0] for k, v in result.metric_diffs.items()} == original
        # bit for bit: the same floats, not merely within the tolerance
        assert all(a == b for a, b in result.metric_diffs.values())
        assert result.environment == "current"
        [stored] = client.tracking.reproductions(run_id)
        assert stored.passed and stored.id is not None
        [event] = client.governance.audit_events(entity_type="run", entity_id=run_id)
        assert event.action == "run.reproduced"
        assert event.after is not None and event.after["model_identical"] is True
    finally:
        client.close()


def test_the_gate_can_require_a_snapshot_and_a_matching_reproduction(
    project: tuple[Path, Path, str], tmp_path: Path
) -> None:
    repo, home, run_id = project
    policy = tmp_path / "policy.yaml"
    levels = ("low", "medium", "high", "severe")
    rules = "    data_snapshot_required: true\n    reproduction_required: true\n"
    policy.write_text("policies:\n" + "".join(f"  {lv}:\n{rules}" for lv in levels))
    client = Client(Settings(home=home, policy_file=policy))
    try:
        client.registry.register(run_id, name="credit-risk")
        items = {i.name: i for i in client.governance.status("credit-risk", 1).decision.items}
        assert items["reproducibility.data_snapshot"].met
        assert not items["reproducibility.reproduced"].met
        client.reproduce_run(run_id, repo=str(repo), in_current_env=True)
        items = {i.name: i for i in client.governance.status("credit-risk", 1).decision.items}
        assert items["reproducibility.reproduced"].met
    finally:
        client.close()


def test_a_run_that_does_not_reproduce_exits_10(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    script = TRAIN.replace("C = 1.0", "import random\nC = random.random()")  # not seeded
    (repo / "train.py").write_text(script)
    home = tmp_path / "ws"
    run_id = train(repo, home)
    os.environ["PYTHONPATH"] = str(SRC)
    try:
        result = CliRunner().invoke(
            app,
            ["--home", str(home), "runs", "reproduce", run_id, "--repo", str(repo),
             "--in-current-env"],
            env={"COLUMNS": "200"},
        )  # fmt: skip
    finally:
        os.environ.pop("PYTHONPATH")
    assert result.exit_code == 10, result.output
    assert "NOT reproduced" in result.output and "auc" in result.output
    client = Client(Settings(home=home))
    try:
        [stored] = client.tracking.reproductions(run_id)
        assert not stored.passed and stored.model_identical is False
    finally:
        client.close()


def test_a_run_without_code_state_cannot_be_reproduced(settings: Settings) -> None:
    client = Client(settings)
    try:
        with client.start_run("x", capture_code=False) as run:
            run.log_metric("m", 1.0)
        with pytest.raises(errors.InvalidInput, match="no code state"):
            client.reproduce_run(run.id, in_current_env=True)
    finally:
        client.close()


def _closure(name: str) -> list[str]:
    """`name`'s installed requirement closure (extras included), pinned."""
    from packaging.requirements import Requirement

    pinned: dict[str, str] = {}
    stack: list[tuple[str, frozenset[str]]] = [(name, frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while stack:
        current, extras = stack.pop()
        if (current.lower(), extras) in seen:
            continue
        seen.add((current.lower(), extras))
        try:
            dist = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            continue
        pinned[dist.metadata["Name"].lower()] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            wanted = [{"extra": e} for e in (*extras, "")]
            if req.marker is None or any(req.marker.evaluate(w) for w in wanted):
                stack.append((req.name, frozenset(req.extras)))
    pinned.pop(name.lower(), None)
    return [f"{k}=={v}" for k, v in sorted(pinned.items())]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_a_run_is_reproduced_in_a_fresh_virtual_environment(tmp_path: Path) -> None:
    """The real thing once: a new venv from the run's lock (the package registry's wheels)."""
    lock = tmp_path / "requirements.lock"
    project_root = SRC.parent
    lock.write_text("\n".join([*_closure("modelward"), f"modelward @ file://{project_root}"]))
    repo = make_project(tmp_path)
    home = tmp_path / "ws"
    run_id = train(repo, home, env={capture.ENV_LOCK_FILE: str(lock)})
    client = Client(Settings(home=home))
    try:
        result = client.reproduce_run(run_id, repo=str(repo), timeout=2000)
    finally:
        client.close()
    assert result.environment == "fresh-venv"
    assert result.passed and result.model_identical is True, result.detail
