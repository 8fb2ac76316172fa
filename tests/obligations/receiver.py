"""A real webhook receiver on loopback (http.server in a thread) that can be taken down: it
answers `status` to every POST and records each request's path and JSON body."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@dataclass
class Receiver:
    url: str  # the webhook URL, with a secret in its path and query
    status: int = 204  # what the next POSTs are answered
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, body)

    @property
    def origin(self) -> str:
        return self.url.split("/hook")[0]


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A receiver at http://127.0.0.1:PORT/hook/s3cret?token=t0ken, up (204) to begin with."""
    made = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if made.status < 300:
                made.received.append((self.path, json.loads(body)))
            self.send_response(made.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    made.url = f"http://127.0.0.1:{server.server_port}/hook/s3cret?token=t0ken"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
