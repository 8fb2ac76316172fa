"""The bundle layout (written by ``modelward.deploy.package``) and serving from it without a
workspace: the deployment is fixed, and the model file is verified against its sha256."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelward.domain.deployment import Deployment, DeploymentConfig, UnseenCategories
from modelward.errors import IntegrityViolation, NotFound, PolicyViolation
from modelward.registry import flavors

BUNDLE_FILE = "bundle.json"
MODEL_FILE = "model/model.bin"
MODEL_SHA_FILE = "model/model.bin.sha256"
META_FILE = "model/meta.json"
# Environments a bundle treats as protected even when its manifest does not say so.
DEFAULT_PROTECTED_ENVIRONMENTS = frozenset({"production", "prod"})


def check_governance(manifest: dict[str, Any]) -> None:
    """A bundle for a protected environment starts only with a passed gate on record.

    The manifest names the audit event of the passed gate (`governance.gate_event_seq`);
    `modelward audit events` shows it. This stops a bundle built without the gate (an old
    bundle, or one built for another environment) from serving production by accident.

    Raises:
        PolicyViolation: a protected environment and no passed gate recorded.
    """
    environment = manifest.get("environment") or manifest.get("settings", {}).get("environment")
    governance = manifest.get("governance") or {}
    protected = bool(governance.get("protected")) or (
        str(environment or "").lower() in DEFAULT_PROTECTED_ENVIRONMENTS
    )
    if protected and not governance.get("gate_event_seq"):
        raise PolicyViolation(
            f"This bundle of {manifest.get('model')} v{manifest.get('version')} is for the"
            f" protected environment {environment!r} but records no passed governance gate;"
            " rebuild it with 'modelward package MODEL_URI -o DIR --environment"
            f" {environment}' once the version passes its gate.",
            missing=["governance_gate"],
        )


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The bundle's ``bundle.json``. Raises NotFound if `folder` is not a bundle."""
    path = Path(folder) / BUNDLE_FILE
    if not path.is_file():
        raise NotFound(
            f"{str(folder)!r} is not a modelward bundle (no {BUNDLE_FILE}); build one with"
            " 'modelward package MODEL_URI -o DIR'."
        )
    return dict(json.loads(path.read_text()))


class BundleSource:
    """`fetch` and `load` for the scoring engine over a bundle folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        check_governance(self.manifest)
        settings = self.manifest.get("settings", {})
        self.deployment = Deployment(
            name=self.manifest.get("deployment") or self.manifest["model"],
            environment=settings.get("environment", "bundle"),
            model=self.manifest["model"],
            created_by=self.manifest.get("created_by", ""),
            created_at=datetime.fromisoformat(self.manifest["created_at"]).astimezone(UTC),
            config=DeploymentConfig(champion=int(self.manifest["version"]), seq=1),
            unseen_categories=UnseenCategories(settings.get("unseen_categories", "allow")),
            allow_missing=bool(settings.get("allow_missing", False)),
            max_body_bytes=int(settings.get("max_body_bytes", 10 * 1024 * 1024)),
            explain_top=int(settings.get("explain_top", 0)),  # reasons against the input example
        )

    def fetch(self) -> Deployment:
        return self.deployment

    def load(self, model: str, version: int) -> flavors.LoadedModel:
        """The bundled model (the only version a bundle has), verified before unpickling.

        Raises:
            IntegrityViolation: the model file does not hash to the recorded sha256.
        """
        meta = json.loads((self.folder / META_FILE).read_text())
        data = (self.folder / MODEL_FILE).read_bytes()
        recorded = (self.folder / MODEL_SHA_FILE).read_text().split()[0]
        actual = hashlib.sha256(data).hexdigest()
        if actual != recorded or recorded != meta["model_sha256"]:
            raise IntegrityViolation(
                f"The bundled model file hashes to {actual[:12]}..., not the recorded"
                f" {recorded[:12]}...; refusing to load it. Rebuild the bundle."
            )
        return flavors.load(meta, data, uri=f"models:/{model}/{version}", allow_pickle=True)
