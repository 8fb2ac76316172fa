"""The files a bundle needs to run elsewhere: README, smoke test, Dockerfile and Kubernetes
manifests (Deployment with probes on /health, Service, HorizontalPodAutoscaler)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

PORT = 8080
SERVE = [
    "python", "-m", "uvicorn", "modelward.server.scoring:create_scoring_app", "--factory",
    "--host", "0.0.0.0", "--port", str(PORT),
]  # fmt: skip


def k8s_name(value: str) -> str:
    """A DNS-1123 label from a model name (lower case, digits and '-', at most 63 characters)."""
    name = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
    return (name or "model")[:63].rstrip("-")


OBJECT_STORE_SECRET = "modelward-object-store"  # AWS_* keys and MODELWARD_PREDICTIONS_URL
UID = 10001  # a non-root user of no other meaning in the image


def dockerfile(manifest: dict[str, Any]) -> str:
    """A Dockerfile that passes hadolint with no warning: exec-form HEALTHCHECK and CMD, a
    numeric non-root user, no pip cache, the full lock installed without resolving anything."""
    python = ".".join(str(manifest.get("python") or "3.11").split(".")[:2])
    cmd = json.dumps([*SERVE, "--workers", "2"])
    probe = f"import urllib.request as u; u.urlopen('http://127.0.0.1:{PORT}/health', timeout=2)"
    health = json.dumps(["python", "-c", probe])
    hashes = (manifest.get("lock") or {}).get("hashes")
    check = " --require-hashes" if hashes else ""
    return f"""# Serves {manifest["uri"]} (bundle built {manifest["created_at"]}).
FROM python:{python}-slim
WORKDIR /app
COPY requirements.txt /app/requirements.txt
# requirements.txt is a full lock: --no-deps installs exactly it, pip check proves it whole
RUN pip install --no-cache-dir -r /app/requirements.txt --no-deps{check} \\
    && pip check
COPY . /app
ENV PYTHONPATH=/app/runtime \\
    MODELWARD_BUNDLE=/app \\
    MODELWARD_PREDICTIONS_DIR=/data/predictions \\
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics
RUN mkdir -p /data/predictions /tmp/metrics && chown -R {UID}:{UID} /data /tmp/metrics
USER {UID}:{UID}
EXPOSE {PORT}
HEALTHCHECK --interval=10s --timeout=3s CMD {health}
CMD {cmd}
"""


def _container(name: str, manifest: dict[str, Any]) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/health", "port": PORT}, "timeoutSeconds": 2}
    replica = {"fieldRef": {"fieldPath": "metadata.name"}}
    return {
        "name": "scoring",
        "image": f"REGISTRY/{name}:{manifest['version']}",
        "ports": [{"name": "http", "containerPort": PORT}],
        "env": [
            {"name": "MODELWARD_REPLICA_ID", "valueFrom": replica},
            {"name": "PROMETHEUS_MULTIPROC_DIR", "value": "/tmp/metrics"},
        ],
        # the shared object store: MODELWARD_PREDICTIONS_URL (s3://bucket/predictions, the
        # one the platform's monitoring reads), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and,
        # for an S3-compatible store, AWS_ENDPOINT_URL
        "envFrom": [{"secretRef": {"name": OBJECT_STORE_SECRET}}],
        "readinessProbe": probe | {"initialDelaySeconds": 3, "periodSeconds": 5},
        "livenessProbe": probe | {"initialDelaySeconds": 15, "periodSeconds": 10},
        "resources": {
            "requests": {"cpu": "500m", "memory": "512Mi"},
            "limits": {"cpu": "2", "memory": "2Gi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        # the root filesystem is read-only: metrics files and temporary files go to /tmp
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _hpa(name: str) -> dict[str, Any]:
    cpu = {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": cpu}],
        },
    }


def k8s_manifests(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Deployment, Service and HorizontalPodAutoscaler as dicts (written as YAML)."""
    name = k8s_name(manifest.get("deployment") or manifest["model"])
    labels = {"app.kubernetes.io/name": name, "modelward/model-version": str(manifest["version"])}
    selector = {"app.kubernetes.io/name": name}
    pod = {
        "terminationGracePeriodSeconds": 30,  # uvicorn's shutdown flushes the prediction log
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "automountServiceAccountToken": False,
        "containers": [_container(name, manifest)],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels},
        "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": PORT}]},
    }
    return {"deployment.yaml": deployment, "service.yaml": service, "hpa.yaml": _hpa(name)}


def secret_example() -> dict[str, Any]:
    """The Secret the scoring pods read their object store from (fill in, then apply)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": OBJECT_STORE_SECRET},
        "type": "Opaque",
        "stringData": {
            "MODELWARD_PREDICTIONS_URL": "s3://BUCKET/predictions",
            "AWS_ACCESS_KEY_ID": "CHANGE-ME",
            "AWS_SECRET_ACCESS_KEY": "CHANGE-ME",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
    }


SMOKE_TEST = '''"""Smoke test of a served bundle: POST the recorded input example to /predict.

    python smoke_test.py [URL]        (default http://127.0.0.1:8080)

Exits 0 when /health is ready and /predict answers one prediction per example row.
"""

import json
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    url = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080").rstrip("/")
    meta = json.loads((HERE / "model" / "meta.json").read_text())
    example = meta.get("input_example")
    if not example:
        print("no input example recorded; only /health is checked")
    with urllib.request.urlopen(url + "/health", timeout=10) as response:
        health = json.loads(response.read())
    print("health:", health)
    if not example:
        return 0
    body = json.dumps({"dataframe_split": {"columns": example["columns"], "data": example["data"]}})
    request = urllib.request.Request(
        url + "/predict", body.encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert len(answer["predictions"]) == len(example["data"]), answer
    print("predict:", answer["predictions"], "version", answer["version"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


def readme(manifest: dict[str, Any], *, has_report: bool, has_profile: bool) -> str:
    report = (
        "- `validation/`: the latest validation report of this version."
        if has_report
        else "- No validation report: this version had not been validated when the bundle was"
        " built (run `modelward validate` and package again)."
    )
    profile = (
        "- `reference/`: the training data profile (and sample) for drift monitoring."
        if has_profile
        else "- No reference data profile: the training run logged no dataset."
    )
    return f"""# {manifest["model"]} v{manifest["version"]}

Bundle of `{manifest["uri"]}` built {manifest["created_at"]} by {manifest["created_by"]}.

- `model/model.bin` (sha256 in `model/model.bin.sha256`, checked before loading), `model/meta.json`,
  `signature.json`, `model_card.md`, `requirements.txt` (pinned), `bundle.json`.
{report}
{profile}
- `runtime/`: the modelward scoring runtime; no workspace or database is needed.
- `Dockerfile`, `k8s/` (Deployment with /health probes, Service, HorizontalPodAutoscaler).

Serve without Docker:

    python -m venv .venv && .venv/bin/pip install -r requirements.txt
    PYTHONPATH=runtime MODELWARD_BUNDLE=. .venv/bin/{" ".join(SERVE)}
    .venv/bin/python smoke_test.py http://127.0.0.1:{PORT}

Predictions are logged as Parquet to `$MODELWARD_PREDICTIONS_URL` (object storage, e.g.
`s3://bucket/predictions`: set it to the platform's, so `modelward monitor run` reads them),
else under `$MODELWARD_PREDICTIONS_DIR` (default `predictions/`). In Kubernetes the Secret
`{OBJECT_STORE_SECRET}` holds that URL and the `AWS_*` credentials (`k8s/secret.example.yaml`).
"""


def write_deploy_files(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Write README.md, smoke_test.py, Dockerfile and k8s/*.yaml; return their paths."""
    written = []
    (folder / "k8s").mkdir(exist_ok=True)
    for file_name, document in k8s_manifests(manifest).items():
        (folder / "k8s" / file_name).write_text(yaml.safe_dump(document, sort_keys=False))
        written.append(f"k8s/{file_name}")
    example = yaml.safe_dump(secret_example(), sort_keys=False)
    (folder / "k8s" / "secret.example.yaml").write_text(example)
    written.append("k8s/secret.example.yaml")
    (folder / "Dockerfile").write_text(dockerfile(manifest))
    (folder / "smoke_test.py").write_text(SMOKE_TEST)
    has_profile = (folder / "reference" / "profile.json").exists()
    text = readme(manifest, has_report=bool(manifest["validation_report"]), has_profile=has_profile)
    (folder / "README.md").write_text(text)
    (folder / ".dockerignore").write_text("predictions/\n.venv/\n")
    return [*written, "Dockerfile", "smoke_test.py", "README.md", ".dockerignore"]
