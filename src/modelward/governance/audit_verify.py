"""Verifying the audit trail's hash chain, and exporting it for auditors; pure, streaming.

Reading events and checkpoints from storage belongs to the service layer; the hashing itself
is `domain.audit`.

What the trail can prove, and what it cannot:

* Each event's hash covers its content and the previous event's hash. Editing an event
  without recomputing its hash, deleting one (a gap in `seq`), inserting one, or reordering
  events all break the chain, and `verify_chain` names the first bad `seq`.
* Someone who edits an event *and* recomputes its hash breaks the link to the next event,
  so this is detected too, except for the newest event, which has no successor.
* The hashes are plain sha256, with no secret: anyone with write access to the events table
  can rewrite the chain from some point on, consistently, or append forged events at the end.
  Checkpoints defend against that: a `Checkpoint` (seq, hash, time) of the chain head written
  periodically *outside* the events table (e.g. in the content-addressed artifact store).
  A chain that ends before a checkpoint's `seq` was truncated; a chain whose event at a
  checkpoint's `seq` has another hash was rewritten.
* Checkpoints are periodic, so changes after the last checkpoint (the newest events cut off,
  rewritten or forged) are not detected; nor is a rewrite of both the events table *and*
  every checkpoint by someone with write access to both. The trail is tamper-evident against
  anyone who cannot write where the checkpoints are kept, and only up to the last checkpoint.
* The chain proves the order and content of what was recorded, not that what was recorded
  is true, nor that every state change was recorded.
* Beyond the chain (`trail.verify_audit`): the `audit_head` row must match the chain's last
  event, so deleting the newest events without rewriting `audit_head` too is caught;
  checkpoints are also listed from the artifact store itself (refs), so deleting their index
  rows and the workspace file does not hide them, and a listed checkpoint without its index
  row is reported. Rows that are not well-formed events are reported, not crashed on.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from modelward.domain.audit import (
    GENESIS,
    AuditEvent,
    MalformedEvent,
    canonical_json,
    event_hash,
)
from modelward.errors import IntegrityViolation, InvalidInput


class Problem(enum.StrEnum):
    """The kind of tampering the first broken link looks like."""

    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"  # a row or checkpoint that is not well-formed (or not readable)


@dataclass(frozen=True)
class Finding:
    """One problem found by verification, naming the event (seq) or checkpoint (address)."""

    problem: Problem
    message: str
    seq: int | None = None
    address: str | None = None

    @property
    def summary(self) -> str:
        """A few words: the kind of problem and what it is about."""
        if self.address is not None:
            return f"checkpoint {self.address[:12]} {self.problem.value}"
        if self.seq is not None:
            return f"event {self.seq} {self.problem.value}"
        return f"audit_head {self.problem.value}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the API and `--json`."""
        return {
            "problem": self.problem.value,
            "seq": self.seq,
            "address": self.address,
            "message": self.message,
        }


@dataclass(frozen=True)
class Checkpoint:
    """The chain head at one time, stored outside the events table."""

    seq: int
    hash: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; `from_dict` reverses it."""
        return {"seq": self.seq, "hash": self.hash, "at": self.at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """Read `to_dict` output.

        Raises:
            InvalidInput: not a mapping, or a key is missing or malformed.
        """
        try:
            seq, hash_, at = data["seq"], data["hash"], datetime.fromisoformat(data["at"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"Not an audit checkpoint: {_short(data)}.") from exc
        if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(hash_, str):
            raise InvalidInput(f"Not an audit checkpoint: {_short(data)}.")
        return cls(seq, hash_, at)

    @classmethod
    def of(cls, event: AuditEvent, *, at: datetime) -> Checkpoint:
        """A checkpoint of `event` as the chain head, taken at `at`."""
        return cls(event.seq, event.hash, at)


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify_chain`: `checked` events were verified before any problem.

    `problem`, `first_bad_seq` and `message` describe the first problem; `problems` lists
    every one found (the chain's first, then the head's and the checkpoints').
    """

    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: Problem | None
    message: str
    last_seq: int | None = None  # the head of the verified chain, to write a new checkpoint
    last_hash: str | None = None
    problems: tuple[Finding, ...] = ()

    def raise_if_bad(self) -> None:
        """Raise IntegrityViolation carrying the problem and the first bad seq.

        Raises:
            IntegrityViolation: the chain is not intact.
        """
        if not self.ok:
            raise IntegrityViolation(
                self.message, problem=str(self.problem), first_bad_seq=self.first_bad_seq
            )

    def with_findings(self, findings: Sequence[Finding]) -> VerifyResult:
        """This result with more problems found outside the chain (head, checkpoints)."""
        if not findings:
            return self
        every = (*self.problems, *findings)
        if self.ok:
            first = findings[0]
            result = replace(self, ok=False, first_bad_seq=first.seq, problem=first.problem)
        else:
            result = self
        message = every[0].message
        if len(every) > 1:
            also = "; ".join(finding.summary for finding in every[1:6])
            more = f"; {len(every) - 6} more" if len(every) > 6 else ""
            message += f" Also: {also}{more} ('modelward audit verify --json' lists them)."
        return replace(result, message=message, problems=every)


def _bad(problem: Problem, seq: int, checked: int, message: str) -> VerifyResult:
    finding = Finding(problem, message, seq=seq)
    return VerifyResult(False, checked, seq, problem, message, problems=(finding,))


def verify_chain(
    events: Iterable[AuditEvent | MalformedEvent],
    *,
    checkpoints: Sequence[Checkpoint] = (),
    start: Checkpoint | None = None,
) -> VerifyResult:
    """Check the chain link by link, in one pass and constant memory.

    Args:
        events: The events in `seq` order, e.g. streamed from the store; a `MalformedEvent`
            (a row that is not a well-formed event) is reported as `malformed`.
        checkpoints: Chain heads recorded outside the events table.
        start: Verify a tail only: the events begin right after this (trusted) checkpoint.
            By default the chain starts at seq 1 after GENESIS.

    Returns:
        ok, or the first problem: `edited` (an event does not hash to its hash, or the next
        event does not link to it, or a checkpoint disagrees), `deleted` (a gap in seq),
        `inserted` (an extra event), `reordered` (seq out of order) or `truncated` (the chain
        ends before a checkpoint) or `malformed` (a row is not a well-formed event).
    """
    anchors = sorted((c for c in checkpoints if start is None or c.seq > start.seq), key=_seq)
    expected = start.seq + 1 if start else 1
    prev_hash, grand_hash = (start.hash if start else GENESIS), None
    next_anchor, checked = 0, 0
    stream = iter(events)
    for event in stream:
        if isinstance(event, MalformedEvent):
            where = event.seq if event.seq is not None else expected
            return _bad(Problem.MALFORMED, where, checked, event.message)
        problem = _link(event, expected, prev_hash, grand_hash, stream, checked)
        if problem:
            return problem
        while next_anchor < len(anchors) and anchors[next_anchor].seq == event.seq:
            problem = _against(anchors[next_anchor], event, checked)
            if problem:
                return problem
            next_anchor += 1
        checked, expected = checked + 1, expected + 1
        prev_hash, grand_hash = event.hash, prev_hash
    if next_anchor < len(anchors):
        anchor = anchors[-1]
        return _bad(
            Problem.TRUNCATED,
            expected,
            checked,
            f"The audit chain ends at event {expected - 1} but the checkpoint of"
            f" {anchor.at.isoformat()} recorded event {anchor.seq}: events from {expected}"
            " on are missing.",
        )
    last_seq = expected - 1 if checked or start else None
    message = f"Audit chain intact: {checked} event(s) verified."
    return VerifyResult(True, checked, None, None, message, last_seq, prev_hash)


def _seq(checkpoint: Checkpoint) -> int:
    return checkpoint.seq


def _against(anchor: Checkpoint, event: AuditEvent, checked: int) -> VerifyResult | None:
    if anchor.hash == event.hash:
        return None
    return _bad(
        Problem.EDITED,
        event.seq,
        checked,
        f"Audit event {event.seq} does not match the checkpoint of {anchor.at.isoformat()}:"
        " the chain up to it was rewritten.",
    )


def _link(
    event: AuditEvent,
    expected: int,
    prev_hash: str,
    grand_hash: str | None,
    rest: Iterator[AuditEvent | MalformedEvent],
    checked: int,
) -> VerifyResult | None:
    """The problem at `event`, or None; `rest` is read on only to tell a gap's cause."""
    seq = event.seq
    if seq == expected - 1:
        return _bad(Problem.INSERTED, seq, checked, f"Audit event {seq} appears twice.")
    if seq < expected:
        return _bad(
            Problem.REORDERED, seq, checked, f"Audit event {seq} comes after event {expected - 1}."
        )
    if seq > expected:
        return _gap(expected, seq, rest, checked)
    if event_hash(event) != event.hash:
        return _shifted(event, checked) or _bad(
            Problem.EDITED,
            seq,
            checked,
            f"Audit event {seq} was edited: its content does not match its hash.",
        )
    if event.prev_hash == prev_hash:
        return None
    if grand_hash is not None and event.prev_hash == grand_hash:
        return _bad(
            Problem.INSERTED,
            seq - 1,
            checked - 1,
            f"Audit event {seq - 1} was inserted: event {seq} links to the event before it.",
        )
    if checked == 0:
        return _bad(
            Problem.EDITED,
            seq,
            checked,
            f"Audit event {seq} does not link to the start of the chain: it was edited and"
            " rehashed, or the events before it were removed.",
        )
    return _bad(
        Problem.EDITED,
        seq - 1,
        checked - 1,
        f"Audit event {seq} does not link to event {seq - 1}: event {seq - 1} was edited and"
        " rehashed, or events between them were removed.",
    )


def _shifted(event: AuditEvent, checked: int) -> VerifyResult | None:
    """An event renumbered by one (its hash fits seq +-1): something was deleted or inserted."""
    seq = event.seq
    if event_hash(replace(event, seq=seq + 1)) == event.hash:
        message = f"Audit event {seq} was deleted and the events after it renumbered."
        return _bad(Problem.DELETED, seq, checked, message)
    if event_hash(replace(event, seq=seq - 1)) == event.hash:
        message = f"Audit event {seq - 1} was inserted and the events after it renumbered."
        return _bad(Problem.INSERTED, seq - 1, max(checked - 1, 0), message)
    return None


def _gap(
    expected: int, seq: int, rest: Iterator[AuditEvent | MalformedEvent], checked: int
) -> VerifyResult:
    # A missing seq that shows up later was moved, not deleted; scan on to tell (O(1) memory).
    # A row whose seq is not a number sorts last: it may be the missing one, made unreadable.
    for later in rest:
        if isinstance(later, MalformedEvent) and later.seq is None:
            return _bad(Problem.MALFORMED, expected, checked, later.message)
        if later.seq is not None and expected <= later.seq < seq:
            message = f"Audit events are out of order: event {seq} comes where {expected} belongs."
            return _bad(Problem.REORDERED, expected, checked, message)
    missing = f"{expected}" if seq == expected + 1 else f"{expected} to {seq - 1}"
    return _bad(Problem.DELETED, expected, checked, f"Audit event(s) {missing} were deleted.")


EXPORT_FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "reason",
    "prev_hash",
    "hash",
)


def event_record(event: AuditEvent) -> dict[str, Any]:
    """The event as a JSON-ready dict: the hashed content plus its hash."""
    return {**event.content(), "hash": event.hash}


def export_jsonl(events: Iterable[AuditEvent]) -> Iterator[str]:
    """One JSON line per event (ending in a newline); `read_jsonl` reads them back."""
    for event in events:
        yield canonical_json(event_record(event)) + "\n"


def export_csv_rows(events: Iterable[AuditEvent]) -> Iterator[dict[str, str]]:
    """One dict of strings per event, keyed by `EXPORT_FIELDS`; before/after as JSON."""
    for event in events:
        record = event_record(event)
        yield {name: _csv_value(name, record[name]) for name in EXPORT_FIELDS}


def _csv_value(name: str, value: object) -> str:
    if name in ("before", "after"):
        return "" if value is None else canonical_json(value)
    return str(value)


def export_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    """CSV text: the header line, then one line per event (quoted as CSV needs)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    rows = export_csv_rows(events)
    while True:
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        row = next(rows, None)
        if row is None:
            return
        writer.writerow(row)


def read_jsonl(lines: Iterable[str]) -> Iterator[AuditEvent]:
    """Events from `export_jsonl` output, so an exported file can be verified too.

    Raises:
        InvalidInput: a line is not an exported event; names the line number.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            yield AuditEvent(
                action=data["action"],
                entity_type=data["entity_type"],
                entity_id=data["entity_id"],
                actor=data["actor"],
                at=datetime.fromisoformat(data["at"]),
                before=data["before"],
                after=data["after"],
                reason=data["reason"],
                seq=int(data["seq"]),
                prev_hash=data["prev_hash"],
                hash=data["hash"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                f"Line {number} is not an exported audit event.", line=number
            ) from exc
