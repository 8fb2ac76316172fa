"""The smaller holes of security issue #11: deep JSON and filters, loose types at the scoring
service, URL-special and bidi characters in names, multi-worker servers without a secret, full
disks, world-readable workspace files, framing and script links, and runs whose process died."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from modelward.cli.main import app as cli_app
from modelward.client import Client
from modelward.config import Settings
from modelward.domain.tracking import RunStatus
from modelward.errors import BackendUnavailable, InsufficientStorage
from modelward.serving.payload import MAX_JSON_DEPTH
from modelward.store.artifacts import ArtifactStore
from modelward.store.predictions import PredictionEntry, write_entries
from modelward.store.sql.tables import runs
from modelward.tracking import service as tracking_service
from tests.builders import applicants, fitted_classifier
from tests.server import conftest as server_fixtures
from tests.server import test_remote
from tests.server.conftest import Team, make_team
from tests.server.test_remote import remote_client
from tests.serving.conftest import RECORD, app_for
from tests.serving.server import serve_in_thread

runner = CliRunner()
# the server tests' fixtures: a TestClient (as alice) over the test settings, a real server
api = server_fixtures.api
app_client = server_fixtures.app_client
team = server_fixtures.team
served = test_remote.served
DEEP = b"[" * 1000 + b"]" * 1000


def _no_space(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


# 1. deep JSON and deep filters: 422 naming the problem, never a 500 ---------------------------


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(DEEP, {"Content-Type": "application/json"}, id="arrays"),
        pytest.param(
            b'{"experiment": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}",
            {"Content-Type": "application/json"},
            id="objects",
        ),
        pytest.param(DEEP, {}, id="no-content-type"),
        pytest.param(b"[" * 5000, {"Content-Type": "application/json"}, id="unclosed"),
    ],
)
def test_deep_json_to_the_platform_is_422(api, body: bytes, headers: dict[str, str]) -> None:
    response = api.post("/api/v1/runs", content=body, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert f"nested more than {MAX_JSON_DEPTH} levels" in error["message"]


def test_json_nested_within_the_limit_still_reaches_the_route(api) -> None:
    # 10 levels of tags would be a validation error of the route, not of the depth check
    response = api.post("/api/v1/runs", json={"experiment": "exp", "tags": {"a": [[[[1]]]]}})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "tags.a"


def test_deep_filter_is_422_naming_the_position(api) -> None:
    text = "(" * 300 + "metrics.auc > 0.5" + ")" * 300
    response = api.post("/api/v1/runs/search", json={"filter": text})
    assert response.status_code == 422
    error = response.json()["error"]
    assert "parentheses" in error["message"] and error["position"] == 32


@pytest.fixture
def scoring(sqlite_settings: Settings) -> Iterator[httpx.Client]:
    """A scoring service for credit-risk v1 (income, debt: float; age: integer)."""
    client = Client(sqlite_settings.model_copy(update={"predictions_flush_seconds": 0.2}))
    model, features = fitted_classifier(applicants())
    with client.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head(5))
    client.registry.register(run.id, name="credit-risk")
    client.deployments.create(
        "credit-scoring", model_uri="models:/credit-risk/1", environment="staging"
    )
    with serve_in_thread(app_for(client)) as url, httpx.Client(base_url=url) as http:
        yield http
    client.close()


def test_scoring_refuses_deep_json_and_loose_types(scoring: httpx.Client) -> None:
    deep = scoring.post("/predict", content=DEEP, headers={"Content-Type": "application/json"})
    assert deep.status_code == 422
    assert "nested more than" in deep.json()["error"]["message"]

    # 2. a string for an integer column, a boolean for a float column: named, not converted
    for field, value, expected in [
        ("age", "42", "column 'age' row 1 must be integer, got string '42'"),
        ("income", True, "column 'income' row 1 must be float, got boolean True"),
    ]:
        body = [RECORD, {**RECORD, field: value}]
        for shape in (body, {"dataframe_split": _split(body)}, _columns(body)):
            response = scoring.post("/predict", json=shape)
            assert response.status_code == 422, response.text
            assert expected in response.json()["error"]["message"]
    assert scoring.post("/predict", json=[RECORD, {**RECORD, "age": 42.0}]).status_code == 200


def _split(rows: list[dict[str, object]]) -> dict[str, object]:
    return {"columns": list(rows[0]), "data": [list(r.values()) for r in rows]}


def _columns(rows: list[dict[str, object]]) -> dict[str, list[object]]:
    return {k: [r[k] for r in rows] for k in rows[0]}


# 3. names: refused with InvalidInput, and fine names round-trip through the HTTP client --------


def test_a_name_with_url_special_characters_is_422(api) -> None:
    for name in ("a?b", "a#b", "50%", "evil\u202etxt.exe"):
        response = api.post("/api/v1/models", json={"name": name})
        assert response.status_code == 422, name
        assert response.json()["error"]["code"] == "invalid_input"


def test_names_with_spaces_and_unicode_round_trip_remotely(
    settings: Settings,
    served: tuple[str, Team],
) -> None:
    url, members = served
    remote = remote_client(settings, url, members.tokens["alice"])
    try:
        for name in ("credit risk", "Kreditrisiko-Ü", "信用リスク", "a+b=c & d"):
            created = remote.registry.create_model(name, description="x")
            assert remote.registry.get_model(name).name == created.name == name
            assert remote.registry.list_versions(name) == []
        run = remote.tracking.start_run(experiment="exp")
        remote.tracking.log_batch(run.id, params={"train/lr": "0.1"}, tags={"ä ö": "1"})
        assert remote.tracking.get_run(run.id).params == {"train/lr": "0.1"}
    finally:
        remote.close()


# 4. several workers need a shared secret key ----------------------------------------------------


def test_server_with_workers_needs_a_secret_key(tmp_path: Path) -> None:
    env = {"MODELWARD_SECRET_KEY": ""}
    result = runner.invoke(cli_app, ["--home", str(tmp_path), "server", "--workers", "2"], env=env)
    assert result.exit_code == 2
    assert "MODELWARD_SECRET_KEY" in result.stderr
    assert "sessions work across workers" in result.stderr


# 5. storage faults name their cause: 507 / 503, CLI exit 8 ---------------------------------------


def test_full_disk_is_507_over_rest(api, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    monkeypatch.setattr(tempfile, "mkstemp", _no_space)
    data = b"a model"
    response = api.put(f"/api/v1/blobs/{hashlib.sha256(data).hexdigest()}", content=data)
    assert response.status_code == 507
    error = response.json()["error"]
    assert error["code"] == "insufficient_storage"
    assert "No space left" in error["message"] and "free disk space" in error["message"]


def test_full_temporary_disk_while_receiving_an_upload_is_507(
    api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from modelward.server import uploads

    real = tempfile.NamedTemporaryFile

    class FullDisk:
        def __init__(self, **kwargs: object) -> None:
            self.handle = real(**kwargs)  # type: ignore[call-overload]
            self.name = self.handle.name

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads.tempfile, "NamedTemporaryFile", FullDisk)
    data = b"a model"
    response = api.put(f"/api/v1/blobs/{hashlib.sha256(data).hexdigest()}", content=data)
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "insufficient_storage"


def test_full_disk_is_exit_8_in_the_cli(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_team(sqlite_settings)  # audited events to checkpoint
    monkeypatch.setattr(tempfile, "mkstemp", _no_space)
    result = runner.invoke(
        cli_app,
        ["--home", str(sqlite_settings.home), "audit", "checkpoint"],
        env={"MODELWARD_USER": "alice"},
    )
    assert result.exit_code == 8, result.output
    assert "No space left" in result.stderr
    assert "Traceback" not in result.output


def test_prediction_log_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    monkeypatch.setattr(pq, "write_table", _no_space)
    entry = PredictionEntry("r1", datetime.now(UTC), "d", "m", 1, "main", 1.0, {"x": [1]}, [0])
    with pytest.raises(InsufficientStorage):
        write_entries(tmp_path / "log", [entry], stem="s")
    assert not list((tmp_path / "log").rglob("*.tmp"))


@pytest.mark.parametrize(
    ("fault", "expected"),
    [(PermissionError(errno.EACCES, "denied"), "refused access"), (ConnectionError(), "reach")],
)
def test_an_object_store_that_refuses_or_is_away_is_503(fault: OSError, expected: str) -> None:
    class FailingFs:
        def exists(self, path: str) -> bool:
            return False

        def pipe_file(self, path: str, data: bytes) -> None:
            raise fault

        def cat_file(self, path: str) -> bytes:
            raise fault

    store = ArtifactStore("memory://bucket")
    store._fs = FailingFs()
    with pytest.raises(BackendUnavailable, match=expected) as raised:
        store.put_bytes(b"x")
    assert not isinstance(raised.value, InsufficientStorage)
    with pytest.raises(BackendUnavailable, match=expected):
        store.get_bytes("0" * 64)


# 6. workspace files 0600, folders 0700, whatever the umask ---------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_workspace_files_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask: world-readable unless set explicitly
    try:
        home = tmp_path / "ws"
        result = runner.invoke(cli_app, ["--home", str(home), "init"])
        assert result.exit_code == 0, result.output
        settings = Settings(home=home, user="alice", protected_aliases="")
        client = Client(settings)
        try:
            client.governance.add_user("alice", ["admin", "data_scientist"])
            model, features = fitted_classifier()
            with client.start_run("credit") as run:
                run.log_model(model, "model", input_example=features.head(5))
            client.governance.checkpoint_audit()
            entry = PredictionEntry("r", datetime.now(UTC), "d", "m", 1, "a", 1.0, {"x": [1]}, [0])
            write_entries(settings.resolved_predictions_dir(), [entry], stem="s")
            assert (home / "modelward.db-wal").exists()  # checked while the engine is open
            files = [p for p in home.rglob("*") if p.is_file()]
            folders = [home, *(p for p in home.rglob("*") if p.is_dir())]
        finally:
            client.close()
    finally:
        os.umask(previous)
    names = {p.name for p in files}
    assert {"modelward.db", "audit-checkpoints.json"} <= names
    assert any(p.suffix == ".parquet" for p in files)
    assert len([p for p in files if p.parent.parent.name == "artifacts"]) >= 2  # model + meta
    assert {str(p): oct(_mode(p)) for p in files if _mode(p) != 0o600} == {}
    assert {str(p): oct(_mode(p)) for p in folders if _mode(p) != 0o700} == {}


# 7. no framing, no sniffing, and user text renders inert -----------------------------------------


@pytest.mark.parametrize("path", ["/login", "/api/v1/experiments", "/static/app.css", "/nope"])
def test_every_response_has_the_security_headers(app_client, path: str) -> None:
    response = app_client.get(path, follow_redirects=False)
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_user_text_in_the_model_card_is_inert(client: Client) -> None:
    description = (
        "<script>alert(1)</script> [x](javascript:alert(1)) [y](JaVa\tScRiPt:alert(2))"
        " [z](data:text/html;base64,PHNjcmlwdD4=) [docs](https://example.com/card)"
    )
    model, features = fitted_classifier()
    with client.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head(5))
    client.registry.create_model("credit-risk", description=description)
    client.registry.register(run.id, name="credit-risk")
    page = client.governance.model_card("credit-risk", 1, html=True)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="javascript' not in page.lower() and 'href="data:' not in page
    assert '<a href="https://example.com/card" rel="noopener noreferrer nofollow">docs</a>' in page


# 8. runs whose process died end as FAILED after the heartbeat timeout ---------------------------


def _heartbeat_of(client: Client, run_id: str) -> datetime | None:
    with client.backend.engine.connect() as conn:
        query = select(runs.c.last_heartbeat_at).where(runs.c.id == run_id)
        value: datetime | None = conn.execute(query).scalar()
        return value


def test_runs_without_heartbeat_are_reaped(client: Client) -> None:
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    clock = {"now": start}
    client.backend.clock = lambda: clock["now"]
    alive = client.tracking.start_run(experiment="exp", name="alive")
    dead = client.tracking.start_run(experiment="exp", name="dead")
    done = client.tracking.start_run(experiment="exp", name="done")
    client.tracking.end_run(done.id)

    clock["now"] = start + timedelta(minutes=9)
    client.tracking.heartbeat(alive.id)
    assert _heartbeat_of(client, alive.id) == clock["now"]
    clock["now"] = start + timedelta(minutes=10)
    assert client.tracking.reap_stale_runs() == []  # exactly the timeout: not yet stale

    clock["now"] = start + timedelta(minutes=11)
    assert client.tracking.reap_stale_runs() == [dead.id]
    reaped = client.tracking.get_run(dead.id)
    assert (reaped.status, reaped.end_time) == (RunStatus.FAILED, clock["now"])
    assert "No heartbeat" in reaped.tags[tracking_service.REAPED_TAG]
    assert client.tracking.get_run(alive.id).status is RunStatus.RUNNING
    assert client.tracking.get_run(done.id).status is RunStatus.FINISHED

    clock["now"] = start + timedelta(minutes=20)
    assert client.tracking.reap_stale_runs(timeout=600) == [alive.id]
    assert client.tracking.reap_stale_runs(timeout=600) == []


def test_active_runs_send_heartbeats(client: Client) -> None:
    import time

    with client.start_run("exp") as run:
        assert _heartbeat_of(client, run.id) is None
        run.heartbeat_interval = 0.05
        deadline = time.monotonic() + 10
        while _heartbeat_of(client, run.id) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _heartbeat_of(client, run.id) is not None


def test_heartbeat_and_reap_over_rest(api) -> None:
    run = api.post("/api/v1/runs", json={"experiment": "exp"}).json()
    assert api.post(f"/api/v1/runs/{run['id']}/heartbeat").status_code == 204
    assert api.post("/api/v1/runs/nope/heartbeat").status_code == 404
    response = api.post("/api/v1/runs/reap")
    assert (response.status_code, response.json()) == (200, [])  # 10 minutes have not passed


def test_runs_reap_command(sqlite_settings: Settings) -> None:
    client = Client(sqlite_settings)
    run = client.tracking.start_run(experiment="exp")
    client.close()
    result = runner.invoke(
        cli_app,
        ["--home", str(sqlite_settings.home), "runs", "reap", "--timeout", "0.001", "--json"],
        env={"MODELWARD_USER": "alice"},
    )
    assert result.exit_code == 0, result.output
    assert run.id in result.stdout
    client = Client(sqlite_settings)
    assert client.tracking.get_run(run.id).status is RunStatus.FAILED
    client.close()
