"""Validation and deployment namespaces of the client over the platform server (governance:
`http_governance.py`, monitoring: `http_monitoring.py`).

They implement the Protocols of `client/contract.py` with the same results as the local
namespaces (`client/validation.py`, `client/deploy.py`).
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from modelward import errors
from modelward.client.http import HttpBackend, _parquet, segment
from modelward.deploy.package import BundleInfo
from modelward.domain.deployment import (
    DEFAULT_MAX_BODY_BYTES,
    Deployment,
    DeploymentConfig,
    Strategy,
    UnseenCategories,
)
from modelward.domain.reports import ReportRecord
from modelward.domain.results import ValidationReport
from modelward.schemas import core, ops
from modelward.serving.batch import BatchResult
from modelward.serving.notice import Notice, NoticeSettings, Reason
from modelward.validation.config import DEFAULT_METRIC_BOUNDS, ValidationConfig
from modelward.validation.service import Validated

BUNDLE_HEADER = "x-modelward-bundle"  # as server/api/deployments.py sends them
RESULT_HEADER = "x-modelward-result"


def _config_mapping(config: ValidationConfig | Mapping[str, Any]) -> dict[str, Any]:
    """A config as the mapping `ValidationConfig.from_mapping` reads back to it."""
    if isinstance(config, Mapping):
        return dict(config)
    values = dataclasses.asdict(config)
    # from_mapping adds bounds to the defaults: a default bound the config lacks is removed
    values["metrics"] = {**dict.fromkeys(DEFAULT_METRIC_BOUNDS), **dict(config.metrics)}
    return values


def _validated(found: Any) -> Validated:
    out = core.ValidationOut.model_validate(found)
    return Validated(ValidationReport.from_dict(out.report), out.record.to_domain())


class HttpValidationClient:
    """`client.validation` over the server (data is uploaded as Parquet)."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def validate(
        self,
        model_uri: str,
        data: Any,
        *,
        target: str,
        sensitive: Sequence[str] = (),
        against: str | None = None,
        config: ValidationConfig | Mapping[str, Any] | None = None,
        custom_metrics: Mapping[str, Callable[..., float]] | None = None,
    ) -> Validated:
        """Validate a version on held-out data (uploaded as Parquet); custom metric callables
        run only in the caller's process, so they are refused here."""
        if custom_metrics:
            raise errors.InvalidInput(
                "Custom metric callables run only locally; unset MODELWARD_SERVER_URL."
            )
        form = {"model_uri": model_uri, "target": target, "sensitive": ",".join(sensitive)}
        if against:
            form["against"] = against
        if config is not None:
            form["config"] = json.dumps(_config_mapping(config), default=str)
        files = {"file": ("data.parquet", _parquet(data), "application/octet-stream")}
        return _validated(self._b.json("POST", "/validations", data=form, files=files))

    def latest(self, model: str, version: int) -> Validated:
        return _validated(
            self._b.json("GET", f"/models/{segment(model)}/versions/{segment(version)}/report")
        )

    def list(self, model: str, version: int | None = None) -> list[ReportRecord]:
        params = {"version": version} if version is not None else {}
        found = self._b.json("GET", f"/models/{segment(model)}/reports", params=params)
        return [core.ReportRecordOut.model_validate(r).to_domain() for r in found]

    def html(self, record: ReportRecord) -> str:
        path = f"/models/{segment(record.model)}/versions/{segment(record.version)}/report.html"
        return self._b.call("GET", path).text


class HttpDeploymentClient:
    """`client.deployments` over the server (configuration changes; serving stays where it runs)."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def _one(self, method: str, path: str, **kwargs: Any) -> Deployment:
        found = self._b.json(method, f"/deployments{path}", **kwargs)
        return ops.DeploymentOut.model_validate(found).to_domain()

    def create(
        self,
        name: str,
        *,
        model_uri: str,
        environment: str = "production",
        unseen_categories: UnseenCategories | str = UnseenCategories.ALLOW,
        allow_missing: bool = False,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        reason: str = "",
    ) -> Deployment:
        body = {
            "name": name,
            "model_uri": model_uri,
            "environment": environment,
            "unseen_categories": UnseenCategories(unseen_categories).value,
            "allow_missing": allow_missing,
            "max_body_bytes": max_body_bytes,
            "reason": reason,
        }
        return self._one("POST", "", json=body)

    def get(self, name: str) -> Deployment:
        return self._one("GET", f"/{segment(name)}")

    def list(self) -> builtins.list[Deployment]:
        found = self._b.json("GET", "/deployments")
        return [ops.DeploymentOut.model_validate(d).to_domain() for d in found]

    def history(self, name: str) -> builtins.list[DeploymentConfig]:
        found = self._b.json("GET", f"/deployments/{segment(name)}/history")
        return [ops.DeploymentConfigOut.model_validate(c).to_domain() for c in found]

    def set_challenger(
        self,
        name: str,
        version: int,
        *,
        strategy: Strategy | str,
        share: float = 0.0,
        ab_key: str | None = None,
        reason: str = "",
    ) -> Deployment:
        body = {
            "version": version,
            "strategy": Strategy(strategy).value,
            "share": share,
            "ab_key": ab_key,
            "reason": reason,
        }
        return self._one("PUT", f"/{segment(name)}/challenger", json=body)

    def clear_challenger(self, name: str, *, reason: str = "") -> Deployment:
        return self._one("POST", f"/{segment(name)}/challenger/clear", json={"reason": reason})

    def promote(self, name: str, *, reason: str = "") -> Deployment:
        return self._one("POST", f"/{segment(name)}/promote", json={"reason": reason})

    def rollback(self, name: str, *, reason: str = "") -> Deployment:
        return self._one("POST", f"/{segment(name)}/rollback", json={"reason": reason})

    def kill(self, name: str, *, fallback: Any = None, reason: str = "") -> Deployment:
        return self._one(
            "POST", f"/{segment(name)}/kill", json={"fallback": fallback, "reason": reason}
        )

    def revive(self, name: str, *, reason: str = "") -> Deployment:
        return self._one("POST", f"/{segment(name)}/revive", json={"reason": reason})

    def set_explanations(self, name: str, *, top: int, reason: str = "") -> Deployment:
        return self._one(
            "PUT", f"/{segment(name)}/explanations", json={"top": top, "reason": reason}
        )

    def explain(
        self,
        request_id: str,
        *,
        deployment: str | None = None,
        row: int = 0,
        settings: NoticeSettings | None = None,
    ) -> Notice:
        from modelward.client.deploy import notice_settings

        chosen = settings or notice_settings()
        body: dict[str, Any] = {"request_id": request_id, "deployment": deployment, "row": row}
        body["settings"] = dataclasses.asdict(chosen)
        found = self._b.json("POST", "/explanations", json=body)
        reasons = [Reason(**r) for r in found.pop("reasons")]
        return Notice(**found, reasons=reasons)

    def package(
        self,
        model_uri: str,
        output: str | Path,
        *,
        deployment: str | None = None,
        environment: str | None = None,
    ) -> BundleInfo:
        """The server builds the bundle (passing the gate for a protected environment) and
        streams it; it is unpacked into the folder `output` here."""
        folder = Path(output)
        if folder.exists() and any(folder.iterdir()):
            raise errors.Conflict(f"{str(folder)!r} exists and is not empty; choose a new folder.")
        body = {
            "model_uri": model_uri,
            "folder": _folder_name(folder),
            "deployment": deployment,
            "environment": environment,
        }
        with tempfile.TemporaryDirectory(prefix="mw-bundle-") as scratch:
            archive = Path(scratch) / "bundle.tar.gz"
            headers = self._b.download("POST", "/deployments/bundles", archive, json=body)
            info = json.loads(headers[BUNDLE_HEADER])
            folder.mkdir(parents=True, exist_ok=True)
            extract_bundle(archive, folder)
        return BundleInfo(
            folder,
            str(info["model"]),
            int(info["version"]),
            tuple(str(f) for f in info["files"]),
            bool(info["has_validation_report"]),
        )

    def score(
        self,
        model_uri: str,
        source: str | Path,
        output: str | Path,
        *,
        deployment: str | None = None,
        chunk_size: int = 100_000,
        engine: str = "pandas",
        scheduler: str | None = None,
        log_predictions: bool = True,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> BatchResult:
        """The file is uploaded and scored on the server (pandas, in chunks; the server loads
        only skops-stored models) and the Parquet result is written to `output` here."""
        if engine != "pandas" or scheduler is not None:
            raise errors.InvalidInput(
                "The server scores with the pandas engine; for Dask unset MODELWARD_SERVER_URL.",
                field="engine",
            )
        src = Path(source)
        if not src.exists():
            raise errors.NotFound(f"Input file {str(src)!r} does not exist.")
        if src.suffix.lower() not in (".parquet", ".csv"):
            raise errors.InvalidInput(f"Score a .parquet or .csv file, not {str(src)!r}.")
        form = {
            "model_uri": model_uri,
            "chunk_size": str(chunk_size),
            "log_predictions": "true" if log_predictions else "false",
        } | ({"deployment": deployment} if deployment else {})
        target = Path(output)
        partial = target.with_name(target.name + ".part")
        with src.open("rb") as handle:
            files = {"file": (src.name, handle, "application/octet-stream")}
            headers = self._b.download(
                "POST", "/deployments/batch-scores", partial, data=form, files=files
            )
        partial.replace(target)
        found = json.loads(headers[RESULT_HEADER])
        if on_progress is not None:
            on_progress(int(found["rows"]), int(found["rows"]))
        return BatchResult(
            int(found["rows"]),
            target,
            str(found["engine"]),
            float(found["seconds"]),
            str(found["job_id"]),
            bool(found["logged"]),
        )

    def read_predictions(self, deployment: str, start: Any = None, end: Any = None) -> Any:
        """The logged records of `deployment` (pandas DataFrame), from the server's log."""
        import pandas as pd

        params = {k: v.isoformat() for k, v in {"start": start, "end": end}.items() if v}
        with tempfile.TemporaryDirectory(prefix="mw-predictions-") as scratch:
            path = Path(scratch) / "predictions.parquet"
            self._b.download(
                "GET", f"/deployments/{segment(deployment)}/predictions", path, params=params
            )
            return pd.read_parquet(path)


def _folder_name(folder: Path) -> str:
    """The bundle folder's name as the server records it: one plain path segment."""
    name = re.sub(r"[^A-Za-z0-9._-]", "-", folder.resolve().name)[:255]
    return "bundle" if name in ("", ".", "..") else name


def extract_bundle(archive: Path, folder: Path) -> None:
    """Unpack a bundle archive into `folder`: regular files and folders only, every one inside
    `folder` (no absolute paths, no '..', no links or devices).

    Raises:
        IntegrityViolation: a member would land outside `folder` or is not a plain file.
    """
    root = folder.resolve()
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            name = PurePosixPath(member.name)
            inside = (root / member.name).resolve()
            if (
                name.is_absolute()
                or ".." in name.parts
                or not (member.isfile() or member.isdir())
                or not inside.is_relative_to(root)
            ):
                raise errors.IntegrityViolation(
                    f"The bundle from the server holds {member.name!r}, which is not a plain"
                    " file inside the bundle folder; refusing to unpack it."
                )
        for member in members:
            if member.isdir():
                (root / member.name).mkdir(parents=True, exist_ok=True)
                continue
            source = tar.extractfile(member)
            if source is None:  # pragma: no cover - a regular file always has content
                continue
            path = root / member.name
            path.parent.mkdir(parents=True, exist_ok=True)
            with source, path.open("wb") as handle:
                shutil.copyfileobj(source, handle)
            path.chmod(member.mode & 0o755 | 0o600)
