"""A real uvicorn server in a thread on a free loopback port (httpx's serve_in_thread idea)."""

from __future__ import annotations

import time
from typing import Any

from modelward.server.inthread import free_port, serve_in_thread

__all__ = ["free_port", "serve_in_thread", "wait_for"]


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    """Poll `predicate` until it is true (config changes are picked up by polling)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
