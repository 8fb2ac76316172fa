"""Audit verify against real tampering (SQL UPDATE / DELETE / INSERT), checkpoints, export."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text

from modelward.client import Client
from modelward.domain.audit import AuditEvent, chained
from modelward.errors import IntegrityViolation
from modelward.governance.audit_verify import Problem, read_jsonl, verify_chain
from modelward.store.sql.tables import audit_events
from tests.governance.helpers import register


@pytest.fixture
def trail(gov: Client) -> Client:
    """Eight events: a model, three versions, four assessments."""
    for _ in range(3):
        register(gov)
    for likelihood in (1, 2, 3, 4):
        gov.governance.assess("credit-risk", likelihood=likelihood, severity=2)
    return gov


def sql(client: Client, statement: str, **params: object) -> None:
    with client.backend.engine.begin() as conn:
        conn.execute(text(statement), params)


def events(client: Client) -> list[AuditEvent]:
    uow = client.backend.uow(read_only=True)
    with uow:
        return list(uow.audit.iter_events())


def _insert(client: Client, event: AuditEvent) -> None:
    """A forged row, written with plain SQL (no audit log API)."""
    row = {**event.content(), "at": event.at, "hash": event.hash}
    with client.backend.engine.begin() as conn:
        conn.execute(insert(audit_events).values(**row))


def test_an_untouched_trail_verifies(trail: Client) -> None:
    result = trail.governance.verify_audit()
    assert result.ok and result.checked == len(events(trail)) == 8


def test_edited_event(trail: Client) -> None:
    sql(trail, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 4")
    result = trail.governance.verify_audit()
    assert (result.ok, result.problem, result.first_bad_seq) == (False, Problem.EDITED, 4)
    with pytest.raises(IntegrityViolation, match="Audit event 4 was edited"):
        result.raise_if_bad()


def test_deleted_event(trail: Client) -> None:
    sql(trail, "DELETE FROM audit_events WHERE seq = 5")
    result = trail.governance.verify_audit()
    assert (result.problem, result.first_bad_seq) == (Problem.DELETED, 5)


def test_inserted_event_with_renumbering(trail: Client) -> None:
    before = events(trail)
    sql(trail, "UPDATE audit_events SET seq = seq + 1000 WHERE seq > 3")
    sql(trail, "UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000")
    forged = AuditEvent(
        "alias.set", "alias", "credit-risk@champion", "mallory", datetime(2026, 6, 1, tzinfo=UTC)
    )
    _insert(trail, chained(forged, seq=4, prev_hash=before[2].hash))
    result = trail.governance.verify_audit()
    assert (result.problem, result.first_bad_seq) == (Problem.INSERTED, 4)


def test_reordered_events(trail: Client) -> None:
    sql(trail, "UPDATE audit_events SET seq = -1 WHERE seq = 6")
    sql(trail, "UPDATE audit_events SET seq = 6 WHERE seq = 7")
    sql(trail, "UPDATE audit_events SET seq = 7 WHERE seq = -1")
    result = trail.governance.verify_audit()
    assert not result.ok and result.first_bad_seq == 6


def test_truncation_is_caught_by_a_checkpoint(trail: Client) -> None:
    record = trail.governance.checkpoint_audit()
    assert record.seq == len(events(trail)) - 1  # the checkpoint event itself follows it
    sql(trail, "DELETE FROM audit_events WHERE seq >= :seq", seq=record.seq - 2)
    sql(trail, "UPDATE audit_head SET seq = :seq", seq=record.seq - 3)
    result = trail.governance.verify_audit()
    assert (result.problem, result.first_bad_seq) == (Problem.TRUNCATED, record.seq - 2)
    # hiding the index rows does not help: the workspace file still names the checkpoint
    sql(trail, "DELETE FROM audit_checkpoints")
    assert trail.governance.verify_audit().problem == Problem.TRUNCATED


def test_a_consistent_rewrite_is_caught_by_a_checkpoint(trail: Client) -> None:
    record = trail.governance.checkpoint_audit()
    original = events(trail)
    sql(trail, "DELETE FROM audit_events WHERE seq >= 3")
    prev = original[1].hash
    for event in original[2:]:
        forged = chained(replace(event, actor="mallory"), seq=event.seq, prev_hash=prev)
        _insert(trail, forged)
        prev = forged.hash
    result = trail.governance.verify_audit()
    assert (result.problem, result.first_bad_seq) == (Problem.EDITED, record.seq)


def test_a_missing_checkpoint_blob_is_reported(trail: Client) -> None:
    record = trail.governance.checkpoint_audit()
    trail.backend.artifacts._local_path(record.address).unlink()
    result = trail.governance.verify_audit()
    assert (result.ok, result.problem) == (False, Problem.DELETED)
    assert "missing from the artifact store" in result.message
    assert [p.address for p in result.problems] == [record.address]
    with pytest.raises(IntegrityViolation, match="missing from the artifact store"):
        result.raise_if_bad()


def test_checkpoint_refuses_a_broken_chain(trail: Client) -> None:
    sql(trail, "DELETE FROM audit_events WHERE seq = 2")
    with pytest.raises(IntegrityViolation, match="deleted"):
        trail.governance.checkpoint_audit()
    assert trail.governance.checkpoints() == []


def test_export_round_trips(trail: Client) -> None:
    stored = events(trail)
    lines = "".join(trail.governance.export_audit("jsonl")).splitlines(keepends=True)
    assert list(read_jsonl(lines)) == stored
    assert verify_chain(read_jsonl(lines)).ok
    rows = list(csv.DictReader(io.StringIO("".join(trail.governance.export_audit("csv")))))
    assert [int(r["seq"]) for r in rows] == [e.seq for e in stored]
    assert [r["hash"] for r in rows] == [e.hash for e in stored]
    assert json.loads(rows[-1]["after"]) == stored[-1].after
