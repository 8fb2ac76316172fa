"""The audit trail as users act on it: verify the chain against its checkpoints, write a
checkpoint of the chain head, export the events for auditors.

Checkpoints are JSON documents {seq, hash, at} written to the content-addressed artifact
store, i.e. outside the events table; their addresses are indexed in the `audit_checkpoints`
table, by the client in a small file in the workspace, and in the artifact store itself as
refs (`refs/audit-checkpoints/<address>`), so deleting the index rows and the workspace file
does not hide a truncation (and a checkpoint without its row is reported). What this can and
cannot prove: `audit_verify`'s docstring.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence

from modelward.domain.audit import GENESIS, AuditEvent, MalformedEvent
from modelward.domain.governance import CheckpointRecord
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.errors import IntegrityViolation, InvalidInput, NotFound
from modelward.governance.audit_verify import (
    Checkpoint,
    Finding,
    Problem,
    VerifyResult,
    export_csv,
    export_jsonl,
    verify_chain,
)

EXPORT_FORMATS = ("jsonl", "csv")
CHECKPOINT_REFS = "audit-checkpoints"  # refs/audit-checkpoints/<address> in the artifact store


def _load_checkpoints(
    indexed: Sequence[CheckpointRecord],
    refs: dict[str, str],
    artifacts: ArtifactStore,
    anchors: Sequence[str],
) -> tuple[list[Checkpoint], list[Finding]]:
    """Every checkpoint known to the index, the workspace file or the store's `refs`, and the
    problems with them (missing, altered or malformed blobs, deleted or edited index rows)."""
    rows = {record.address: record for record in indexed}
    sources: dict[str, list[str]] = {}
    findings: list[Finding] = []
    for address in anchors:
        sources.setdefault(address, []).append("the workspace file")
    for address in rows:
        sources.setdefault(address, []).append("audit_checkpoints")
    for name, address in refs.items():
        sources.setdefault(address, []).append("the artifact store's refs")
        if name.rsplit("/", 1)[-1] != address:
            findings.append(
                Finding(
                    Problem.EDITED,
                    f"The artifact store ref {name} points to {_short(address)}, not to the"
                    " checkpoint it is named after: the refs were tampered with.",
                    address=address,
                )
            )
    found = []
    for address, where in sources.items():
        checkpoint = _read_checkpoint(artifacts, address, " and ".join(where), findings)
        if checkpoint is None:
            continue
        found.append(checkpoint)
        row = rows.get(address)
        if row is None:
            findings.append(
                Finding(
                    Problem.DELETED,
                    f"Audit checkpoint {address[:12]} of event {checkpoint.seq} is in"
                    f" {' and '.join(where)} but its row in audit_checkpoints was deleted.",
                    seq=checkpoint.seq,
                    address=address,
                )
            )
        elif (row.seq, row.hash) != (checkpoint.seq, checkpoint.hash):
            findings.append(
                Finding(
                    Problem.EDITED,
                    f"The audit_checkpoints row of checkpoint {address[:12]} was edited: it says"
                    f" event {row.seq}, the checkpoint itself says event {checkpoint.seq}"
                    f" (hash {checkpoint.hash[:12]}).",
                    seq=checkpoint.seq,
                    address=address,
                )
            )
    return found, findings


def _short(value: object, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_checkpoint(
    artifacts: ArtifactStore, address: str, where: str, findings: list[Finding]
) -> Checkpoint | None:
    """The checkpoint stored at `address`, or None with the problem added to `findings`."""
    label = f"Audit checkpoint {address[:12]} (recorded in {where})"
    try:
        data = artifacts.get_bytes(address)
    except NotFound:
        message = f"{label} is missing from the artifact store: it was deleted."
        findings.append(Finding(Problem.DELETED, message, address=address))
        return None
    except IntegrityViolation:
        message = (
            f"{label} was altered in the artifact store: its content no longer hashes to its"
            " address."
        )
        findings.append(Finding(Problem.EDITED, message, address=address))
        return None
    except InvalidInput:
        message = f"{_short(address)} (recorded in {where}) is not a checkpoint address."
        findings.append(Finding(Problem.MALFORMED, message, address=address))
        return None
    try:
        return Checkpoint.from_dict(json.loads(data))
    except (ValueError, InvalidInput):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        message = f"{label} is not a checkpoint (not JSON with seq, hash and at)."
        findings.append(Finding(Problem.MALFORMED, message, address=address))
        return None


class _HeadWatch:
    """Passes the event stream through, noting the hash of the event at the recorded head."""

    def __init__(self, head_seq: int | None) -> None:
        self.head_seq = head_seq
        self.hash_at_head: str | None = None

    def watch(
        self, records: Iterable[AuditEvent | MalformedEvent]
    ) -> Iterator[AuditEvent | MalformedEvent]:
        for record in records:
            if isinstance(record, AuditEvent) and record.seq == self.head_seq:
                self.hash_at_head = record.hash
            yield record


def _head_findings(
    result: VerifyResult,
    before: tuple[int, str] | None,
    after: tuple[int, str] | None,
    hash_at_head: str | None,
) -> list[Finding]:
    """Problems between the verified chain and `audit_head`, read before and after the chain.

    Appends commit the event and the head together, and the head only grows, so every event
    read lies at or below the head read afterwards, and the head read before must be in the
    chain with its hash, even while others append.
    """
    if before is None or after is None:
        message = "The audit_head row is missing or malformed: the audit table was tampered with."
        return [Finding(Problem.MALFORMED, message)]
    last = result.last_seq or 0
    last_hash = result.last_hash or GENESIS
    seq, recorded = before
    if seq > last:
        return [
            Finding(
                Problem.DELETED,
                f"audit_head records event {seq} (hash {recorded[:12]}) but the audit chain ends"
                f" at event {last} (hash {last_hash[:12]}): the newest event(s) were deleted.",
                seq=last + 1,
            )
        ]
    actual = GENESIS if seq == 0 else hash_at_head
    if actual != recorded:
        return [
            Finding(
                Problem.EDITED,
                f"audit_head records hash {recorded[:12]} for event {seq} but the chain's event"
                f" {seq} has hash {str(actual)[:12]}: the events up to it were rewritten.",
                seq=seq,
            )
        ]
    if last > after[0]:
        return [
            Finding(
                Problem.INSERTED,
                f"The audit chain runs to event {last} but audit_head records event {after[0]}:"
                f" event(s) after {after[0]} were added around the audit log.",
                seq=after[0] + 1,
            )
        ]
    return []


def verify_audit(
    uow: UnitOfWork, artifacts: ArtifactStore, *, anchors: Sequence[str] = ()
) -> VerifyResult:
    """Verify the whole chain in one streaming pass, against `audit_head` and every known
    checkpoint: indexed in the database, named in `anchors`, or listed in the artifact store.

    Tampering is reported in the result, never raised: malformed rows, a head that does not
    match the chain, missing, altered or malformed checkpoints, deleted checkpoint rows.

    Args:
        uow: A (read-only) unit of work.
        artifacts: Where the checkpoints are.
        anchors: Checkpoint addresses kept outside the database (the workspace file).

    Returns:
        The result; `result.ok` is False when tampered, `result.problems` names every event
        (seq) or checkpoint (address) found wrong, the chain's first problem first.
    """
    # Refs are written after their row commits, so listing them before the database is read
    # means every ref listed has its row visible: a missing row is tampering, not a race.
    refs = artifacts.list_refs(CHECKPOINT_REFS)
    with uow:
        head_before = uow.audit.head()
        checkpoints, findings = _load_checkpoints(
            uow.governance.list_checkpoints(), refs, artifacts, anchors
        )
        watch = _HeadWatch(head_before[0] if head_before else None)
        result = verify_chain(watch.watch(uow.audit.iter_records()), checkpoints=checkpoints)
        head_after = uow.audit.head()
    if result.ok:
        findings = _head_findings(result, head_before, head_after, watch.hash_at_head) + findings
    return result.with_findings(findings)


def write_checkpoint(
    uow: UnitOfWork,
    verify_uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    anchors: Sequence[str] = (),
) -> CheckpointRecord:
    """Verify the chain, then anchor its head: write {seq, hash, at} to the artifact store,
    index it, and record the checkpoint as an audit event.

    The verification runs in `verify_uow` (read-only) so writers are not blocked while a long
    chain is read; the checkpoint is of the head that was verified.

    Raises:
        IntegrityViolation: the chain is not intact (nothing is written).
        InvalidInput: the trail is empty.
        PermissionDenied: the actor may neither set policy nor manage roles (the people who
            answer for the trail).
    """
    actor, now = guard.actor, guard.now()
    with uow:
        guard.require(uow, Action.SET_POLICY, Action.MANAGE_ROLES, subject="audit trail")
    result = verify_audit(verify_uow, artifacts, anchors=anchors)
    result.raise_if_bad()
    if result.last_seq is None or result.last_hash is None:
        raise InvalidInput("The audit trail is empty: there is nothing to checkpoint yet.")
    checkpoint = Checkpoint(result.last_seq, result.last_hash, now)
    address = artifacts.put_bytes(json.dumps(checkpoint.to_dict(), sort_keys=True).encode())
    record = CheckpointRecord(checkpoint.seq, checkpoint.hash, now, address, actor)
    with uow:
        uow.governance.save_checkpoint(record)
        uow.audit.append(
            AuditEvent(
                "audit.checkpoint",
                "audit",
                address,
                actor,
                now,
                after={"seq": record.seq, "hash": record.hash, "address": address},
            )
        )
        uow.commit()
    # Listable without the database; written after the commit, so a ref always has its row.
    artifacts.put_ref(f"{CHECKPOINT_REFS}/{address}", address)
    return record


def list_checkpoints(uow: UnitOfWork) -> list[CheckpointRecord]:
    """The indexed checkpoints, oldest first."""
    with uow:
        return uow.governance.list_checkpoints()


def export_audit(uow: UnitOfWork, *, fmt: str = "jsonl") -> Iterator[str]:
    """Stream the trail as JSON Lines or CSV text chunks (constant memory).

    Raises:
        InvalidInput: an unknown format.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"Unknown export format {fmt!r}; use jsonl or csv.")
    return _export(uow, export_jsonl if fmt == "jsonl" else export_csv)


def _export(
    uow: UnitOfWork, writer: Callable[[Iterable[AuditEvent]], Iterator[str]]
) -> Iterator[str]:
    with uow:
        yield from writer(uow.audit.iter_events())


def recent_events(
    uow: UnitOfWork,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """The newest events (about one entity, if given), newest first."""
    with uow:
        return uow.audit.list_events(entity_type=entity_type, entity_id=entity_id, limit=limit)
