"""The scoring service writes tagged personal columns as keyed pseudonyms, and never in clear
when it cannot tell which columns are personal."""

from __future__ import annotations

import httpx
import pytest

from modelward.client import Client
from modelward.domain.privacy import Pseudonymiser, pseudonym
from modelward.server.scoring import create_scoring_app
from modelward.server.scoring_privacy import RefreshingPseudonymiser
from modelward.store.predictions import read_predictions
from tests.builders import applicants, fitted_classifier
from tests.serving.conftest import RECORD
from tests.serving.server import serve_in_thread


def test_the_scoring_service_logs_tagged_columns_as_pseudonyms(workspace: Client) -> None:
    run_id = workspace.registry.get_version("credit-risk", 1).run_id or ""
    dataset = workspace.tracking.get_run(run_id).datasets[0].dataset_id
    workspace.governance.tag_column(dataset, "age", personal=True, legal_basis="contract")
    app = create_scoring_app("credit-scoring", settings=workspace.settings)
    with serve_in_thread(app) as url:
        assert httpx.post(f"{url}/predict", json=[RECORD]).status_code == 200
    logged = read_predictions(workspace.settings.resolved_predictions_dir(), "credit-scoring")
    key = workspace.backend.workspace.pseudonym_key()  # type: ignore[attr-defined]
    assert list(logged["in_age"]) == [pseudonym(RECORD["age"], key)]
    assert list(logged["in_income"]) == [RECORD["income"]]  # not tagged: in clear


def test_a_retrained_champion_keeps_its_columns_pseudonymised(workspace: Client) -> None:
    """Tags follow the column: v3, trained on new data (another fingerprint), keeps the tag
    set on v1's data, and the scoring service of a deployment serving v3 hashes the column."""
    run_id = workspace.registry.get_version("credit-risk", 1).run_id or ""
    first = workspace.tracking.get_run(run_id).datasets[0].dataset_id
    workspace.governance.tag_column(first, "age", personal=True, legal_basis="contract")
    model, features = fitted_classifier(applicants(seed=7))
    with workspace.start_run("credit") as run:
        ref = run.log_dataset(applicants(seed=7), name="train", role="training")
        run.log_model(model, "model", input_example=features.head(5))
    assert ref.dataset_id != first
    v3 = workspace.registry.register(run.id, name="credit-risk").version
    workspace.deployments.set_challenger("credit-scoring", v3, strategy="bluegreen")
    workspace.deployments.promote("credit-scoring")
    deployed = workspace.deployments.clear_challenger("credit-scoring").config
    assert (deployed.champion, deployed.challenger) == (v3, None)  # v1's own tag is out
    app = create_scoring_app("credit-scoring", settings=workspace.settings)
    with serve_in_thread(app) as url:
        answer = httpx.post(f"{url}/predict", json=[RECORD])
        assert answer.status_code == 200 and answer.json()["version"] == v3
    logged = read_predictions(workspace.settings.resolved_predictions_dir(), "credit-scoring")
    key = workspace.backend.workspace.pseudonym_key()  # type: ignore[attr-defined]
    assert list(logged["version"]) == [v3]
    assert list(logged["in_age"]) == [pseudonym(RECORD["age"], key)]
    assert list(logged["in_income"]) == [RECORD["income"]]


def test_unknown_columns_fail_the_batch_rather_than_write_in_clear() -> None:
    calls = []

    def resolve() -> Pseudonymiser | None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("workspace unreachable")
        return Pseudonymiser(["id"], b"k" * 32)

    hasher = RefreshingPseudonymiser(resolve, every=0.0)
    with pytest.raises(OSError):
        hasher({"id": ["C-1"]})
    assert hasher({"id": ["C-1"]}) == {"id": [pseudonym("C-1", b"k" * 32)]}
    # once known, a failed refresh keeps the columns it had
    failing = RefreshingPseudonymiser(lambda: Pseudonymiser(["id"], b"k" * 32), every=0.0)
    assert failing({"id": ["x"]}) != {"id": ["x"]}
    failing._resolve = lambda: (_ for _ in ()).throw(OSError("down"))  # type: ignore[assignment]
    assert failing({"id": ["x"]}) == {"id": [pseudonym("x", b"k" * 32)]}
