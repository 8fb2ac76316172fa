"""The workspace on object storage for real (a moto S3 server): opening it checks the bucket
and the credentials; audit checkpoints, bundles and the prediction log work there as in a
local folder."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.errors import BackendUnavailable, IntegrityViolation
from modelward.store import objectstore
from modelward.workspace import Workspace
from tests.objectstore import BUCKET, free_port


@pytest.fixture
def s3_settings(sqlite_settings: Settings, s3_root: str) -> Settings:
    return sqlite_settings.model_copy(
        update={"artifact_url": f"{s3_root}/artifacts", "predictions_url": f"{s3_root}/log"}
    )


def test_a_missing_bucket_fails_at_open_naming_it(sqlite_settings: Settings, s3_endpoint: str):
    settings = sqlite_settings.model_copy(update={"artifact_url": "s3://no-such-bucket/a"})
    with pytest.raises(BackendUnavailable, match="bucket 'no-such-bucket'.*does not exist"):
        Workspace.open(settings)
    settings = sqlite_settings.model_copy(update={"predictions_url": "s3://nowhere-bucket/log"})
    with pytest.raises(BackendUnavailable, match="MODELWARD_PREDICTIONS_URL"):
        Workspace.open(settings)


@pytest.fixture
def strict_s3(s3_endpoint: str) -> Iterator[str]:
    """A second moto server that checks credentials (none are known to it)."""
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a busy machine imports moto slowly
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/moto-api/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_refused_credentials_fail_at_open_saying_which_variables(
    sqlite_settings: Settings, strict_s3: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    monkeypatch.setenv("AWS_ENDPOINT_URL", strict_s3)
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        settings = sqlite_settings.model_copy(update={"artifact_url": f"s3://{BUCKET}/a"})
        with pytest.raises(BackendUnavailable, match="refused the credentials.*AWS_ACCESS_KEY_ID"):
            Workspace.open(settings)
    finally:
        s3fs.S3FileSystem.clear_instance_cache()


def test_the_cli_exits_8_with_one_line_on_a_missing_bucket(
    sqlite_settings: Settings, s3_endpoint: str
) -> None:
    from typer.testing import CliRunner

    from modelward.cli.main import app

    env = {"MODELWARD_HOME": str(sqlite_settings.home), "MODELWARD_ARTIFACT_URL": "s3://gone-x/a"}
    result = CliRunner().invoke(app, ["models", "list"], env=env)
    assert result.exit_code == 8, result.output
    assert "gone-x" in result.output and "Traceback" not in result.output


def test_audit_checkpoints_live_in_the_bucket_and_catch_tampering(s3_settings: Settings) -> None:
    client = Client(s3_settings)
    try:
        client.governance.add_user("alice", ["admin"])
        record = client.governance.checkpoint_audit()
        client.governance.add_user("bob", ["viewer"])
        assert client.governance.verify_audit().ok
        refs = client.backend.artifacts.list_refs("audit-checkpoints")
        assert list(refs.values()) == [record.address]
        fs, base = objectstore.open_fs(str(s3_settings.artifact_url))
        address = record.address
        fs.pipe_file(f"{base}/{address[:2]}/{address[2:]}", b'{"seq": 1, "hash": "0"}')
        result = client.governance.verify_audit()
        assert not result.ok and address[:12] in result.message
        with pytest.raises(IntegrityViolation):
            client.backend.artifacts.get_bytes(address)
    finally:
        client.close()


def test_a_bundle_is_packaged_from_artifacts_in_the_bucket(
    s3_settings: Settings, tmp_path: Path
) -> None:
    from tests.serving.conftest import register_versions

    client = Client(s3_settings.model_copy(update={"protected_aliases": ""}))
    try:
        register_versions(client, count=1)
        info = client.deployments.package("models:/credit-risk@champion", tmp_path / "bundle")
        model_bytes = (info.path / "model" / "model.bin").read_bytes()
        version = client.registry.get_version("credit-risk", 1)
        assert hashlib.sha256(model_bytes).hexdigest() in repr(version)  # the bytes recorded
        assert (info.path / "Dockerfile").exists()
    finally:
        client.close()
