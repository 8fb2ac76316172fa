"""`modelward server` as a real subprocess over a workspace folder, for suites that attack or
drive the server as an outside client would (tests/security, tests/compat)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from modelward.server.inthread import free_port


@contextmanager
def server_process(home: Path, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `modelward server` on a free port over `home` until the block ends; yields its URL.

    The process sees no MODELWARD_* variable of the test run but MODELWARD_HOME and `env`; its
    output goes to `home.parent / "server.log"`, shown when it fails to start.
    """
    port = free_port()
    child = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    child |= {"MODELWARD_HOME": str(home), **(env or {})}
    log = open(home.parent / "server.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "modelward.cli.main", "server", "--port", str(port)],
        env=child,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/whoami", timeout=2).status_code in (401, 200):
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(Path(log.name).read_text(errors="replace")[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
