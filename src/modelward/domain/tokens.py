"""API tokens of the platform server: the entity and the pure hashing rule.

A token is shown once when issued; only its sha256 is stored, so a leaked database does not
leak credentials. Issuing and checking tokens (with the store) is `governance/tokens.py`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

TOKEN_PREFIX = "mw_"


@dataclass(frozen=True)
class ApiToken:
    """A stored token: its hash, its user, who issued it and when, and its revocation."""

    token_hash: str
    user: str
    created_at: datetime
    created_by: str
    label: str = ""
    revoked_at: datetime | None = None
    id: int | None = None


def hash_token(token: str) -> str:
    """The stored form of a token: the hex sha256 of its text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
