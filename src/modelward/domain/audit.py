"""Audit events and their hash chain (tamper evidence); pure hashing, no storage.

Each event's hash covers its own content and the hash of the event before it, so editing,
deleting, inserting or reordering events breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
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


@dataclass(frozen=True)
class AuditQuery:
    """Which events to list: about some entities (exact ids, or id prefixes such as
    "credit-risk/" for every version), by an actor, with an action (a prefix: "signoff"
    matches "signoff.approve"), in [since, until), older than `before_seq` (paging)."""

    subjects: tuple[tuple[str, str], ...] = ()  # (entity_type, entity_id)
    prefixes: tuple[tuple[str, str], ...] = ()  # (entity_type, entity_id prefix)
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None
    limit: int = 100

    @property
    def about_entities(self) -> bool:
        """True when the query names entities (else every entity matches)."""
        return bool(self.subjects or self.prefixes)


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


@dataclass(frozen=True)
class MalformedEvent:
    """A stored audit row that is not a well-formed event: corruption or tampering.

    The audit log yields one of these, instead of failing, so verification can name the row.
    """

    seq: int | None  # the row's seq when it is an integer
    stored_seq: str  # the seq as stored (repr, shortened), for messages
    reason: str  # what is wrong, e.g. "its `before` is not JSON"

    @property
    def label(self) -> str:
        """How messages name the row: "audit event 12" or "the audit row stored with seq 'x'"."""
        if self.seq is not None:
            return f"audit event {self.seq}"
        return f"the audit row stored with seq {self.stored_seq}"

    @property
    def message(self) -> str:
        """One sentence naming the row and what is wrong with it."""
        label = self.label[0].upper() + self.label[1:]
        return f"{label} is malformed ({self.reason}): the audit table was tampered with."


def shown(value: object, *, limit: int = 40) -> str:
    """A stored value as messages show it: repr (no newlines), at most `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TEXT_FIELDS = ("action", "entity_type", "entity_id", "actor", "reason", "prev_hash", "hash")


def event_from_values(values: Mapping[str, Any]) -> AuditEvent | MalformedEvent:
    """An event from a stored row's decoded values, or what is wrong with them.

    Args:
        values: The row's columns (`seq`, `at`, the text fields, `before`, `after`) as
            decoded by the store; nothing about them is trusted.
    """
    seq = values.get("seq")
    stored = shown(seq)
    if isinstance(seq, bool) or not isinstance(seq, int):
        return MalformedEvent(None, stored, f"its seq {stored} is not an integer")

    def bad(reason: str) -> MalformedEvent:
        return MalformedEvent(seq, stored, reason)

    for name in _TEXT_FIELDS:
        if not isinstance(values.get(name), str):
            return bad(f"its {name} is {_kind(values.get(name))}, not text")
    at = values.get("at")
    if not isinstance(at, datetime):
        return bad(f"its time is {_kind(at)}, not a timestamp")
    for name in ("before", "after"):
        if values.get(name) is not None and not isinstance(values.get(name), dict):
            return bad(f"its {name} is {_kind(values.get(name))}, not a JSON object")
    return AuditEvent(
        action=values["action"],
        entity_type=values["entity_type"],
        entity_id=values["entity_id"],
        actor=values["actor"],
        at=at,
        before=values.get("before"),
        after=values.get("after"),
        reason=values["reason"],
        seq=seq,
        prev_hash=values["prev_hash"],
        hash=values["hash"],
    )


def _kind(value: object) -> str:
    return "NULL" if value is None else f"{type(value).__name__} {shown(value)}"
