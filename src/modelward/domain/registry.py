"""Registered models, numbered versions, aliases and model URIs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelward.domain.names import check_alias, check_name, check_version
from modelward.errors import InvalidInput


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    created_at: datetime
    owner: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_version: int | None = None


@dataclass(frozen=True)
class ModelVersion:
    model: str
    version: int
    run_id: str | None
    artifact_sha256: str  # the model file's hash
    meta_sha256: str  # the model description (flavor, signature, environment) hash
    flavor: str
    signature: dict[str, Any]
    created_by: str
    created_at: datetime
    description: str = ""
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"models:/{self.model}/{self.version}"


@dataclass(frozen=True)
class AliasEvent:
    """One move of an alias: `version` None means the alias was deleted."""

    model: str
    alias: str
    version: int | None
    previous_version: int | None
    at: datetime
    actor: str


@dataclass(frozen=True)
class ModelUri:
    """`models:/NAME/3`, `models:/NAME@alias` or `models:/NAME/latest`."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.alias:
            return f"models:/{self.name}@{self.alias}"
        return f"models:/{self.name}/{self.version if self.version else 'latest'}"


_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>[^/@]+)|@(?P<alias>[^/@]+))$")


def parse_model_uri(uri: str) -> ModelUri:
    """Parse a model URI, or raise InvalidInput saying which forms are accepted."""
    match = _URI.match(uri.strip()) if isinstance(uri, str) else None
    if not match:
        raise InvalidInput(
            f"{uri!r} is not a model URI; use models:/NAME/VERSION, models:/NAME@ALIAS or"
            " models:/NAME/latest."
        )
    name = check_name(match["name"], what="model")
    if match["alias"]:
        alias = match["alias"]
        if alias.lower() == "latest":
            return ModelUri(name)
        return ModelUri(name, alias=check_alias(alias))
    if match["version"].lower() == "latest":
        return ModelUri(name)
    return ModelUri(name, version=check_version(match["version"]))
