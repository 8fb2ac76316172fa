"""The audit trail as users act on it: verify the chain against its checkpoints, write a
checkpoint of the chain head, export the events for auditors.

Checkpoints are JSON documents {seq, hash, at} written to the content-addressed artifact
store, i.e. outside the events table; their addresses are indexed in the `audit_checkpoints`
table and, by the client, in a small file in the workspace, so deleting the index rows alone
does not hide a truncation. What this can and cannot prove: `audit_verify`'s docstring.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from modelward.domain.audit import AuditEvent
from modelward.domain.governance import CheckpointRecord
from modelward.domain.ports import ArtifactStore, UnitOfWork
from modelward.errors import IntegrityViolation, InvalidInput, NotFound
from modelward.governance.audit_verify import (
    Checkpoint,
    VerifyResult,
    export_csv,
    export_jsonl,
    verify_chain,
)

EXPORT_FORMATS = ("jsonl", "csv")


def _load_checkpoints(
    uow: UnitOfWork, artifacts: ArtifactStore, anchors: Sequence[str]
) -> list[Checkpoint]:
    addresses = dict.fromkeys([*anchors, *(r.address for r in uow.governance.list_checkpoints())])
    found = []
    for address in addresses:
        try:
            data = json.loads(artifacts.get_bytes(address))
        except NotFound as exc:
            raise IntegrityViolation(
                f"Audit checkpoint {address[:12]} is recorded but missing from the artifact"
                " store: the checkpoints were tampered with or the store is incomplete.",
                address=address,
            ) from exc
        found.append(Checkpoint.from_dict(data))
    return found


def verify_audit(
    uow: UnitOfWork, artifacts: ArtifactStore, *, anchors: Sequence[str] = ()
) -> VerifyResult:
    """Verify the whole chain in one streaming pass, against every known checkpoint.

    Args:
        uow: A (read-only) unit of work.
        artifacts: Where the checkpoints are.
        anchors: Checkpoint addresses kept outside the database (the workspace file).

    Returns:
        The result; `result.ok` is False with the first bad event named when tampered.

    Raises:
        IntegrityViolation: a recorded checkpoint is missing or does not match its address.
    """
    with uow:
        checkpoints = _load_checkpoints(uow, artifacts, anchors)
        return verify_chain(uow.audit.iter_events(), checkpoints=checkpoints)


def write_checkpoint(
    uow: UnitOfWork,
    verify_uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    actor: str,
    now: datetime,
    anchors: Sequence[str] = (),
) -> CheckpointRecord:
    """Verify the chain, then anchor its head: write {seq, hash, at} to the artifact store,
    index it, and record the checkpoint as an audit event.

    The verification runs in `verify_uow` (read-only) so writers are not blocked while a long
    chain is read; the checkpoint is of the head that was verified.

    Raises:
        IntegrityViolation: the chain is not intact (nothing is written).
        InvalidInput: the trail is empty.
    """
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
