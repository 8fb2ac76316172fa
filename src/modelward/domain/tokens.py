"""API tokens and web sessions of the platform server: the entities and the pure rules
(hashing, expiry, when a token's last use is worth writing down).

A token is shown once when issued; only its sha256 is stored, so a leaked database does not
leak credentials. A web session is stored by the sha256 of the nonce its cookie carries, for
the same reason. Issuing, checking and revoking them (with the store) is `governance/tokens.py`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

TOKEN_PREFIX = "mw_"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365
# last_used_at is written at most this often per token: a busy client must not turn every
# request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiToken:
    """A stored token: its hash, its user, who issued it and when, its expiry and revocation."""

    token_hash: str
    user: str
    created_at: datetime
    created_by: str
    label: str = ""
    revoked_at: datetime | None = None
    id: int | None = None
    expires_at: datetime | None = None  # None: tokens issued before expiry existed (0006)
    last_used_at: datetime | None = None
    revoked_by: str | None = None

    def refusal(self, now: datetime) -> str | None:
        """Why the token may not be used at `now` (one sentence), or None when it may."""
        if self.revoked_at is not None:
            by = f" by {self.revoked_by}" if self.revoked_by else ""
            return (
                f"The API token {self.id} of {self.user} was revoked on"
                f" {self.revoked_at:%Y-%m-%d %H:%M} UTC{by}; ask an admin for a new one"
                f" ('modelward users token {self.user}')."
            )
        if self.expires_at is not None and self.expires_at <= now:
            return (
                f"The API token {self.id} of {self.user} expired on"
                f" {self.expires_at:%Y-%m-%d %H:%M} UTC; ask for a new one with"
                f" 'modelward users token {self.user}'."
            )
        return None

    def needs_touch(self, now: datetime) -> bool:
        """True when last_used_at is older than LAST_USED_RESOLUTION (or was never set)."""
        return self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION


@dataclass(frozen=True)
class WebSession:
    """A signed-in web UI session, stored by the hash of its cookie's nonce."""

    id: str  # sha256 hex of the nonce
    user: str
    created_at: datetime
    expires_at: datetime
    token_id: int | None = None  # the token the user signed in with
    revoked_at: datetime | None = None

    def alive(self, now: datetime) -> bool:
        """True when the session is neither revoked nor expired at `now`."""
        return self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True)
class RevokedUser:
    """What revoking a user's credentials ended: how many tokens and sessions."""

    user: str
    tokens: int
    sessions: int


def hash_token(token: str) -> str:
    """The stored form of a token (or a session nonce): the hex sha256 of its text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
