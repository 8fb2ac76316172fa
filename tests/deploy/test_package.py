"""Bundles: contents, manifests, and serving from a fresh virtual environment (no workspace)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import venv
from pathlib import Path

import httpx
import pytest
import yaml

from modelward.client import Client
from modelward.errors import Conflict
from tests.serving.conftest import RECORD
from tests.serving.server import free_port


@pytest.fixture
def bundle(workspace: Client, tmp_path: Path) -> Path:
    info = workspace.deployments.package(
        "models:/credit-risk@champion",
        tmp_path / "dist" / "credit-risk-1",
        deployment="credit-scoring",
    )
    assert (info.model, info.version, info.has_validation_report) == ("credit-risk", 1, False)
    return info.path


def test_bundle_holds_everything_to_serve(bundle: Path) -> None:
    for name in (
        "model/model.bin",
        "model/model.bin.sha256",
        "model/meta.json",
        "signature.json",
        "requirements.txt",
        "model_card.md",
        "reference/profile.json",
        "reference/sample.parquet",
        "smoke_test.py",
        "Dockerfile",
        "README.md",
        "bundle.json",
        "runtime/modelward/server/scoring.py",
    ):
        assert (bundle / name).is_file(), name
    manifest = json.loads((bundle / "bundle.json").read_text())
    assert manifest["uri"] == "models:/credit-risk/1" and manifest["settings"]["environment"]
    requirements = (bundle / "requirements.txt").read_text().split()
    assert {r.split("==")[0] for r in requirements} >= {"scikit-learn", "fastapi", "uvicorn"}
    assert all("==" in r for r in requirements)
    assert "No validation report" in (bundle / "README.md").read_text()
    assert "# Model card: credit-risk v1" in (bundle / "model_card.md").read_text()
    profile = json.loads((bundle / "reference/profile.json").read_text())
    assert profile["rows"] == 200 and "income" in profile["profile"]["columns"]


def test_manifests_probe_health(bundle: Path) -> None:
    deployment = yaml.safe_load((bundle / "k8s/deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": 8080}
    assert container["ports"][0]["containerPort"] == 8080
    service = yaml.safe_load((bundle / "k8s/service.yaml").read_text())
    assert service["spec"]["ports"][0]["targetPort"] == 8080
    hpa = yaml.safe_load((bundle / "k8s/hpa.yaml").read_text())
    assert hpa["kind"] == "HorizontalPodAutoscaler"
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    dockerfile = (bundle / "Dockerfile").read_text()
    assert "EXPOSE 8080" in dockerfile and "pip install --no-cache-dir -r" in dockerfile
    assert "MODELWARD_BUNDLE=/app" in dockerfile


def test_packaging_into_a_non_empty_folder_is_refused(workspace: Client, bundle: Path) -> None:
    with pytest.raises(Conflict, match="not empty"):
        workspace.deployments.package("models:/credit-risk/1", bundle)


def test_a_tampered_model_file_is_refused(bundle: Path) -> None:
    from modelward.errors import IntegrityViolation
    from modelward.serving.bundle import BundleSource

    (bundle / "model/model.bin").write_bytes(b"tampered")
    with pytest.raises(IntegrityViolation, match="refusing to load"):
        BundleSource(bundle).load("credit-risk", 1)


def test_the_runtime_copy_is_closed_under_its_top_level_imports() -> None:
    import ast

    import modelward
    from modelward.deploy.package import RUNTIME_MODULES

    root = Path(modelward.__file__).parent
    for module in RUNTIME_MODULES:
        tree = ast.parse((root / module).read_text())
        for node in tree.body:  # top level only: lazy imports serve the workspace mode
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if not name.startswith("modelward."):
                    continue
                path = name.removeprefix("modelward.").replace(".", "/")
                candidates = {f"{path}.py", f"{path}/__init__.py"}
                parent_is_module = f"{path.rsplit('/', 1)[0]}.py" in RUNTIME_MODULES
                assert candidates & set(RUNTIME_MODULES) or parent_is_module, (module, name)


@pytest.mark.slow
def test_bundle_serves_from_a_fresh_venv_without_a_workspace(bundle: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(bundle / "requirements.txt")],
        check=True,
        timeout=600,
    )
    port = free_port()
    cwd = tmp_path / "elsewhere"  # no .modelward here, and no modelward installed in the venv
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    env |= {"PYTHONPATH": str(bundle / "runtime"), "MODELWARD_BUNDLE": str(bundle)}
    command = [
        str(python),
        "-m",
        "uvicorn",
        "modelward.server.scoring:create_scoring_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, cwd=cwd, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server)
        answer = httpx.post(f"{url}/predict", json=[RECORD]).json()
        assert (answer["version"], len(answer["predictions"])) == (1, 1)
        smoke = subprocess.run(
            [str(python), str(bundle / "smoke_test.py"), url], capture_output=True, text=True
        )
        assert smoke.returncode == 0, smoke.stderr
    finally:
        server.terminate()
        server.wait(30)
    assert list((bundle / "predictions").rglob("*.parquet"))  # the stop flushed the log
    assert not (cwd / ".modelward").exists()


def _wait_healthy(url: str, server: subprocess.Popen) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the bundle's server exited"
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the bundle's server did not become healthy")
