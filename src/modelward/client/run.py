"""ActiveRun: the handle a training script logs into, with batched, durable logging.

`log_metric`, `log_param` and `set_tag` only validate and append to an in-memory buffer. The
buffer is written in one transaction when it holds `max_buffer` items, every
`flush_interval` seconds by a background thread, and when the run ends, fails or the process
exits (atexit). A hard kill (SIGKILL, power loss) therefore loses at most the values logged
in the last `flush_interval` seconds (1 s by default, MODELWARD_FLUSH_INTERVAL).

The same thread sends a heartbeat for each active run every `HEARTBEAT_SECONDS`; a RUNNING run
whose heartbeats stop (the process was killed) is later marked FAILED by
`tracking.service.reap_stale_runs`.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import weakref
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from modelward.client import artifact_bytes
from modelward.domain.names import check_key, check_metric_value, check_param_value
from modelward.domain.tracking import DatasetRef, Metric, Run, RunStatus
from modelward.errors import BackendUnavailable, Conflict

if TYPE_CHECKING:
    from modelward.client import Client

_ACTIVE: weakref.WeakSet[ActiveRun] = weakref.WeakSet()
HEARTBEAT_SECONDS = 30.0  # well under the reaping timeout (10 min by default)
_stack = threading.local()


def _flush_all_at_exit() -> None:
    for run in list(_ACTIVE):
        run._finish_at_exit()


atexit.register(_flush_all_at_exit)
_PROCESS_FAILED = False
_previous_excepthook = sys.excepthook


def _note_failure(*exc_info: Any) -> None:
    # An uncaught exception ends the script: runs still open at exit then end as FAILED.
    global _PROCESS_FAILED
    _PROCESS_FAILED = True
    _previous_excepthook(*exc_info)


sys.excepthook = _note_failure


class _Flusher:
    """One background thread per process flushes every active run that is due.

    A thread per run would cost a thread start per run (milliseconds on a busy machine) and
    thousands of idle threads in a hyper-parameter sweep.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="modelward-flusher", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            runs = list(_ACTIVE)
            interval = min((r.flush_interval for r in runs), default=1.0)
            self._wake.wait(interval / 2)
            now = time.monotonic()
            for run in runs:
                if now - run._last_flush >= run.flush_interval:
                    run._background_flush()
                if now - run._last_heartbeat >= run.heartbeat_interval:
                    run._background_heartbeat(now)


_FLUSHER = _Flusher()


def current_run() -> ActiveRun | None:
    """The innermost run started with `with start_run(...)` in this thread."""
    stack: list[ActiveRun] = getattr(_stack, "runs", [])
    return stack[-1] if stack else None


class ActiveRun:
    """A RUNNING run and its logging buffer. Use it as a context manager."""

    def __init__(
        self, client: Client, run: Run, *, flush_interval: float = 1.0, max_buffer: int = 10_000
    ) -> None:
        self.client = client
        self.run = run
        self.id = run.id
        self.flush_interval = flush_interval
        self.max_buffer = max_buffer
        self._lock = threading.RLock()
        self._params: dict[str, str] = {}
        self._logged_params: dict[str, str] = {}
        self._metrics: list[Metric] = []
        self._tags: dict[str, str] = {}
        self._ended = False
        self._error: Exception | None = None
        self._last_flush = time.monotonic()
        self.heartbeat_interval = HEARTBEAT_SECONDS
        self._last_heartbeat = time.monotonic()  # starting the run counts as the first one
        _ACTIVE.add(self)
        _FLUSHER.ensure_started()

    # logging -----------------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Params are fixed once logged: another value for the same key raises Conflict."""
        clean = {check_key(k, what="param"): check_param_value(k, v) for k, v in params.items()}
        with self._lock:
            for key, value in clean.items():
                old = self._logged_params.get(key)
                if old is not None and old != value:
                    raise Conflict(
                        f"Param {key!r} of run {self.id!r} is already {old!r}; it cannot become"
                        f" {value!r}. Log a metric or a tag instead, or start a new run."
                    )
            self._logged_params.update(clean)
            self._params.update(clean)
        self._maybe_flush()

    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        check_key(key, what="metric")
        number = check_metric_value(key, value)
        ts = int(time.time() * 1000) if timestamp is None else int(timestamp)
        with self._lock:
            self._metrics.append(Metric(key, number, int(step or 0), ts))
            full = len(self._metrics) >= self.max_buffer
        if full:
            self.flush()

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step=step)

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        clean = {check_key(k, what="tag"): str(v) for k, v in tags.items()}
        with self._lock:
            self._tags.update(clean)
        self._maybe_flush()

    def log_dataset(
        self,
        data: Any,
        name: str,
        *,
        role: str = "training",
        source: str | None = None,
        snapshot: bool = False,
    ) -> DatasetRef:
        """Fingerprint, profile and sample `data` and link it to this run (written at once).

        With `snapshot`, the whole data set is stored too (content-addressed; a file's own
        bytes), so `modelward runs reproduce` can re-run on it; a policy may require it.
        """
        ref = self.client.tracking.log_dataset(self.id, data, name=name, role=role, source=source)
        if snapshot:
            from modelward.client.reproduce import snapshot_bytes
            from modelward.tracking.capture import DATA_PREFIX

            content, suffix = snapshot_bytes(data)
            self.client.tracking.log_artifact(self.id, f"{DATA_PREFIX}{name}{suffix}", content)
        return ref

    def log_model(self, model: Any, name: str = "model", *, input_example: Any = None) -> Any:
        """Save `model` with its flavor, signature and environment (written at once)."""
        return self.client.tracking.log_model(
            self.id, model, name=name, input_example=input_example
        )

    def log_artifact(self, path: str, data: bytes) -> Any:
        """Store `data` as the run's artifact `path` (written at once)."""
        return self.client.tracking.log_artifact(self.id, path, data)

    def log_text(self, text: str, path: str) -> Any:
        """Store `text` (UTF-8) as the artifact `path`, e.g. ``"notes/summary.md"``."""
        return self.log_artifact(path, text.encode("utf-8"))

    def log_dict(self, data: Mapping[str, Any] | list[Any], path: str) -> Any:
        """Store `data` as JSON, or as YAML when `path` ends in .yaml/.yml."""
        return self.log_artifact(path, artifact_bytes.dict_bytes(data, path))

    def log_figure(self, figure: Any, path: str) -> Any:
        """Store a Matplotlib or Plotly figure: PNG/SVG/PDF for Matplotlib (by extension), a
        self-contained HTML page (``.html``) or Plotly's JSON (``.json``) for Plotly."""
        return self.log_artifact(path, artifact_bytes.figure_bytes(figure, path))

    # flushing ----------------------------------------------------------------------------
    def _maybe_flush(self) -> None:
        with self._lock:
            size = len(self._metrics) + len(self._params) + len(self._tags)
        if size >= self.max_buffer:
            self.flush()

    def _take(self) -> tuple[dict[str, str], list[Metric], dict[str, str]]:
        params, metrics, tags = self._params, self._metrics, self._tags
        self._params, self._metrics, self._tags = {}, [], {}
        return params, metrics, tags

    def _put_back(
        self, params: dict[str, str], metrics: list[Metric], tags: dict[str, str]
    ) -> None:
        # In front of anything logged meanwhile, so order is kept for the retry.
        self._params = params | self._params
        self._metrics = metrics + self._metrics
        self._tags = tags | self._tags

    def flush(self) -> None:
        """Write everything buffered in one transaction; keep it buffered if the store is down."""
        with self._lock:
            self._last_flush = time.monotonic()
            if self._ended or not (self._metrics or self._params or self._tags):
                return
            batch = self._take()
            try:
                self.client.tracking.log_batch(
                    self.id, params=batch[0], metrics=batch[1], tags=batch[2]
                )
            except BackendUnavailable:
                self._put_back(*batch)
                raise

    def _background_flush(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # surfaced by end(); the flusher keeps going
            self._error = exc

    def _background_heartbeat(self, now: float) -> None:
        self._last_heartbeat = now
        if self._ended:
            return
        try:
            self.client.tracking.heartbeat(self.id)
        except Exception:  # a missed heartbeat is retried next interval; logging goes on
            pass

    # ending ------------------------------------------------------------------------------
    def end(self, status: RunStatus = RunStatus.FINISHED) -> None:
        """Write what is buffered and mark the run ended, in one transaction (once)."""
        with self._lock:
            if self._ended:
                return
            batch = self._take()
            try:
                self.client.tracking.end_run(
                    self.id, status=status, params=batch[0], metrics=batch[1], tags=batch[2]
                )
            except BackendUnavailable:
                self._put_back(*batch)
                raise
            self._ended = True
            _ACTIVE.discard(self)
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _finish_at_exit(self) -> None:
        try:
            self.end(RunStatus.FAILED if _PROCESS_FAILED else RunStatus.FINISHED)
        except Exception:  # nothing sensible to raise into at interpreter exit
            pass

    def __enter__(self) -> ActiveRun:
        stack = getattr(_stack, "runs", None)
        if stack is None:
            stack = _stack.runs = []
        stack.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack = getattr(_stack, "runs", [])
        if self in stack:
            stack.remove(self)
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        self.end(status)

    def __repr__(self) -> str:
        return f"ActiveRun(id={self.id!r}, experiment={self.run.experiment!r})"
