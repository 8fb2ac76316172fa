"""A local S3-compatible server for the suite (moto's server mode), and roots parametrized as
a local folder and an S3 prefix, so store tests run against both.

The server starts once per session on a free loopback port; the usual AWS variables point
every S3 client (s3fs, boto3) at it. Each test gets a prefix of its own in one bucket.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BUCKET = "modelward-test"
AWS_VARIABLES = {
    "AWS_ACCESS_KEY_ID": "modelward-test",
    "AWS_SECRET_ACCESS_KEY": "modelward-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The endpoint of a moto S3 server holding the bucket `BUCKET`; AWS_* set for the session."""
    pytest.importorskip("s3fs", reason="s3fs is in the dev extra")
    server_module = pytest.importorskip("moto.server", reason="moto[server] is in the dev extra")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {name: os.environ.get(name) for name in [*AWS_VARIABLES, "AWS_ENDPOINT_URL"]}
    os.environ.update(AWS_VARIABLES, AWS_ENDPOINT_URL=endpoint)
    import boto3

    boto3.client("s3").create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()  # instances keep the endpoint they were given


@pytest.fixture
def s3_root(s3_endpoint: str) -> str:
    """A fresh, empty prefix in the test bucket."""
    return f"s3://{BUCKET}/{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["local", "s3"])
def storage_root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store root: a local folder, then an S3 prefix on the moto server."""
    if request.param == "local":
        return str(tmp_path / "store")
    return str(request.getfixturevalue("s3_root"))
