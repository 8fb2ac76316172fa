"""The inventory: risk, stage, validation, pending sign-offs, overdue; filters; few queries."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from modelward.client import Client
from modelward.errors import InvalidInput
from tests.governance.helpers import Clock, acting_as, fill_card, register, store_report


@pytest.fixture
def estate(gov: Client) -> Client:
    """live (low, in production), review (medium, awaiting a validator), new (unassessed)."""
    live = register(gov, "live")
    gov.governance.assess("live", likelihood=1, severity=2)
    store_report(gov, live, checks=("performance.roc_auc",))
    gov.governance.set_card_field("live", 0, "intended_use", "triage")
    gov.registry.set_alias("live", "champion", 1)
    register(gov, "live")  # v2, newer than production
    review = register(gov, "review")
    gov.governance.assess("review", likelihood=3, severity=3)
    store_report(gov, review)
    fill_card(gov, review)
    gov.governance.request_review("review", 1)
    register(gov, "new")
    return gov


def test_rows_describe_each_model(estate: Client) -> None:
    rows = {row.model: row for row in estate.governance.inventory()}
    assert list(rows) == ["live", "new", "review"]
    live, review, new = rows["live"], rows["review"], rows["new"]
    assert (live.risk_level, live.stage, live.production_version) == ("low", "in_production", 1)
    assert (live.latest_version, live.latest_stage) == (2, "registered")
    assert live.last_validation_passed is True and live.owner == "alice"
    assert (review.risk_level, review.stage) == ("medium", "validated")
    assert review.pending_sign_offs == ("validator",)
    assert (new.risk_level, new.stage, new.last_validation) == ("unassessed", "registered", None)


def test_filters(estate: Client, clock: Clock) -> None:
    names = lambda **f: [r.model for r in estate.governance.inventory(**f)]  # noqa: E731
    assert names(risk="medium") == ["review"]
    assert names(stage="in_production") == ["live"]
    assert names(pending=True) == ["review"]
    assert names(search="LI") == ["live"]
    assert names(owner="bob") == []
    assert names(overdue=True) == []
    clock.advance(days=400)  # medium assessments expire after 365 days
    assert names(overdue=True) == ["review"]
    clock.advance(days=400)  # low: the production version is due for retraining (730 days)
    rows = {r.model: r for r in estate.governance.inventory(overdue=True)}
    assert rows["live"].retraining_due and rows["live"].assessment_overdue
    with pytest.raises(InvalidInput, match="Unknown risk level"):
        estate.governance.inventory(risk="extreme")
    with pytest.raises(InvalidInput, match="Unknown stage"):
        estate.governance.inventory(stage="shipped")


def test_approved_and_retired_stages(estate: Client) -> None:
    with acting_as(estate, "bob"):
        estate.governance.approve("review", 1, role="validator")
    assert [r.model for r in estate.governance.inventory(stage="approved")] == ["review"]
    store_report(estate, estate.registry.get_version("live", 2), checks=("performance.roc_auc",))
    estate.registry.set_alias("live", "champion", 2)
    status = estate.governance.status("live", 1)
    assert status.stage.value == "retired"


def test_the_number_of_queries_does_not_grow_with_models(estate: Client) -> None:
    def count() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(estate.backend.engine, "before_cursor_execute", listener)
        try:
            estate.governance.inventory()
        finally:
            event.remove(estate.backend.engine, "before_cursor_execute", listener)
        return len(seen)

    few = count()
    for index in range(5):
        register(estate, f"more-{index}")
    # a fixed number per page: facts, findings, waivers, card owners ... never one per model
    assert count() == few <= 16


@pytest.mark.parametrize(
    ("filters", "offset", "limit"),
    [
        pytest.param({}, 0, 2, id="first-page"),
        pytest.param({}, 2, 2, id="second-page"),
        pytest.param({"search": "LI"}, 0, 10, id="search"),
        pytest.param({"owner": "alice"}, 1, 1, id="owner"),
        pytest.param({"risk": "medium"}, 0, 10, id="derived-filter"),
        pytest.param({"stage": "registered"}, 0, 1, id="derived-filter-paged"),
    ],
)
def test_a_page_equals_the_same_slice_of_the_whole_inventory(
    estate: Client, filters: dict[str, str], offset: int, limit: int
) -> None:
    from modelward.governance.inventory import inventory_page

    whole = estate.governance.inventory(**filters)
    rows, total = inventory_page(
        estate.backend.uow(read_only=True),
        policies=estate.governance.policies,
        now=estate.backend.now(),
        protected=estate.governance.protected_aliases,
        offset=offset,
        limit=limit,
        **filters,  # type: ignore[arg-type]
    )
    assert total == len(whole)
    assert [(r.model, r.stage, r.risk_level) for r in rows] == [
        (r.model, r.stage, r.risk_level) for r in whole[offset : offset + limit]
    ]
