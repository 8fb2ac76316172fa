"""The scoring service's pseudonymiser: the deployment's personal-data columns, re-read every
`every` seconds (new settings, tags or a promotion take effect without a restart), applied
by the prediction-log writer thread, never on the request path.

If the columns were never read (the workspace is unreachable), a batch fails to write rather
than being written in clear.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from modelward.domain.privacy import Pseudonymiser


class RefreshingPseudonymiser:
    """Callable on a batch's inputs (column -> values)."""

    def __init__(self, resolve: Callable[[], Pseudonymiser | None], *, every: float = 30.0):
        self._resolve = resolve
        self._every = every
        self._current: Pseudonymiser | None = None
        self._known = False
        self._at = float("-inf")
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._at < self._every:
            return
        try:
            self._current, self._known = self._resolve(), True
        except Exception:
            if not self._known:
                raise  # never write in clear what might be personal data
        self._at = now

    def __call__(self, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        with self._lock:
            self._refresh()
            current = self._current
        return current(inputs) if current is not None else inputs


def workspace_pseudonymiser(deployment: str, settings: Any) -> RefreshingPseudonymiser:
    """The pseudonymiser of `deployment` in the workspace of `settings` (opened on first use)."""
    opened: list[Any] = []

    def resolve() -> Pseudonymiser | None:
        if not opened:
            from modelward.workspace import Workspace

            opened.append(Workspace.open(settings, create=False))
        found: Pseudonymiser | None = opened[0].pseudonymiser(deployment)
        return found

    return RefreshingPseudonymiser(resolve)
