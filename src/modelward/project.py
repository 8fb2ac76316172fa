"""The optional project file, ``modelward.yaml``: task, target, features, sensitive attributes,
validation thresholds, policy, monitoring and the training entry point of one model project.

Everything it holds can also be given on the command line or in Python; this module only
reads and checks the file. Example::

    model: credit-risk            # registered model name
    target: default
    sensitive: [gender, age_band]
    validation:
      metrics: {min_roc_auc: 0.75}
      max_demographic_parity_difference: 0.05
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from modelward.errors import InvalidInput

FILE_NAME = "modelward.yaml"
KNOWN_KEYS = {
    "model",
    "task",
    "target",
    "features",
    "sensitive",
    "validation",
    "policy_file",
    "risk",
    "monitoring",
    "train",
    "deployment",
    "drift",
    "explain",  # reason codes of decision notices (modelward.serving.notice)
}


@dataclass(frozen=True)
class Project:
    """The parsed project file (empty when there is none)."""

    path: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name) or {}
        if not isinstance(value, dict):
            raise InvalidInput(f"{self.path}: '{name}' must be a mapping of settings.")
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def sensitive(self) -> list[str]:
        value = self.data.get("sensitive") or []
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"{self.path}: 'sensitive' must be a list of column names.")
        return value


def load_project(path: str | Path | None = None) -> Project:
    """Read `path`, or ./modelward.yaml when it exists; an empty Project otherwise.

    Raises:
        InvalidInput: the file is missing (when named), not YAML (file and line named), not a
            mapping, or has an unknown top-level key.
    """
    if path is None:
        candidate = Path.cwd() / FILE_NAME
        if not candidate.exists():
            return Project()
        path = candidate
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"Project file {str(path)!r} does not exist.")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InvalidInput(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})."
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{path}: the file must be a mapping of settings, e.g. 'target: default'."
        )
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise InvalidInput(
            f"{path}: unknown key(s) {', '.join(map(repr, unknown))}; known keys are"
            f" {', '.join(sorted(KNOWN_KEYS))}."
        )
    return Project(path, data)
