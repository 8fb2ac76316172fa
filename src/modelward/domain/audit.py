"""Audit events and their hash chain (tamper evidence); pure hashing, no storage.

Each event's hash covers its own content and the hash of the event before it, so editing,
deleting, inserting or reordering events breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """One state change: who did what to which entity, with before and after."""

    action: str  # e.g. "model.created", "alias.set", "version.registered"
    entity_type: str
    entity_id: str
    actor: str
    at: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str = ""
    seq: int = 0  # assigned by the audit log on append
    prev_hash: str = GENESIS
    hash: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """The fields the hash covers, in a JSON-ready form."""
        return {
            "seq": self.seq,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, non-JSON values as strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(event: AuditEvent) -> str:
    """sha256 over the canonical JSON of the event's content (which includes prev_hash)."""
    return hashlib.sha256(canonical_json(event.content()).encode()).hexdigest()


def chained(event: AuditEvent, *, seq: int, prev_hash: str) -> AuditEvent:
    """Return `event` placed at `seq` after an event whose hash is `prev_hash`."""
    from dataclasses import replace

    placed = replace(event, seq=seq, prev_hash=prev_hash)
    return replace(placed, hash=event_hash(placed))
