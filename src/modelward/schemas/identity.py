"""Wire models of identity: API tokens (issue, list, revoke) and user revocation. Shapes only;
the rules are in `governance/tokens.py`. A token's secret appears only in `TokenOut`, once."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from modelward.domain.tokens import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, ApiToken, RevokedUser

_FROM = ConfigDict(from_attributes=True, populate_by_name=True)


class TokenIn(BaseModel):
    user: str = Field(min_length=1, max_length=256)
    label: str = Field(default="", max_length=256)
    expires_days: int = Field(default=DEFAULT_TOKEN_DAYS, ge=1, le=MAX_TOKEN_DAYS)


class TokenOut(BaseModel):
    id: int
    user: str
    token: str  # shown once
    expires_at: datetime | None = None


class TokenInfoOut(BaseModel):
    """A token's record, never its secret nor its hash."""

    model_config = _FROM
    id: int
    user: str
    label: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def to_domain(self) -> ApiToken:
        # the hash stays on the server: a client's record carries none
        return ApiToken("", **self.model_dump())


class RevokedUserOut(BaseModel):
    model_config = _FROM
    user: str
    tokens: int
    sessions: int

    def to_domain(self) -> RevokedUser:
        return RevokedUser(**self.model_dump())
