"""The model graph: declarations, cycles refused, the graph and impact around a model, the
inventory's dependents, downstream acknowledgements as a gate item, and upstream changes named
before a downstream alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.errors import (
    AlreadyExists,
    Conflict,
    InvalidInput,
    PermissionDenied,
    PolicyViolation,
)
from modelward.governance.graph import upstream_changes
from tests.governance.helpers import Clock, acting_as, register


@pytest.fixture
def graphed(settings: Settings, clock: Clock, tmp_path: Path) -> Iterator[Client]:
    """fraud-score (bob) -> credit-risk (carol) -> pricing (dave); a policy asking downstream
    owners to acknowledge."""
    policy = tmp_path / "policies.yaml"
    policy.write_text("policies:\n  severe:\n    downstream_ack_required: true\n")
    update = {"protected_aliases": "champion", "policy_file": policy}
    made = Client(settings.model_copy(update=update))
    made.backend.clock = clock  # type: ignore[attr-defined]
    register(made, "fraud-score", author="bob")
    register(made, "fraud-score", author="bob")
    register(made, "credit-risk", author="carol")
    register(made, "pricing", author="dave")
    yield made
    made.close()


def test_declare_graph_impact_and_cycles(graphed: Client) -> None:
    g = graphed.graph
    first = g.declare("credit-risk", "models:/fraud-score@champion", reason="feature")
    assert (first.model, first.upstream, first.upstream_ref, first.kind.value) == (
        "credit-risk", "fraud-score", "champion", "output",
    )  # fmt: skip
    g.declare("pricing", "models:/credit-risk/1", dataset="risk-scores-daily")
    with pytest.raises(AlreadyExists):
        g.declare("credit-risk", "models:/fraud-score@champion")
    # pricing -> fraud-score would close fraud-score -> credit-risk -> pricing -> fraud-score
    with pytest.raises(Conflict, match="fraud-score -> credit-risk -> pricing -> fraud-score"):
        g.declare("fraud-score", "models:/pricing@champion")
    with pytest.raises(InvalidInput, match="its own output"):
        g.declare("pricing", "models:/pricing/1")

    around = g.graph("credit-risk")
    assert [(n.model, n.distance) for n in around.nodes] == [
        ("fraud-score", -1), ("credit-risk", 0), ("pricing", 1),
    ]  # fmt: skip
    node = around.nodes[0]
    assert (node.risk_level, node.health, node.owner) == ("unassessed", "not_deployed", "bob")
    assert len(around.dependencies) == 2

    impact = g.impact("fraud-score")
    assert impact.models == ["credit-risk", "pricing"]
    assert impact.owners == {"credit-risk": "carol", "pricing": "dave"}
    rows = {row.model: row.dependents for row in graphed.governance.inventory()}
    assert rows == {"credit-risk": 1, "fraud-score": 1, "pricing": 0}

    removed = g.remove(first.id or 0, reason="feature dropped")
    assert removed.upstream == "fraud-score"
    assert g.impact("fraud-score").models == []
    actions = [e.action for e in graphed.governance.audit_events(limit=1000)]
    assert {"dependency.declared", "dependency.removed"} <= set(actions)


def _missing(client: Client, model: str, version: int) -> list[str]:
    with pytest.raises(PolicyViolation) as caught:
        client.registry.set_alias(model, "champion", version)
    return list(caught.value.details["missing"])  # type: ignore[arg-type]


def test_downstream_owners_must_acknowledge(graphed: Client) -> None:
    graphed.graph.declare("credit-risk", "models:/fraud-score@champion")
    graphed.graph.declare("pricing", "models:/credit-risk@champion")
    missing = _missing(graphed, "fraud-score", 2)
    assert "downstream_acknowledged" in missing
    # only the downstream model's owner may acknowledge, and it is audited
    with pytest.raises(PermissionDenied, match="belongs to carol"):
        graphed.graph.acknowledge("fraud-score", 2, downstream="credit-risk")
    with acting_as(graphed, "carol"):
        graphed.graph.acknowledge("fraud-score", 2, downstream="credit-risk", comment="ok")
    assert "downstream_acknowledged" in _missing(graphed, "fraud-score", 2)  # dave still to do
    with acting_as(graphed, "dave"):
        graphed.graph.acknowledge("fraud-score", 2, downstream="pricing")
        with pytest.raises(AlreadyExists):
            graphed.graph.acknowledge("fraud-score", 2, downstream="pricing")
    assert "downstream_acknowledged" not in _missing(graphed, "fraud-score", 2)
    assert [a.downstream for a in graphed.graph.acknowledgements("fraud-score", 2)] == [
        "credit-risk", "pricing",
    ]  # fmt: skip
    with pytest.raises(InvalidInput, match="not downstream"):
        graphed.graph.acknowledge("pricing", 1, downstream="fraud-score")
    events = graphed.governance.audit_events(limit=1000)
    assert sum(e.action == "dependency.acknowledged" for e in events) == 2


def test_upstream_changes_are_named(settings: Settings, clock: Clock) -> None:
    made = Client(settings)
    made.backend.clock = clock  # type: ignore[attr-defined]
    try:
        for name in ("fraud-score", "fraud-score", "credit-risk"):
            register(made, name)
        made.graph.declare("credit-risk", "models:/fraud-score@champion")
        made.registry.set_alias("fraud-score", "champion", 1)
        made.registry.set_alias("fraud-score", "champion", 2)
        moved = clock.now
        uow = made.backend.workspace.uow(read_only=True)  # type: ignore[attr-defined]
        with uow:
            found = upstream_changes(uow, "credit-risk", until=moved + timedelta(days=2))
            late = upstream_changes(uow, "credit-risk", until=moved + timedelta(days=30))
        assert found[0] == "fraud-score champion moved v1→v2 2 days earlier"
        assert found[1] == "fraud-score champion moved none→v1 2 days earlier"
        assert late == []  # outside the week before the alert
    finally:
        made.close()
