"""Reproducing a run where its code is: rebuild the code (commit + patch), the environment (a
fresh virtual environment from the run's lock, or the current one) and the data (the stored
snapshots), re-run the entry point into a throw-away workspace, and compare.

What a run stores for this (written by `record_code_state` when it starts, and by
``run.log_dataset(..., snapshot=True)``):

- ``modelward/code.json``: commit, entry point and working folder relative to the git root,
  arguments; ``modelward/code.patch``: uncommitted changes and untracked files;
- ``modelward/requirements.lock``: ``name==version`` of every installed package;
- ``modelward/data/NAME.EXT``: a data set, whole (the file's own bytes, or Parquet).

On reproduction a data set logged from a relative path is put back at that path in the
rebuilt tree; any other is written to ``$MODELWARD_REPRODUCE_DATA/NAME.EXT`` and
`dataset_path` returns it (``modelward.dataset_path(name, default)`` in a script).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelward.domain.privacy import Reproduction
from modelward.errors import InvalidInput, NotFound
from modelward.tracking import capture
from modelward.tracking.reproduction import DEFAULT_TOLERANCE, compare_metrics

if TYPE_CHECKING:
    from modelward.client import Client
    from modelward.domain.tracking import Run

REPRODUCE_DATA = "MODELWARD_REPRODUCE_DATA"
_DROP_ENV = ("SERVER_URL", "TOKEN", "DB_URL", "ARTIFACT_URL", "PREDICTIONS_DIR", "POLICY_FILE")


def record_code_state(client: Client, run_id: str) -> None:
    """Store the running script's code state and environment lock with run `run_id`."""
    client.tracking.log_artifact(run_id, capture.ENV_LOCK, capture.environment_lock().encode())
    state = capture.code_state()
    if state is None:
        return
    meta, patch = state
    client.tracking.log_artifact(run_id, capture.CODE_PATCH, patch)
    client.tracking.log_artifact(
        run_id, capture.CODE_STATE, json.dumps(meta, sort_keys=True).encode()
    )


def snapshot_bytes(data: Any) -> tuple[bytes, str]:
    """The whole data set as stored: a file's own bytes (and its extension), else Parquet."""
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        return path.read_bytes(), path.suffix.lower() or ".bin"
    from modelward.stats import profile

    buffer = io.BytesIO()
    profile.to_arrow(data).to_pandas().to_parquet(buffer, index=False)
    return buffer.getvalue(), ".parquet"


def dataset_path(name: str, default: str | os.PathLike[str]) -> Path:
    """Where a script reads data set `name`: the restored snapshot during a reproduction
    (when it was logged from a path outside the code tree, or from a DataFrame), else
    `default`."""
    folder = os.environ.get(REPRODUCE_DATA)
    if folder:
        found = sorted(Path(folder).glob(f"{name}.*"))
        if found:
            return found[0]
    return Path(default)


@dataclass
class _Plan:
    run: Run
    state: dict[str, Any]
    patch: bytes
    lock: str
    snapshots: dict[str, bytes]  # artifact path -> bytes


def _plan(client: Client, run_id: str) -> _Plan:
    run = client.tracking.get_run(run_id)
    paths = {a.path for a in run.artifacts}
    if capture.CODE_STATE not in paths:
        raise InvalidInput(
            f"Run {run_id!r} recorded no code state (it did not run from a git work tree, or"
            " predates reproducibility); it cannot be rebuilt."
        )
    state = json.loads(client.tracking.read_artifact(run_id, capture.CODE_STATE))
    if not state.get("entry_point"):
        raise InvalidInput(f"Run {run_id!r} recorded no entry point inside its git tree.")
    read = client.tracking.read_artifact
    return _Plan(
        run,
        state,
        read(run_id, capture.CODE_PATCH) if capture.CODE_PATCH in paths else b"",
        read(run_id, capture.ENV_LOCK).decode() if capture.ENV_LOCK in paths else "",
        {p: read(run_id, p) for p in sorted(paths) if p.startswith(capture.DATA_PREFIX)},
    )


def _checkout(repo: Path, plan: _Plan, tree: Path) -> None:
    commit = str(plan.state["commit"])
    done = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=repo, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise NotFound(
            f"Commit {commit[:12]} is not in the git repository at {str(repo)!r}; run from a"
            " clone that has it, or pass --repo PATH."
        )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(tree, filter="data")
    if plan.patch:
        (tree.parent / "code.patch").write_bytes(plan.patch)
        applied = subprocess.run(
            ["git", "apply", "--binary", "--whitespace=nowarn", str(tree.parent / "code.patch")],
            cwd=tree, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if applied.returncode != 0:
            raise InvalidInput(f"The run's patch does not apply: {applied.stderr.strip()[:300]}")


def _restore_data(plan: _Plan, tree: Path, data_dir: Path) -> None:
    sources = {d.name: d.source for d in plan.run.datasets}
    workdir = (tree / str(plan.state.get("cwd", "."))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    for path, data in plan.snapshots.items():
        file_name = path.removeprefix(capture.DATA_PREFIX)
        name = file_name.rsplit(".", 1)[0]
        (data_dir / file_name).write_bytes(data)
        source = sources.get(name)
        if source and not Path(source).is_absolute():
            target = (workdir / source).resolve()
            if target.is_relative_to(tree.resolve()):  # never write outside the rebuilt tree
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)


def _lock_lines(lock: str) -> list[str]:
    """Requirement lines to install (comments dropped; local folders that are gone too)."""
    lines = []
    for line in lock.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if " @ file://" in line and not Path(line.split("file://", 1)[1]).exists():
            continue
        lines.append(line)
    return lines


def _fresh_venv(root: Path, lock: str, timeout: float) -> Path:
    """A new virtual environment with the run's locked packages; returns its python."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=timeout)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    requirements = root / "requirements.txt"
    requirements.write_text("\n".join(_lock_lines(lock)) + "\n")
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-compile", "--no-input",
         "--disable-pip-version-check", "-r", str(requirements)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise InvalidInput(
            "Rebuilding the run's environment failed (pip): "
            + (done.stderr.strip().splitlines() or ["no message"])[-1][:300]
        )
    return python


def _rerun(
    plan: _Plan, python: str, tree: Path, home: Path, data: Path, *, fresh: bool, timeout: float
) -> None:
    env = {k: v for k, v in os.environ.items() if k.removeprefix("MODELWARD_") not in _DROP_ENV}
    if fresh:  # the rebuilt environment alone: nothing from this one's import path
        env.pop("PYTHONPATH", None)
    env |= {"MODELWARD_HOME": str(home), REPRODUCE_DATA: str(data), "MODELWARD_USER": "reproducer"}
    workdir = tree / str(plan.state.get("cwd", "."))
    command = [python, str(tree / plan.state["entry_point"]), *plan.state.get("args", [])]
    done = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise InvalidInput(f"The re-run of {plan.state['entry_point']} failed: {tail[:300]}")


def _model_hashes(read: Any, run: Run) -> dict[str, str]:
    found = {}
    for artifact in run.artifacts:
        if artifact.kind == "model":
            found[artifact.path] = str(json.loads(read(run.id, artifact.path))["model_sha256"])
    return found


def _compare(client: Client, plan: _Plan, home: Path, tolerance: float) -> dict[str, Any]:
    from modelward.client import Client as LocalClient
    from modelward.config import Settings

    other = LocalClient(Settings(home=home, user="reproducer"))
    try:
        runs = other.tracking.search_runs(order_by=["attributes.start_time DESC"], limit=50)
        same = [r for r in runs if r.name == plan.run.name] or runs
        if not same:
            raise InvalidInput("The re-run logged no run; does the entry point call start_run?")
        again = other.tracking.get_run(same[0].id)  # with its artifacts
        match, diffs = compare_metrics(plan.run.metrics, again.metrics, tolerance=tolerance)
        before = _model_hashes(client.tracking.read_artifact, plan.run)
        after = _model_hashes(other.tracking.read_artifact, again)
    finally:
        other.close()
    identical = None if not before else before == after
    return {"run": again.id, "match": match, "diffs": diffs, "identical": identical}


def reproduce(
    client: Client,
    run_id: str,
    *,
    repo: str | os.PathLike[str] | None = None,
    in_current_env: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    timeout: float = 1800.0,
    keep: str | os.PathLike[str] | None = None,
) -> Reproduction:
    """Rebuild run `run_id` and re-run it; store and return how it compared.

    Raises:
        InvalidInput: the run cannot be rebuilt (no code state, a patch that does not apply,
            a failing environment or re-run).
        NotFound: no such run, or its commit is not in `repo`.
        PermissionDenied: the actor may not validate (storing the result).
    """
    plan = _plan(client, run_id)
    with tempfile.TemporaryDirectory(prefix="modelward-reproduce-", dir=keep) as folder:
        root = Path(folder)
        tree, home, data = root / "src", root / "workspace", root / "data"
        tree.mkdir()
        _checkout(Path(repo or Path.cwd()), plan, tree)
        _restore_data(plan, tree, data)
        python = sys.executable if in_current_env else str(
            _fresh_venv(root, plan.lock, timeout)
        )  # fmt: skip
        try:
            _rerun(plan, python, tree, home, data, fresh=not in_current_env, timeout=timeout)
            found = _compare(client, plan, home, tolerance)
        except subprocess.TimeoutExpired as exc:
            raise InvalidInput(f"The re-run took longer than {timeout:g} s.") from exc
    result = _result(client, plan, found, tolerance, in_current_env)
    return client.tracking.record_reproduction(result)


def _result(
    client: Client, plan: _Plan, found: dict[str, Any], tolerance: float, current: bool
) -> Reproduction:
    problems = [k for k, (a, b) in found["diffs"].items() if a != b]
    detail = "metrics and model bytes identical"
    if not found["match"]:
        detail = f"metrics differ beyond {tolerance:g}: {', '.join(problems)}"
    elif found["identical"] is False:
        detail = "metrics match but the model bytes differ"
    elif problems:
        detail = f"metrics within {tolerance:g} ({', '.join(problems)} not bit-identical)"
    return Reproduction(
        run_id=plan.run.id,
        reproduced_run_id=found["run"],
        metrics_match=found["match"],
        model_identical=found["identical"],
        metric_diffs=found["diffs"],
        tolerance=tolerance,
        environment="current" if current else "fresh-venv",
        actor=client.actor,
        created_at=client.backend.now(),
        detail=detail,
    )
