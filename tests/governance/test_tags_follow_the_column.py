"""Personal-data tags follow the column: a version retrained on new data (a new fingerprint,
the same columns) keeps the tags its model's earlier data carried, in the gate, the
personal-data inventory and the prediction log's pseudonyms; an explicit untag on the new data
overrides them and is audited. Legal bases are the closed list of GDPR Art. 6(1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest

from modelward import errors
from modelward.client import Client
from modelward.config import Settings
from modelward.domain.privacy import pseudonym
from modelward.governance import data
from modelward.store.predictions import write_entries
from tests.governance.test_data_protection import (
    DEPLOYMENT,
    FEATURES,
    NOW,
    _entries,
    _model,
    customers,
)

ALLOWED = "consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests"


class World:
    """`loan-model` v1 trained on one data set, its columns tagged, deployed as `loans`."""

    def __init__(self, settings: Settings) -> None:
        self.client = Client(settings)
        self.now = NOW
        self.client.backend.clock = lambda: self.now  # type: ignore[attr-defined]
        self.datasets: dict[int, str] = {}

    def tick(self) -> None:
        self.now += timedelta(minutes=1)  # tags are ordered by time: the newest wins

    def train(self, seed: int) -> tuple[int, Any]:
        """A new version on new data (a new fingerprint, the same columns)."""
        frame = customers(400, seed=seed)
        model = _model(frame)
        with self.client.start_run("loans", capture_code=False) as run:
            ref = run.log_dataset(frame, name="train", role="training")
            run.log_model(model, "model", input_example=frame[FEATURES].head(5))
        version = self.client.registry.register(run.id, name="loan-model").version
        self.datasets[version] = ref.dataset_id
        return version, model

    def personal(self, version: int) -> dict[str, tuple[str | None, str | None]]:
        """Column -> (legal basis, dataset it was inherited from) of a version's data."""
        uow = self.client.backend.uow(read_only=True)  # type: ignore[attr-defined]
        with uow:
            uses = uow.governance.personal_data_uses("loan-model", version)
        return {u.column: (u.legal_basis, u.inherited_from) for u in uses}


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    made = World(settings)
    made.train(seed=0)
    for column in ("customer_id", "region"):
        made.client.governance.tag_column(
            made.datasets[1], column, personal=True, legal_basis="contract", note="loan contract"
        )
    made.tick()
    made.client.registry.set_alias("loan-model", "champion", 1)
    made.client.deployments.create(DEPLOYMENT, model_uri="models:/loan-model@champion")
    yield made
    made.client.close()


def test_a_retrained_version_keeps_the_tags_of_its_columns(world: World) -> None:
    client = world.client
    v2, model = world.train(seed=1)
    assert world.datasets[2] != world.datasets[1]
    first = world.datasets[1]
    assert world.personal(2) == {"customer_id": ("contract", first), "region": ("contract", first)}
    assert world.personal(1) == {"customer_id": ("contract", None), "region": ("contract", None)}
    # the new data set's tags include the inherited ones, naming where they were set
    tags = {t.column: t.dataset_id for t in client.governance.column_tags(world.datasets[2])}
    assert tags == {"customer_id": first, "region": first}
    table = dict(data.column_table(client.backend.uow(), dataset=world.datasets[2]))  # type: ignore[attr-defined]
    assert table["customer_id"] is not None and table["customer_id"].dataset_id == first
    assert table["income"] is None
    # the deployment serving v2: inventory and the log's pseudonyms see the tags
    client.deployments.set_challenger(DEPLOYMENT, v2, strategy="bluegreen")
    client.deployments.promote(DEPLOYMENT)
    deployed = client.deployments.clear_challenger(DEPLOYMENT).config
    assert (deployed.champion, deployed.challenger) == (v2, None)  # v1's own tags are out
    [holding] = client.data.inventory()
    assert set(holding.columns) == {"customer_id", "region"} and holding.pseudonymised
    assert client.data.pseudonymised_columns(DEPLOYMENT) == ["customer_id", "region"]
    traffic = customers(20, seed=5)
    transform = client.backend.workspace.pseudonymiser(DEPLOYMENT)  # type: ignore[attr-defined]
    root = client.settings.resolved_predictions_dir()
    write_entries(root, _entries(model, traffic, NOW, "v2"), stem="v2", transform=transform)
    logged = pd.concat(pd.read_parquet(f) for f in sorted(root.rglob("*.parquet")))
    logged = logged.sort_values("request_id", key=lambda s: s.str[3:].astype(int))
    key = client.backend.workspace.pseudonym_key()  # type: ignore[attr-defined]
    assert list(logged["in_customer_id"]) == [pseudonym(v, key) for v in traffic["customer_id"]]


def test_the_gate_of_a_retrained_version_reads_the_inherited_tags(world: World) -> None:
    client = world.client
    client.governance.assess("loan-model", likelihood=3, severity=3, rationale="credit")
    # a column tagged personal without a basis on v1's data: v2's gate names it
    client.governance.tag_column(world.datasets[1], "income", personal=True)
    world.tick()
    v2, _ = world.train(seed=1)
    items = {i.name: i for i in client.governance.status("loan-model", v2).decision.items}
    item = items["personal_data.legal_basis"]
    assert item.met is False and "train.income" in item.detail
    client.governance.tag_column(world.datasets[1], "income", personal=True, legal_basis="6(1)(b)")
    items = {i.name: i for i in client.governance.status("loan-model", v2).decision.items}
    assert items["personal_data.legal_basis"].met is True
    assert "3 personal-data column(s)" in items["personal_data.legal_basis"].detail


def test_an_explicit_untag_on_new_data_overrides_and_is_audited(world: World) -> None:
    client = world.client
    world.train(seed=1)
    client.governance.tag_column(
        world.datasets[2], "region", personal=False, note="coarse region, not identifying"
    )
    world.tick()
    assert set(world.personal(2)) == {"customer_id"}
    assert set(world.personal(1)) == {"customer_id", "region"}  # v1's own tags stand
    [event] = client.governance.audit_events(
        entity_type="dataset_column", entity_id=f"{world.datasets[2]}:region"
    )
    assert event.action == "data.column_tagged"
    assert event.before is not None and event.before["personal_data"] is True
    assert event.before["inherited_from"] == world.datasets[1]
    assert event.after is not None and event.after["personal_data"] is False
    # the next version inherits the newest decision on each column
    v3, _ = world.train(seed=2)
    assert world.personal(v3) == {"customer_id": ("contract", world.datasets[1])}


def test_tags_stay_within_their_model(world: World, settings: Settings) -> None:
    client = world.client
    frame = customers(100, seed=9)
    with client.start_run("other", capture_code=False) as run:
        ref = run.log_dataset(frame, name="train", role="training")
        run.log_model(_model(frame), "model", input_example=frame[FEATURES].head(5))
    client.registry.register(run.id, name="other-model")
    uow = client.backend.uow(read_only=True)  # type: ignore[attr-defined]
    with uow:
        assert uow.governance.personal_data_uses("other-model", 1) == []
    assert client.governance.column_tags(ref.dataset_id) == []


@pytest.mark.parametrize("given", ["because we can", "legitimate interests: fraud", "g", ""])
def test_legal_bases_are_the_closed_list_of_article_6(world: World, given: str) -> None:
    client = world.client
    if not given:  # no basis at all: recorded as none (the gate decides if that is enough)
        tag = client.governance.tag_column(world.datasets[1], "debt", personal=True)
        assert tag.legal_basis is None
        return
    with pytest.raises(errors.InvalidInput) as caught:
        client.governance.tag_column(world.datasets[1], "debt", personal=True, legal_basis=given)
    for key in ALLOWED.split(", "):
        assert key in str(caught.value)
    assert caught.value.details.get("field") == "legal_basis"


@pytest.mark.parametrize(
    ("given", "recorded"),
    [
        ("contract", "contract"),
        ("6(1)(b)", "contract"),
        ("Art. 6(1)(f)", "legitimate_interests"),
        ("legal obligation", "legal_obligation"),
        ("PUBLIC_TASK", "public_task"),
        ("a", "consent"),
    ],
)
def test_a_legal_basis_is_recorded_by_its_key(world: World, given: str, recorded: str) -> None:
    tag = world.client.governance.tag_column(
        world.datasets[1], "debt", personal=True, legal_basis=given
    )
    assert tag.legal_basis == recorded
