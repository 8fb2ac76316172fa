"""What the remote client moves as files: bundles (unpacked here, never outside their folder),
batch scores (scored on the server, which never unpickles a client's bytes), and retraining
through a server (the entry point runs here, the data comes from the server's log)."""

from __future__ import annotations

import hashlib
import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from modelward import errors
from modelward.client import Client
from modelward.client.http_ops import extract_bundle
from modelward.config import Settings
from modelward.project import Project
from modelward.server.app import create_app
from tests.builders import applicants
from tests.monitoring.helpers import DAY1, DAY2, DAY3, FEATURES, deploy_model, log_traffic, traffic
from tests.monitoring.test_feedback_loop import TRAIN_MODULE
from tests.security.traps import pickle_payload
from tests.server.conftest import Team, make_team
from tests.serving.server import serve_in_thread


def _archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize(
    "member",
    [
        pytest.param((_file("../escaped.txt"), b"x"), id="dot-dot"),
        pytest.param((_file("/tmp/absolute-" + uuid.uuid4().hex), b"x"), id="absolute"),
        pytest.param((_file("model/../../escaped.txt"), b"x"), id="nested-dot-dot"),
        pytest.param((_link("link", "/etc/passwd", tarfile.SYMTYPE), b""), id="symlink"),
        pytest.param((_link("hard", "/etc/passwd", tarfile.LNKTYPE), b""), id="hardlink"),
    ],
)
def test_a_bundle_that_would_escape_its_folder_is_not_unpacked(
    tmp_path: Path, member: tuple[tarfile.TarInfo, bytes]
) -> None:
    folder = tmp_path / "out" / "bundle"
    folder.mkdir(parents=True)
    archive = _archive(tmp_path / "b.tar.gz", [(_file("bundle.json"), b"{}"), member])
    with pytest.raises(errors.IntegrityViolation, match="refusing to unpack"):
        extract_bundle(archive, folder)
    assert list(folder.iterdir()) == []  # checked before anything is written
    assert not (tmp_path / "out" / "escaped.txt").exists()


def test_a_plain_bundle_is_unpacked_in_place(tmp_path: Path) -> None:
    archive = _archive(
        tmp_path / "b.tar.gz", [(_file("bundle.json"), b"{}"), (_file("model/m.skops"), b"m")]
    )
    extract_bundle(archive, tmp_path / "bundle")
    assert (tmp_path / "bundle" / "model" / "m.skops").read_bytes() == b"m"


@pytest.fixture
def served(sqlite_settings: Settings) -> Iterator[tuple[str, Team, Any]]:
    """A real server over a SQLite workspace, the team's tokens and the app (its clock)."""
    team = make_team(sqlite_settings)
    app = create_app(sqlite_settings)
    with serve_in_thread(app) as url:
        yield url, team, app


def remote(settings: Settings, url: str, team: Team, user: str = "alice") -> Client:
    return Client(settings.model_copy(update={"server_url": url, "token": team.tokens[user]}))


@pytest.mark.slow  # a real server
def test_remote_batch_score_refuses_a_pickle_and_never_runs_it(
    sqlite_settings: Settings, served: tuple[str, Team, Any], tmp_path: Path
) -> None:
    url, team, _ = served
    marker = tmp_path / f"payload-ran-{uuid.uuid4().hex}"
    data = pickle_payload(marker)
    sha = hashlib.sha256(data).hexdigest()
    headers = team.headers("alice")
    with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as http:
        run_id = http.post("/runs", json={"experiment": "x"}).raise_for_status().json()["id"]
        http.put(f"/blobs/{sha}", content=data).raise_for_status()
        meta = {"flavor": "sklearn", "format": "pickle", "model_sha256": sha}
        http.post(f"/runs/{run_id}/models", json={"name": "model", "meta": meta})
        http.post("/models/evil/versions", json={"run_id": run_id}).raise_for_status()
    source = tmp_path / "rows.parquet"
    applicants(20)[FEATURES].to_parquet(source)
    mw = remote(sqlite_settings, url, team)
    try:
        with pytest.raises(errors.InvalidInput, match="is stored as a pickle"):
            mw.deployments.score("models:/evil/1", source, tmp_path / "scored.parquet")
        with pytest.raises(errors.InvalidInput, match="pandas engine"):
            mw.deployments.score("models:/evil/1", source, tmp_path / "s.parquet", engine="dask")
    finally:
        mw.close()
    assert not marker.exists()
    assert not (tmp_path / "scored.parquet").exists()


@pytest.mark.slow  # the whole retraining loop through a real server
def test_retrain_through_the_server(
    sqlite_settings: Settings, served: tuple[str, Team, Any], tmp_path: Path
) -> None:
    """The same scenario as tests/monitoring/test_feedback_loop.py's local one, remotely: the
    same split, the same promotion."""
    url, team, app = served
    app.state.platform.clock = lambda: DAY3
    (tmp_path / "mw_train_entry.py").write_text(TRAIN_MODULE)
    mw = remote(sqlite_settings, url, team)
    try:
        mw.monitoring._project = Project(  # type: ignore[attr-defined]
            tmp_path / "modelward.yaml",
            {
                "train": "mw_train_entry:train",
                "target": "default",
                "validation": {"slice_gap": 0.5},
            },
        )
        model = deploy_model(mw, rows=1000)
        for day, seed in ((DAY1, 21), (DAY2, 22)):
            frame = traffic(200, seed=seed)
            ids = log_traffic(mw, model, frame, at=day, prefix=f"d{seed}")
            labels = pd.DataFrame({"request_id": ids, "label": frame["default"]})
            mw.monitoring.ingest_labels("credit-scoring", labels, id_column="request_id")
        mw.monitoring.run("credit-scoring")
        extra = traffic(1000, seed=40)[[*FEATURES, "default"]]
        result = mw.retrain("credit-risk", data=extra, trigger="drift", params={"C": "0.5"})
        assert (result.version, result.train_rows, result.validation_rows) == (2, 1200, 200)
        assert result.outcome == "promoted" and result.validation_passed
        assert mw.registry.resolve("models:/credit-risk@champion").version == 2
        run = mw.tracking.get_run(result.run_id)
        assert run.params["trigger"] == "drift" and run.user == "alice"
        assert mw.retraining_due("credit-risk") is False
    finally:
        mw.close()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param("x.parquet", b"garbage", "not a readable Parquet file", id="parquet"),
        pytest.param("x.csv", b"\x00\xff,\n1,2", "not a readable CSV (UTF-8) file", id="csv"),
        pytest.param("x.json", b"{}", "Upload a .parquet or .csv file", id="other-kind"),
    ],
)
def test_an_unreadable_upload_to_score_is_a_clear_422(
    sqlite_settings: Settings, name: str, data: bytes, message: str
) -> None:
    from fastapi.testclient import TestClient

    from tests.builders import logged_model_run

    team = make_team(sqlite_settings)
    local = Client(sqlite_settings)
    try:
        local.registry.register(logged_model_run(local), name="credit-risk")
    finally:
        local.close()
    with TestClient(create_app(sqlite_settings), raise_server_exceptions=False) as http:
        answer = http.post(
            "/api/v1/deployments/batch-scores",
            headers=team.headers("alice"),
            files={"file": (name, data, "application/octet-stream")},
            data={"model_uri": "models:/credit-risk/1"},
        )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", "file")
    assert message in error["message"]
