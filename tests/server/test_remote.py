"""The same end-to-end scenario in local and in remote mode (a real uvicorn server in a thread
over the same settings) gives the same results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from modelward import errors
from modelward.client import Client
from modelward.config import Settings
from modelward.server.app import create_app
from tests.builders import applicants, fitted_classifier
from tests.server.conftest import Team, make_team
from tests.serving.server import serve_in_thread

# A real uvicorn server in a thread: end to end, so slow.
pytestmark = pytest.mark.slow


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, Team]]:
    """A real server over `settings` and the team's tokens."""
    team = make_team(settings)
    with serve_in_thread(create_app(settings)) as url:
        yield url, team


def remote_client(settings: Settings, url: str, token: str) -> Client:
    return Client(settings.model_copy(update={"server_url": url, "token": token}))


@pytest.fixture(params=["local", "remote"])
def mw(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Client]:
    """A client as alice, over the workspace (local) or over a real server (remote)."""
    if request.param == "local":
        make_team(settings)
        made = Client(settings)
        yield made
        made.close()
        return
    url, team = request.getfixturevalue("served")
    made = remote_client(settings, url, team.tokens["alice"])
    yield made
    made.close()


def scenario(mw: Client) -> dict[str, Any]:
    """Track two runs, log data and models, register, alias, load, predict, search, validate."""
    frame = applicants()
    model, features = fitted_classifier(frame)
    run_ids = []
    for c in (0.5, 1.0):
        with mw.start_run("credit", name=f"C={c}") as run:
            run.log_params({"C": c})
            for step in range(30):  # batched: flushed through the log-batch endpoint
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_metric("auc", 0.7 + c / 10)
            dataset = run.log_dataset(frame, name="train", role="training")
            run.log_model(model, "model", input_example=features.head(5))
            run.log_artifact("notes.txt", b"hello")
        run_ids.append(run.id)
    version = mw.registry.register(run_ids[1], name="credit-risk")
    mw.registry.set_alias("credit-risk", "challenger", version.version, reason="better")
    loaded = mw.registry.load_model("models:/credit-risk@challenger")
    found = mw.tracking.search_runs(filter="metrics.auc > 0.75", order_by=["metrics.auc DESC"])
    validated = mw.validation.validate(
        "models:/credit-risk/1", applicants(seed=3), target="default"
    )
    run = mw.tracking.get_run(run_ids[1])
    return {
        "run": (run.status.value, run.user, run.params, run.metrics, run.experiment),
        "loss_steps": [m.step for m in mw.tracking.metric_history(run_ids[1], "loss")],
        "dataset": (dataset.dataset_id, dataset.row_count, dataset.schema),
        "artifacts": sorted((a.path, a.kind, a.size) for a in run.artifacts),
        "version": (version.model, version.version, version.flavor, version.created_by),
        "signature": version.signature,
        "aliases": mw.registry.get_model("credit-risk").aliases,
        "predictions": np.round(loaded.predict_proba(features.head(10)), 10).tolist(),
        "search": [r.name for r in found],
        # sorted: PostgreSQL JSONB reorders profile keys, and with them data-quality checks
        "validation": (validated.record.passed, sorted(c.name for c in validated.report.checks)),
        "diff": sorted(mw.tracking.diff_runs(run_ids[0], run_ids[1]).sections),
    }


def test_end_to_end(mw: Client) -> None:
    summary = scenario(mw)
    assert summary["run"][:3] == ("FINISHED", "alice", {"C": "1.0"})
    assert summary["loss_steps"] == list(range(30))
    assert summary["search"] == ["C=1.0"]
    assert summary["aliases"] == {"challenger": 1}
    assert summary["version"] == ("credit-risk", 1, "sklearn", "alice")


def test_local_and_remote_agree(settings: Settings, served: tuple[str, Team], tmp_path) -> None:
    url, team = served
    remote = remote_client(settings, url, team.tokens["alice"])
    remote_summary = scenario(remote)
    remote.close()
    other = Settings(
        home=tmp_path / "other", user="alice", flush_interval=0.2, protected_aliases=""
    )
    make_team(other)
    local = Client(other)
    local_summary = scenario(local)
    local.close()
    assert remote_summary == local_summary


def test_remote_errors_come_back_as_domain_errors(settings: Settings, served) -> None:
    url, team = served
    viewer = remote_client(settings, url, team.tokens["victor"])
    with pytest.raises(errors.NotFound):
        viewer.tracking.get_run("nope")
    with pytest.raises(errors.InvalidInput):
        viewer.registry.resolve("not a uri")
    bad = remote_client(settings, url, "mw_wrong")
    with pytest.raises(errors.Unauthenticated):
        bad.tracking.list_experiments()
    down = remote_client(settings, "http://127.0.0.1:9", "x")
    with pytest.raises(errors.BackendUnavailable):
        down.tracking.list_experiments()
    for made in (viewer, bad, down):
        made.close()


def test_downloads_are_verified_client_side(settings: Settings) -> None:
    import httpx

    from modelward.client.http import HttpBackend

    def lying_server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not what was asked for")

    remote = settings.model_copy(update={"server_url": "http://mw.test", "token": "t"})
    backend = HttpBackend(remote, transport=httpx.MockTransport(lying_server))
    with pytest.raises(errors.IntegrityViolation):
        backend.get_blob("a" * 64)
    backend.close()


def test_tampered_model_is_refused_remotely(settings: Settings, served) -> None:
    from pathlib import Path

    url, team = served
    mw = remote_client(settings, url, team.tokens["alice"])
    model, features = fitted_classifier()
    with mw.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head(5))
    version = mw.registry.register(run.id, name="tampered")
    sha = version.artifact_sha256
    (Path(settings.resolved_artifact_url()) / sha[:2] / sha[2:]).write_bytes(b"evil pickle")
    with pytest.raises(errors.IntegrityViolation):
        mw.registry.load_model(version.uri)
    mw.close()


def test_remote_governance_enforces_the_same_rules(settings: Settings, served) -> None:
    url, team = served
    alice = remote_client(settings, url, team.tokens["alice"])
    model, features = fitted_classifier()
    with alice.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head(5))
    alice.registry.register(run.id, name="gov")
    vera = remote_client(settings, url, team.tokens["vera"])
    vera.validation.validate(  # reviews and approvals rest on a validator's report
        "models:/gov/1", applicants(200, seed=5), target="default",
        config={"metrics": {"min_roc_auc": 0.0}, "slice_gap": 1.0},
    )  # fmt: skip
    alice.governance.request_review("gov", 1, comment="please")
    viewer = remote_client(settings, url, team.tokens["victor"])
    with pytest.raises(errors.PermissionDenied):
        viewer.governance.approve("gov", 1, role="validator")
    with pytest.raises(errors.PermissionDenied):  # alice built it: no self-approval
        alice.governance.approve("gov", 1, role="admin")
    rita = remote_client(settings, url, team.tokens["rita"])
    rita.governance.assess("gov", likelihood=2, severity=2)
    signed = remote_client(settings, url, team.tokens["vera"]).governance.approve(
        "gov", 1, role="validator", comment="ok"
    )
    assert signed.user == "vera"
    events = alice.governance.audit_events(entity_type="model_version", entity_id="gov/1")
    assert [(e.action, e.actor) for e in events][:2] == [
        ("signoff.approve", "vera"),
        ("review.requested", "alice"),
    ]
    assert alice.governance.assessment("gov").assessed_by == "rita"
    for made in (alice, viewer, rita):
        made.close()
