"""Wire models of the model graph and of deployments' guardrails (requests; answers are the
domain dataclasses as JSON, read back by `from_wire` in `client/http_graph.py`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class DependencyIn(BaseModel):
    model: str = Field(max_length=256)
    upstream_uri: str = Field(max_length=600)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    deployment: str | None = Field(default=None, max_length=256)
    dataset: str | None = Field(default=None, max_length=256)
    reason: str = Field(default="", max_length=10_000)


class AcknowledgeIn(BaseModel):
    upstream: str = Field(max_length=256)
    version: int = Field(ge=1, le=2**31 - 1)
    downstream: str = Field(max_length=256)
    comment: str = Field(default="", max_length=10_000)


class GuardrailsIn(BaseModel):
    spec: dict[str, Any]
    reason: str = Field(default="", max_length=10_000)
