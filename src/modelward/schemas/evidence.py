"""Wire models of findings and waivers (requests only: answers are the domain dataclasses,
dumped by `schemas.domain`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field


class FindingIn(BaseModel):
    title: str = Field(min_length=1, max_length=512)
    severity: str = Field(min_length=1, max_length=16)
    owner: str = Field(min_length=1, max_length=256)
    due: AwareDatetime
    detail: str = Field(default="", max_length=20_000)


class FindingUpdateIn(BaseModel):
    status: str | None = Field(default=None, max_length=16)
    severity: str | None = Field(default=None, max_length=16)
    owner: str | None = Field(default=None, min_length=1, max_length=256)
    due: AwareDatetime | None = None
    resolution: str = Field(default="", max_length=20_000)


class WaiverIn(BaseModel):
    item: str = Field(min_length=1, max_length=256)
    reason: str = Field(min_length=1, max_length=10_000)
    approver_role: str = Field(min_length=1, max_length=64)
    expires: AwareDatetime


class WaiverApproveIn(BaseModel):
    comment: str = Field(default="", max_length=10_000)


class WaiverRevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=10_000)


def iso(value: datetime | None) -> str | None:
    """A datetime as the wire sends it."""
    return value.isoformat() if value is not None else None
