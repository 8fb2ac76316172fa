"""Registry through the client, on SQLite and PostgreSQL."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from modelward.client import Client
from modelward.errors import AlreadyExists, IntegrityViolation, InvalidInput, NotFound
from modelward.registry.service import held_at
from tests.builders import applicants, fitted_classifier, logged_model_run


def test_register_numbers_versions_and_records_lineage(client: Client) -> None:
    first = client.registry.register(logged_model_run(client), name="credit-risk")
    run_id = logged_model_run(client)
    second = client.registry.register(run_id, "model", name="credit-risk")
    assert (first.version, second.version) == (1, 2)
    assert second.run_id == run_id and second.flavor == "sklearn" and second.created_by == "alice"
    columns = [c["name"] for c in second.signature["columns"]]
    assert columns == ["income", "debt", "age"]
    model = client.registry.get_model("credit-risk")
    assert model.owner == "alice" and model.latest_version == 2


def test_load_model_predicts_like_the_original(client: Client) -> None:
    model, features = fitted_classifier()
    with client.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head())
    client.registry.register(run.id, name="credit-risk")
    loaded = client.registry.load_model("models:/credit-risk/1")
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))
    np.testing.assert_allclose(loaded.predict_proba(features), model.predict_proba(features))


def test_predict_checks_the_signature(client: Client) -> None:
    client.registry.register(logged_model_run(client), name="credit-risk")
    loaded = client.registry.load_model("models:/credit-risk/latest")
    frame = applicants(5)[["income", "debt", "age"]]
    with pytest.raises(InvalidInput, match="missing column.*'debt'"):
        loaded.predict(frame.drop(columns=["debt"]))
    with pytest.raises(InvalidInput, match="'income' must be float.*'lots'"):
        loaded.predict(frame.assign(income=["lots", 1, 2, 3, 4]))
    # extra columns are ignored, numeric strings that parse are accepted
    assert len(loaded.predict(frame.assign(extra=1, income=frame["income"].astype(str)))) == 5


def test_callable_flavor(client: Client) -> None:
    def score(frame: pd.DataFrame) -> pd.Series:
        return frame["debt"] / frame["income"]

    frame = applicants(5)
    with client.start_run("rules") as run:
        run.log_model(score, "ratio", input_example=frame[["income", "debt"]])
    client.registry.register(run.id, "ratio", name="debt-ratio")
    loaded = client.registry.load_model("models:/debt-ratio/1")
    assert loaded.flavor == "python_function"
    np.testing.assert_allclose(loaded.predict(frame), frame["debt"] / frame["income"])


def test_aliases_move_and_keep_history(client: Client) -> None:
    for _ in range(3):
        client.registry.register(logged_model_run(client), name="credit-risk")
    first = client.registry.set_alias("credit-risk", "champion", 1)
    client.registry.set_alias("credit-risk", "challenger", 3)
    second = client.registry.set_alias("credit-risk", "champion", 2)
    assert second.previous_version == 1
    assert client.registry.resolve("models:/credit-risk@champion").version == 2
    assert client.registry.get_version("credit-risk", 2).aliases == ("champion",)
    history = client.registry.alias_history("credit-risk", "champion")
    assert [(e.version, e.previous_version) for e in history] == [(1, None), (2, 1)]
    # which version was champion just after the first move?
    assert held_at(history, "champion", first.at + timedelta(microseconds=1)) in {1, 2}
    assert held_at(history, "champion", first.at - timedelta(seconds=1)) is None
    client.registry.delete_alias("credit-risk", "champion")
    with pytest.raises(NotFound, match="no alias 'champion'"):
        client.registry.resolve("models:/credit-risk@champion")
    assert client.registry.alias_history("credit-risk", "champion")[-1].version is None


def test_alias_history_answers_what_was_in_production_when(client: Client) -> None:
    from datetime import UTC, datetime

    for _ in range(2):
        client.registry.register(logged_model_run(client), name="m")
    times = iter([datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)])
    client.backend.clock = lambda: next(times)
    client.registry.set_alias("m", "champion", 1)
    client.registry.set_alias("m", "champion", 2)
    history = client.registry.alias_history("m")
    assert held_at(history, "champion", datetime(2026, 2, 1, tzinfo=UTC)) == 1
    assert held_at(history, "champion", datetime(2026, 4, 1, tzinfo=UTC)) == 2
    assert held_at(history, "champion", datetime(2025, 12, 1, tzinfo=UTC)) is None


def test_tampered_model_bytes_are_never_loaded(client: Client) -> None:
    mv = client.registry.register(logged_model_run(client), name="credit-risk")
    path = client.backend.artifacts._local_path(mv.artifact_sha256)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(IntegrityViolation, match="altered"):
        client.registry.load_model("models:/credit-risk/1")


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        pytest.param("models:/ghost/1", "'ghost' does not exist", id="unknown-model"),
        pytest.param("models:/credit-risk/9", "no version 9", id="unknown-version"),
        pytest.param("models:/credit-risk@staging", "no alias 'staging'", id="unknown-alias"),
    ],
)
def test_unknown_references_are_not_found(client: Client, uri: str, fragment: str) -> None:
    client.registry.register(logged_model_run(client), name="credit-risk")
    with pytest.raises(NotFound, match=fragment):
        client.registry.resolve(uri)


def test_register_errors(client: Client) -> None:
    run_id = logged_model_run(client)
    with pytest.raises(NotFound, match="no model called 'clf'.*'model'"):
        client.registry.register(run_id, "clf", name="credit-risk")
    with pytest.raises(InvalidInput, match="path separator"):
        client.registry.register(run_id, name="a/b")
    client.registry.create_model("fresh")
    with pytest.raises(AlreadyExists):
        client.registry.create_model("fresh")
    with pytest.raises(NotFound):
        client.registry.set_alias("credit-risk", "champion", 1)


def test_logging_the_same_artifact_name_twice_is_a_conflict(client: Client) -> None:
    model, features = fitted_classifier()
    with client.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head())
        with pytest.raises(AlreadyExists, match="'model'"):
            run.log_model(model, "model", input_example=features.head())


def test_every_registry_change_is_audited(client: Client) -> None:
    client.registry.register(logged_model_run(client), name="credit-risk")
    client.registry.set_alias("credit-risk", "champion", 1, reason="best auc")
    with client.backend.uow(read_only=True) as uow:
        events = list(uow.audit.iter_events())
    assert [e.action for e in events] == ["model.created", "version.registered", "alias.set"]
    assert events[-1].reason == "best auc" and events[-1].actor == "alice"
    assert [e.seq for e in events] == [1, 2, 3]
    assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:], strict=False))


def test_model_card(client: Client) -> None:
    run_id = logged_model_run(client, params={"C": 0.5})
    client.registry.register(run_id, name="credit-risk")
    client.registry.set_alias("credit-risk", "champion", 1)
    text = client.registry.model_card("credit-risk", 1)
    assert "# Model card: credit-risk v1" in text
    assert "| C | 0.5 |" in text and "| auc |" in text
    assert "champion" in text and "| income | float |" in text
    assert "scikit-learn==" in text
