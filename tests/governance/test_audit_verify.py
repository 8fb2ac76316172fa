"""Audit chain verification: every kind of tampering is named, and exports round-trip."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelward.domain.audit import GENESIS, AuditEvent, chained, event_hash
from modelward.errors import IntegrityViolation, InvalidInput
from modelward.governance.audit_verify import (
    EXPORT_FIELDS,
    Checkpoint,
    Problem,
    VerifyResult,
    export_csv,
    export_csv_rows,
    export_jsonl,
    read_jsonl,
    verify_chain,
)

T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)


def raw_event(number: int) -> AuditEvent:
    return AuditEvent(
        action="alias.set",
        entity_type="model",
        entity_id="churn",
        actor="dana",
        at=T0 + timedelta(minutes=number),
        before={"alias": "champion", "version": number - 1},
        after={"alias": "champion", "version": number},
        reason=f"step {number}",
    )


def rechain(events: list[AuditEvent], *, first_seq: int = 1, prev_hash: str = GENESIS):
    """Chain `events` consistently, as a writer (or a thorough attacker) would."""
    placed = []
    for offset, event in enumerate(events):
        event = chained(event, seq=first_seq + offset, prev_hash=prev_hash)
        prev_hash = event.hash
        placed.append(event)
    return placed


def build_chain(length: int) -> list[AuditEvent]:
    return rechain([raw_event(number) for number in range(1, length + 1)])


CHAIN = build_chain(20)


def head_checkpoint(events: list[AuditEvent]) -> Checkpoint:
    return Checkpoint.of(events[-1], at=T0 + timedelta(days=1))


def verify(events: list[AuditEvent], **kwargs: object) -> VerifyResult:
    return verify_chain(iter(events), **kwargs)  # type: ignore[arg-type]


def assert_problem(result: VerifyResult, problem: Problem, first_bad_seq: int) -> None:
    assert not result.ok
    assert (result.problem, result.first_bad_seq) == (problem, first_bad_seq), result.message
    assert str(first_bad_seq) in result.message


def test_a_thousand_event_chain_verifies() -> None:
    chain = build_chain(1000)

    def stream() -> Iterator[AuditEvent]:  # a one-pass stream, as the store yields it
        yield from chain

    result = verify_chain(stream(), checkpoints=[Checkpoint.of(chain[499], at=T0)])
    assert result.ok, result.message
    assert (result.checked, result.first_bad_seq, result.problem) == (1000, None, None)
    assert (result.last_seq, result.last_hash) == (1000, chain[-1].hash)
    assert result.message == "Audit chain intact: 1000 event(s) verified."
    result.raise_if_bad()


def test_an_empty_trail_is_intact() -> None:
    result = verify([])
    assert result.ok and result.checked == 0 and result.last_seq is None


def test_an_emptied_trail_is_truncated_when_a_checkpoint_exists() -> None:
    result = verify([], checkpoints=[head_checkpoint(CHAIN)])
    assert_problem(result, Problem.TRUNCATED, 1)


# --- edited ------------------------------------------------------------------------------


def test_an_edited_event_is_named() -> None:
    events = list(CHAIN)
    events[4] = replace(events[4], actor="mallory")
    result = verify(events)
    assert_problem(result, Problem.EDITED, 5)
    assert result.checked == 4


def test_an_edited_and_rehashed_event_breaks_the_next_link() -> None:
    events = list(CHAIN)
    events[4] = chained(
        replace(events[4], reason="nothing to see"), seq=5, prev_hash=events[3].hash
    )
    result = verify(events)
    assert_problem(result, Problem.EDITED, 5)
    assert "rehashed" in result.message


def test_the_newest_event_edited_and_rehashed_needs_a_checkpoint() -> None:
    events = list(CHAIN)
    original_head = head_checkpoint(events)
    events[-1] = chained(replace(events[-1], actor="mallory"), seq=20, prev_hash=events[-2].hash)
    assert verify(events).ok  # documented: no successor to break
    assert_problem(verify(events, checkpoints=[original_head]), Problem.EDITED, 20)


def test_a_consistently_rewritten_tail_is_caught_by_a_checkpoint() -> None:
    checkpoint = Checkpoint.of(CHAIN[14], at=T0)
    forged = [replace(event, actor="mallory") for event in CHAIN[9:]]
    events = CHAIN[:9] + rechain(forged, first_seq=10, prev_hash=CHAIN[8].hash)
    assert verify(events).ok  # plain sha256: anyone can recompute the chain
    result = verify(events, checkpoints=[checkpoint])
    assert_problem(result, Problem.EDITED, 15)
    assert "rewritten" in result.message


def test_a_first_event_not_linked_to_genesis() -> None:
    events = rechain([raw_event(1)], prev_hash="f" * 64) + []
    assert_problem(verify(events), Problem.EDITED, 1)


# --- deleted -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("removed", "first_bad", "text"),
    [
        pytest.param([4], 5, "Audit event(s) 5 were deleted", id="one-in-the-middle"),
        pytest.param([4, 5, 6], 5, "Audit event(s) 5 to 7 were deleted", id="several"),
        pytest.param([0], 1, "Audit event(s) 1 were deleted", id="the-first"),
    ],
)
def test_a_deleted_event_leaves_a_gap(removed: list[int], first_bad: int, text: str) -> None:
    events = [event for index, event in enumerate(CHAIN) if index not in removed]
    result = verify(events)
    assert_problem(result, Problem.DELETED, first_bad)
    assert text in result.message


def test_a_deletion_hidden_by_renumbering_is_named() -> None:
    # DELETE seq 5; UPDATE seq = seq - 1 WHERE seq > 5 (hashes not recomputed)
    events = CHAIN[:4] + [replace(event, seq=event.seq - 1) for event in CHAIN[5:]]
    assert_problem(verify(events), Problem.DELETED, 5)


def test_the_newest_events_cut_off_are_caught_by_a_checkpoint() -> None:
    checkpoint = head_checkpoint(CHAIN)
    result = verify(CHAIN[:17], checkpoints=[checkpoint])
    assert_problem(result, Problem.TRUNCATED, 18)
    assert "recorded event 20" in result.message
    assert result.checked == 17


def test_cuts_after_the_last_checkpoint_are_not_detected() -> None:
    # Documented limitation: checkpoints are periodic.
    assert verify(CHAIN[:17], checkpoints=[Checkpoint.of(CHAIN[14], at=T0)]).ok


# --- inserted ----------------------------------------------------------------------------


def forged_event(after: AuditEvent) -> AuditEvent:
    fake = replace(raw_event(99), actor="mallory", reason="backdated approval")
    return chained(fake, seq=after.seq + 1, prev_hash=after.hash)


def test_an_inserted_event_with_renumbered_successors_is_named() -> None:
    # INSERT a well-formed event at seq 5; UPDATE seq = seq + 1 for the rest (not rehashed)
    events = CHAIN[:4] + [forged_event(CHAIN[3])] + [replace(e, seq=e.seq + 1) for e in CHAIN[4:]]
    assert_problem(verify(events), Problem.INSERTED, 5)


def test_an_inserted_event_with_rehashed_successors_is_named() -> None:
    # The successors were renumbered and rehashed one by one, keeping their links.
    shifted = [chained(e, seq=e.seq + 1, prev_hash=e.prev_hash) for e in CHAIN[4:]]
    events = CHAIN[:4] + [forged_event(CHAIN[3])] + shifted
    result = verify(events)
    assert_problem(result, Problem.INSERTED, 5)
    assert result.checked == 4


def test_a_duplicated_seq_is_an_insertion() -> None:
    events = CHAIN[:5] + [replace(CHAIN[4], actor="mallory")] + CHAIN[5:]
    assert_problem(verify(events), Problem.INSERTED, 5)


# --- reordered ---------------------------------------------------------------------------


def test_swapped_neighbours_are_reordered() -> None:
    events = list(CHAIN)
    events[4], events[5] = events[5], events[4]
    result = verify(events)
    assert_problem(result, Problem.REORDERED, 5)
    assert result.checked == 4


def test_an_event_moved_to_the_end_is_reordered_not_deleted() -> None:
    events = CHAIN[:2] + CHAIN[3:] + [CHAIN[2]]
    assert_problem(verify(events), Problem.REORDERED, 3)


def test_an_event_moved_back_is_reordered() -> None:
    events = CHAIN[:10] + [CHAIN[2]] + CHAIN[10:]
    assert_problem(verify(events), Problem.REORDERED, 3)


# --- checkpoints and partial verification ------------------------------------------------


def test_a_tail_verifies_from_a_trusted_checkpoint() -> None:
    start = Checkpoint.of(CHAIN[9], at=T0)
    result = verify(CHAIN[10:], start=start, checkpoints=[head_checkpoint(CHAIN)])
    assert result.ok and result.checked == 10 and result.last_seq == 20
    assert_problem(verify(CHAIN[11:], start=start), Problem.DELETED, 11)


def test_checkpoints_round_trip_and_bad_ones_are_refused() -> None:
    checkpoint = head_checkpoint(CHAIN)
    assert Checkpoint.from_dict(checkpoint.to_dict()) == checkpoint
    with pytest.raises(InvalidInput, match="Not an audit checkpoint"):
        Checkpoint.from_dict({"seq": 3})


def test_raise_if_bad_carries_problem_and_seq() -> None:
    events = list(CHAIN)
    events[2] = replace(events[2], reason="edited")
    with pytest.raises(IntegrityViolation) as caught:
        verify(events).raise_if_bad()
    assert caught.value.details == {"problem": "edited", "first_bad_seq": 3}


# --- any single edit ---------------------------------------------------------------------

EDITS = {
    "action": st.text(min_size=1, max_size=12),
    "entity_type": st.text(max_size=12),
    "entity_id": st.text(max_size=12),
    "actor": st.text(max_size=12),
    "reason": st.text(max_size=30),
    "at": st.datetimes(timezones=st.just(UTC)),
    "before": st.none() | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    "after": st.none() | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    "prev_hash": st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    "hash": st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
}


@st.composite
def single_edits(
    draw: st.DrawFn, *, fields: tuple[str, ...] = tuple(EDITS)
) -> tuple[int, str, Any]:
    index = draw(st.integers(min_value=0, max_value=len(CHAIN) - 1))
    field = draw(st.sampled_from(sorted(fields)))
    value = draw(EDITS[field].filter(lambda new: new != getattr(CHAIN[index], field)))
    return index, field, value


@given(single_edits())
def test_any_single_edit_is_detected(edit: tuple[int, str, Any]) -> None:
    index, field, value = edit
    events = list(CHAIN)
    events[index] = replace(events[index], **{field: value})
    assert_problem(verify(events), Problem.EDITED, index + 1)


@given(single_edits(fields=tuple(field for field in EDITS if field != "hash")))
def test_any_single_edit_is_detected_even_when_rehashed(edit: tuple[int, str, Any]) -> None:
    index, field, value = edit
    events = list(CHAIN)
    edited = replace(events[index], **{field: value})
    events[index] = replace(edited, hash=event_hash(edited))
    result = verify(events, checkpoints=[head_checkpoint(CHAIN)])
    if field == "prev_hash" and index > 0:
        # Re-linking an event to a made-up predecessor looks the same, at this event, as its
        # predecessor having been edited and rehashed: the blame may fall one event early.
        assert not result.ok and result.first_bad_seq in (index, index + 1)
    else:
        assert_problem(result, Problem.EDITED, index + 1)


# --- exports -----------------------------------------------------------------------------


def test_jsonl_export_reads_back_and_verifies() -> None:
    lines = list(export_jsonl(CHAIN))
    assert len(lines) == 20 and all(line.endswith("\n") for line in lines)
    assert list(read_jsonl(lines)) == CHAIN
    assert verify(list(read_jsonl(lines))).ok


def test_a_tampered_export_is_detected() -> None:
    lines = list(export_jsonl(CHAIN))
    lines[6] = lines[6].replace('"actor":"dana"', '"actor":"mallory"')
    assert_problem(verify(list(read_jsonl(lines))), Problem.EDITED, 7)


def test_a_bad_export_line_is_named() -> None:
    lines = [*export_jsonl(CHAIN[:2]), "\n", "{not json}\n"]
    with pytest.raises(InvalidInput, match="Line 4 is not an exported audit event"):
        list(read_jsonl(lines))


def test_csv_export_has_a_header_and_one_row_per_event() -> None:
    events = [
        *CHAIN[:3],
        chained(replace(raw_event(4), before=None), seq=4, prev_hash=CHAIN[2].hash),
    ]
    text = "".join(export_csv(events))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(EXPORT_FIELDS)
    assert rows == list(export_csv_rows(events))
    assert rows[0]["seq"] == "1" and rows[0]["hash"] == CHAIN[0].hash
    assert rows[0]["before"] == '{"alias":"champion","version":0}'
    assert rows[3]["before"] == ""
    assert rows[0]["at"] == T0.replace(minute=1).isoformat()


def test_csv_export_of_nothing_is_the_header() -> None:
    assert "".join(export_csv([])) == ",".join(EXPORT_FIELDS) + "\n"
