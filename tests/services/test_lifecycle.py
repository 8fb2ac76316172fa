"""Soft deletion of runs, experiments, models and versions, and what governance refuses to
delete (services through the client, on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from modelward.client import Client
from modelward.domain.tracking import ViewType
from modelward.errors import AlreadyExists, InvalidTransition, NotFound, PermissionDenied
from modelward.tracking import service as tracking
from tests.builders import logged_model_run
from tests.governance.helpers import acting_as


def test_a_served_version_is_not_deleted(client: Client) -> None:
    for _ in range(3):
        client.registry.register(logged_model_run(client), name="credit-risk")
    client.deployments.create("scoring", model_uri="models:/credit-risk/1", environment="staging")
    with pytest.raises(InvalidTransition, match="deployment 'scoring'"):
        client.registry.delete_version("credit-risk", 1)
    with pytest.raises(InvalidTransition, match="version 1 is served by deployment 'scoring'"):
        client.registry.delete_model("credit-risk")
    client.registry.set_alias("credit-risk", "challenger", 3)
    client.registry.delete_version("credit-risk", 3, reason="worse")
    assert [v.version for v in client.registry.list_versions("credit-risk")] == [1, 2]
    assert client.registry.get_model("credit-risk").aliases == {}
    assert client.registry.resolve("models:/credit-risk/latest").version == 2
    with pytest.raises(NotFound):
        client.registry.get_version("credit-risk", 3)
    with pytest.raises(NotFound):
        client.registry.resolve("models:/credit-risk@challenger")
    # numbers are never given again: the audit trail names version 3
    assert client.registry.register(logged_model_run(client), name="credit-risk").version == 4
    history = client.registry.alias_history("credit-risk", "challenger")
    assert [(e.version, e.previous_version) for e in history] == [(3, None), (None, 3)]


def test_only_the_owner_deletes_and_a_deleted_name_stays_reserved(client: Client) -> None:
    client.registry.register(logged_model_run(client), name="credit-risk")
    with acting_as(client, "mallory"), pytest.raises(PermissionDenied, match="alice"):
        client.registry.delete_model("credit-risk")
    client.registry.delete_model("credit-risk", reason="retired")
    assert client.registry.list_models() == []
    with pytest.raises(AlreadyExists, match="reserved"):
        client.registry.create_model("credit-risk")
    with pytest.raises(InvalidTransition, match="reserved"):
        client.registry.register(logged_model_run(client), name="credit-risk")
    events = client.governance.audit_events(limit=100)
    deleted = [e for e in events if e.action == "model.deleted"]
    assert deleted[0].reason == "retired" and deleted[0].before == {
        "versions": [1],
        "owner": "alice",
    }


def test_deleted_runs_keep_their_versions_and_lineage(client: Client) -> None:
    run_id = logged_model_run(client)
    version = client.registry.register(run_id, name="credit-risk")
    client.tracking.delete_run(run_id)
    assert client.tracking.get_run(run_id).deleted
    assert run_id not in [r.id for r in client.tracking.search_runs()]
    assert client.registry.get_version("credit-risk", 1) == version  # lineage: its run_id
    client.registry.load_model("models:/credit-risk/1")
    with pytest.raises(InvalidTransition, match="already deleted"):
        client.tracking.delete_run(run_id)
    with acting_as(client, "mallory"), pytest.raises(PermissionDenied):
        client.tracking.restore_run(run_id)
    client.tracking.restore_run(run_id)
    assert run_id in [r.id for r in client.tracking.search_runs()]


def test_an_experiment_goes_with_its_runs_only_if_they_are_yours(client: Client) -> None:
    with client.start_run("shared") as mine:
        pass
    with acting_as(client, "bob"), client.start_run("shared") as bobs:
        pass
    before_deleted = client.tracking.start_run(experiment="shared")
    client.tracking.delete_run(before_deleted.id)
    experiment = next(e for e in client.tracking.list_experiments() if e.name == "shared")
    backend = client.backend
    with pytest.raises(PermissionDenied, match="belongs to bob"):
        tracking.set_experiment_deleted(
            backend.uow(), guard=backend.guard(), experiment_id=experiment.id, deleted=True
        )
    with acting_as(client, "bob"):
        tracking.set_run_deleted(backend.uow(), guard=backend.guard(), run_id=bobs.id, deleted=True)
        # bob's run is deleted; alice's deleted run stays hers: she may now delete it all
    tracking.set_experiment_deleted(
        backend.uow(), guard=backend.guard(), experiment_id=experiment.id, deleted=True
    )
    assert client.tracking.search_runs(experiments=["shared"]) == []
    with pytest.raises(InvalidTransition, match="restore"):
        client.tracking.start_run(experiment="shared")
    tracking.set_experiment_deleted(
        backend.uow(), guard=backend.guard(), experiment_id=experiment.id, deleted=False
    )
    # the runs deleted with it come back; those deleted before stay deleted
    back = {r.id for r in client.tracking.search_runs(experiments=["shared"])}
    assert back == {mine.id}
    everything = tracking.search_runs(backend.uow(), experiments=["shared"], view=ViewType.ALL)
    assert {r.id for r in everything} == {mine.id, bobs.id, before_deleted.id}
