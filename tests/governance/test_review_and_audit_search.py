"""Audit search by model, actor, action and dates (SQLite and PostgreSQL); a rejection ends a
review (no pending sign-off, out of the queue) until it is asked for again; acknowledging an
alert needs a comment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from modelward.client import Client
from modelward.errors import InvalidInput, NotFound
from modelward.governance import audit_search
from modelward.governance.queue import review_queue
from tests.governance.helpers import Clock, acting_as, fill_card, register, store_report


def search(client: Client, **query: object) -> list[str]:
    found = audit_search.search_audit(client.backend.uow(read_only=True), **query)
    return [f"{e.actor}:{e.action}:{e.entity_id}" for e in found]


def test_search_by_model_reaches_versions_aliases_and_data_tags(gov: Client, clock: Clock) -> None:
    first = register(gov, "credit")
    register(gov, "other")
    gov.registry.set_alias("credit", "candidate", 1)
    run = gov.tracking.get_run(first.run_id or "")
    dataset = run.datasets[0].dataset_id
    gov.governance.tag_column(dataset, "age", personal=True, legal_basis="contract")
    with acting_as(gov, "rita"):
        gov.governance.assess("credit", likelihood=2, severity=2, rationale="internal")
    events = search(gov, model="credit")
    assert "alice:version.registered:credit/1" in events
    assert "alice:alias.set:credit@candidate" in events
    assert f"alice:data.column_tagged:{dataset}:age" in events
    assert "rita:risk.assessed:credit" in events
    assert not [e for e in events if ":other" in e]
    assert search(gov, model="credit", actor="rita") == ["rita:risk.assessed:credit"]
    assert search(gov, action="alias") == ["alice:alias.set:credit@candidate"]
    now = clock()
    assert search(gov, model="credit", until=now - timedelta(days=1)) == []
    assert len(search(gov, model="credit", since=now - timedelta(days=1))) == len(events)
    newest = audit_search.search_audit(gov.backend.uow(read_only=True), model="credit", limit=1)
    older = search(gov, model="credit", before_seq=newest[0].seq)
    assert len(older) == len(events) - 1
    with pytest.raises(NotFound):
        search(gov, model="missing")
    with pytest.raises(InvalidInput, match="before its end"):
        search(gov, since=now, until=now)


def test_a_rejection_ends_the_review_until_asked_again(gov: Client, clock: Clock) -> None:
    version = register(gov, "review")
    with acting_as(gov, "rita"):
        gov.governance.assess("review", likelihood=3, severity=3)
    store_report(gov, version)
    fill_card(gov, version)
    gov.governance.request_review("review", 1, comment="first try")

    def queued() -> list[str]:
        items = review_queue(
            gov.backend.uow(read_only=True),
            actor="val",
            policies=gov.governance.policies,
            protected=("champion",),
            now=clock(),
        )
        return [f"{i.model}:{i.comment}:{i.gate_ready}" for i in items]

    assert queued() == ["review:first try:True"]
    with acting_as(gov, "val"):
        gov.governance.reject("review", 1, role="validator", comment="calibration off")
    row = next(r for r in gov.governance.inventory() if r.model == "review")
    assert row.rejected and row.pending_sign_offs == ()
    assert queued() == []
    clock.advance(minutes=1)
    gov.governance.request_review("review", 1, comment="recalibrated")
    row = next(r for r in gov.governance.inventory() if r.model == "review")
    assert row.pending_sign_offs == ("validator",)  # the rejection is not a pending role
    assert queued() == ["review:recalibrated:True"]


def test_acknowledging_an_alert_needs_a_comment(gov: Client) -> None:
    with pytest.raises(InvalidInput, match="comment"):
        gov.monitoring.acknowledge(1, comment="  ")
