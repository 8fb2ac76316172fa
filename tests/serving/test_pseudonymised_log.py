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
