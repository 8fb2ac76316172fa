"""Bundles: a self-contained folder that serves one model version with no workspace.

The folder holds the model file and its sha256, the metadata and signature, pinned requirements,
the model card, the validation report (when there is one), the training data profile, a copy of
the minimal scoring runtime, a smoke test, a Dockerfile and Kubernetes manifests.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from modelward.deploy import lock, templates
from modelward.domain.audit import AuditEvent
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.registry import ModelVersion, parse_model_uri
from modelward.domain.roles import Action
from modelward.domain.tracking import Run
from modelward.errors import Conflict
from modelward.registry import card
from modelward.registry import service as registry
from modelward.serving import bundle as layout

# The scoring runtime copied into every bundle (and nothing else of modelward): it imports
# numpy, pandas, pyarrow, fastapi, uvicorn, orjson and prometheus-client only.
RUNTIME_MODULES = (
    "__init__.py",
    "_version.py",
    "errors.py",
    "domain/__init__.py",
    "domain/deployment.py",
    "domain/guardrails.py",
    "registry/__init__.py",
    "registry/flavors.py",
    "registry/signature.py",
    "serving/__init__.py",
    "serving/bundle.py",
    "serving/engine.py",
    "serving/explain.py",  # explanations (shap, when a bundle's venv has it, is optional)
    "serving/explain_methods.py",
    "serving/fastpath.py",
    "serving/guardrail_hook.py",  # guardrails (a bundle serves without specs: never attached)
    "serving/guardrails.py",
    "serving/metrics.py",
    "serving/payload.py",
    "serving/routing.py",
    "store/__init__.py",
    "store/objectstore.py",  # prediction logs to MODELWARD_PREDICTIONS_URL
    "store/predictions.py",
    "store/private.py",
    "server/__init__.py",
    "server/errors.py",
    "server/scoring.py",
)
SERVING_REQUIREMENTS = (
    "fastapi",
    "starlette",
    "uvicorn",
    "orjson",
    "prometheus-client",
    "pyarrow",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "joblib",
    "cloudpickle",
    "skops",
    "fsspec",
    "s3fs",  # prediction logs to object storage (MODELWARD_PREDICTIONS_URL); if installed
)


@dataclass(frozen=True)
class BundleInfo:
    path: Path
    model: str
    version: int
    files: tuple[str, ...]
    has_validation_report: bool


def _installed(name: str) -> str | None:
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        return None


def requirements(meta: dict[str, Any]) -> list[str]:
    """The model's recorded pins, then the serving runtime's (pinned to what runs here)."""
    pins: dict[str, str] = {}
    for line in meta.get("requirements", []):
        name, _, version = line.partition("==")
        pins[name.strip().lower()] = line.strip()
    for name in SERVING_REQUIREMENTS:
        version = _installed(name)
        if name not in pins and version is not None:
            pins[name] = f"{name}=={version}"
    return [pins[name] for name in sorted(pins)]


def _training_run(uow: UnitOfWork, version: ModelVersion) -> Run | None:
    return uow.tracking.get_run(version.run_id) if version.run_id else None


def _write(folder: Path, relative: str, data: bytes | str) -> str:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return relative


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str) + "\n"


def _copy_runtime(folder: Path) -> list[str]:
    source = Path(__file__).resolve().parent.parent  # the modelward package
    written = []
    for module in RUNTIME_MODULES:
        target = folder / "runtime" / "modelward" / module
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / module, target)
        written.append(f"runtime/modelward/{module}")
    return written


def build_bundle(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    model_uri: str,
    output: Path,
    deployment: str | None = None,
    environment: str | None = None,
) -> BundleInfo:
    """Write the bundle of the version `model_uri` points at into the folder `output`.

    The bundle's environment is `environment`, else the deployment's. For a protected
    environment the version passes the risk tier's gate first, and the manifest records the
    passed decision (its audit event and the policy hash): a bundle for a protected
    environment without it refuses to start. Every bundle built is audited.

    Raises:
        InvalidInput: not a model URI.
        NotFound: no such model, version or alias, or missing artifact bytes.
        IntegrityViolation: stored bytes do not match their recorded hash.
        Conflict: `output` exists and is not empty.
        PermissionDenied: the actor may not register (or deploy, for a protected environment).
        PolicyViolation: a protected environment, and the version does not pass the gate.
    """
    if output.exists() and any(output.iterdir()):
        raise Conflict(f"{str(output)!r} exists and is not empty; choose a new folder.")
    version, model, run, report, settings = _gather(uow, model_uri, deployment)
    target = environment or settings.get("environment")
    governance = _authorize(uow, guard, version, target, output=output)
    actor, now = guard.actor, guard.now()
    meta = registry.version_meta(artifacts, version)
    model_bytes = artifacts.get_bytes(version.artifact_sha256)
    output.mkdir(parents=True, exist_ok=True)
    files = _model_files(output, version, meta, model_bytes)
    files.append(_write(output, "model_card.md", card.render_card(model, version, run, meta)))
    files += _report_files(output, report, artifacts)
    files += _reference_files(output, run, artifacts)
    reqs = requirements(meta)
    locked, hashed = lock.lock_lines(reqs)  # every transitive package pinned (deploy/lock.py)
    files.append(_write(output, "requirements.txt", "\n".join(locked) + "\n"))
    files += _copy_runtime(output)
    manifest = {
        "format": 1,
        "model": version.model,
        "version": version.version,
        "uri": version.uri,
        "from_uri": model_uri,
        "deployment": deployment,
        "created_at": now.isoformat(),
        "created_by": actor,
        "model_sha256": version.artifact_sha256,
        "flavor": version.flavor,
        "python": meta.get("python") or platform.python_version(),
    }
    manifest |= {"requirements": reqs, "settings": settings, "validation_report": bool(report)}
    manifest |= {"environment": target, "governance": governance}
    manifest |= {"lock": {"packages": len(locked), "hashes": hashed}}
    files.append(_write(output, layout.BUNDLE_FILE, _json(manifest)))
    files += templates.write_deploy_files(output, manifest)
    return BundleInfo(output, version.model, version.version, tuple(files), report is not None)


def _authorize(
    uow: UnitOfWork, guard: Guard, version: ModelVersion, environment: str | None, *, output: Path
) -> dict[str, Any]:
    """Permission and gate for a bundle; the audit event of the build. Returns what the
    manifest records under `governance`."""
    protected = environment is not None and guard.is_protected(environment, kind="environment")
    with uow:
        gate_seq = None
        if protected:
            assert environment is not None
            gate_seq = guard.gate(uow, version, target=environment, kind="environment")
        else:
            guard.require(uow, Action.REGISTER, subject=f"{version.model}/{version.version}")
        placed = uow.audit.append(
            AuditEvent(
                "bundle.built",
                "model_version",
                f"{version.model}/{version.version}",
                guard.actor,
                guard.now(),
                after={"environment": environment, "protected": protected, "gate_event": gate_seq}
                | {"output": output.name},
            )
        )
        uow.commit()
    return {
        "protected": protected,
        "gate_event_seq": gate_seq,
        "bundle_event_seq": placed.seq,
        "policy_hash": guard.policy_hash,
    }


def _report_files(output: Path, report: Any, artifacts: ArtifactStore) -> list[str]:
    """The latest validation report (JSON, record, HTML), or nothing when there is none."""
    if report is None:
        return []
    files = [
        _write(output, "validation/report.json", artifacts.get_bytes(report.report_sha256)),
        _write(output, "validation/record.json", _json(report)),
    ]
    if report.html_sha256:
        html = artifacts.get_bytes(report.html_sha256)
        files.append(_write(output, "validation/report.html", html))
    return files


def _gather(uow: UnitOfWork, model_uri: str, deployment: str | None) -> tuple[Any, ...]:
    """In one read transaction: the version, its model, run, latest report, deployment settings."""
    with uow:
        version = registry._resolve(uow, *_uri_parts(model_uri))
        model = uow.registry.get_model(version.model)
        run = _training_run(uow, version)
        report = uow.validation.latest_report(version.model, version.version)
        return version, model, run, report, _deployment_settings(uow, deployment)


def _uri_parts(model_uri: str) -> tuple[str, int | None, str | None]:
    parsed = parse_model_uri(model_uri)
    return parsed.name, parsed.version, parsed.alias


def _deployment_settings(uow: UnitOfWork, deployment: str | None) -> dict[str, Any]:
    if deployment is None:
        return {}
    found = uow.deployments.get_deployment(deployment)
    return {
        "environment": found.environment,
        "unseen_categories": found.unseen_categories.value,
        "allow_missing": found.allow_missing,
        "max_body_bytes": found.max_body_bytes,
        "explain_top": found.explain_top,
    }


def _model_files(
    output: Path, version: ModelVersion, meta: dict[str, Any], model_bytes: bytes
) -> list[str]:
    sha = hashlib.sha256(model_bytes).hexdigest()
    return [
        _write(output, layout.MODEL_FILE, model_bytes),
        _write(output, layout.MODEL_SHA_FILE, f"{sha}  model.bin\n"),
        _write(output, layout.META_FILE, _json(meta)),
        _write(output, "signature.json", _json(version.signature)),
    ]


def _reference_files(output: Path, run: Run | None, artifacts: ArtifactStore) -> list[str]:
    datasets = list(run.datasets) if run is not None else []
    training = [d for d in datasets if d.role == "training"] or datasets
    if not training:
        return []
    chosen = training[0]
    files = [
        _write(
            output,
            "reference/profile.json",
            _json(
                {
                    "dataset": chosen.name,
                    "fingerprint": chosen.dataset_id,
                    "rows": chosen.row_count,
                    "schema": chosen.schema,
                    "profile": chosen.profile,
                }
            ),
        )
    ]
    if chosen.sample_sha256:
        sample = artifacts.get_bytes(chosen.sample_sha256)
        files.append(_write(output, "reference/sample.parquet", sample))
    return files
