"""HttpBackend: the platform server behind the same client methods as the local workspace.

Answers are parsed with the shared wire models and turned back into domain entities, and error
bodies are turned back into the `modelward.errors` class named by their `code`, so code that
uses the client cannot tell local from remote. Models, datasets and artifacts are streamed:
models are serialized here and uploaded as content-addressed blobs; loading downloads the
bytes and checks their sha256 here before anything is unpickled.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from modelward import errors
from modelward.client import http_privacy
from modelward.config import Settings
from modelward.domain.privacy import Reproduction
from modelward.domain.registry import AliasEvent, ModelVersion, RegisteredModel
from modelward.domain.tracking import ArtifactRef, DatasetRef, Experiment, Metric, Run, RunStatus
from modelward.registry import flavors
from modelward.registry.flavors import LoadedModel
from modelward.schemas import core
from modelward.tracking import capture
from modelward.tracking.service import RunDiff

_BY_CODE = {cls.code: cls for cls in errors.all_error_classes()}
_BYTES = {"Content-Type": "application/octet-stream"}  # raw uploads are never parsed as JSON


def segment(value: object) -> str:
    """`value` as one URL path segment: every reserved character percent-encoded ('/' too)."""
    return quote(str(value), safe="")


def error_from(response: httpx.Response) -> errors.ModelwardError:
    """The domain error an error answer stands for (by its `code`)."""
    try:
        body = dict(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return errors.BackendUnavailable(
            f"The server answered {response.status_code} without an error body; check"
            " MODELWARD_SERVER_URL."
        )
    code, message = str(body.pop("code", "")), str(body.pop("message", ""))
    if response.status_code == 401:
        code = errors.Unauthenticated.code
    cls = _BY_CODE.get(code, errors.InvalidInput if response.status_code < 500 else None)
    if cls is None:
        cls = errors.ModelwardError
    return cls(message, **body)


class HttpBackend:
    """An authenticated httpx client for one server; `actor` is the token's user."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        if not settings.server_url:
            raise errors.InvalidInput("Set MODELWARD_SERVER_URL to use the platform server.")
        headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
        self.settings = settings
        self.http = httpx.Client(
            base_url=settings.server_url.rstrip("/") + "/api/v1",
            headers=headers,
            timeout=httpx.Timeout(60.0, connect=10.0),
            transport=transport,
        )
        self._actor: str | None = None

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; raise the domain error of an error answer.

        Raises:
            BackendUnavailable: the server cannot be reached.
            ModelwardError: the subclass named by the error body's code.
        """
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise errors.BackendUnavailable(
                f"Cannot reach the modelward server at {self.settings.server_url!r}: check"
                " MODELWARD_SERVER_URL and that 'modelward server' runs."
            ) from exc
        if response.status_code >= 400:
            raise error_from(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, path, **kwargs).json()

    def now(self) -> datetime:
        """The server's time: what it stamps on what it records (retraining's schedule
        compares ages with it)."""
        found = datetime.fromisoformat(str(self.json("GET", "/time")["now"]))
        return found if found.tzinfo else found.replace(tzinfo=UTC)

    @property
    def actor(self) -> str:
        if self._actor is None:
            self._actor = str(self.json("GET", "/whoami")["user"])
        return self._actor

    def put_blob(self, data: bytes) -> str:
        """Upload bytes content-addressed (the server checks the address); returns the sha."""
        sha = hashlib.sha256(data).hexdigest()
        self.call("PUT", f"/blobs/{segment(sha)}", content=data, headers=_BYTES)
        return sha

    def get_blob(self, sha256: str) -> bytes:
        """Download bytes by address, streamed, and verify them here.

        Raises:
            IntegrityViolation: the bytes received do not hash to their address.
        """
        digest, parts = hashlib.sha256(), []
        try:
            with self.http.stream("GET", f"/blobs/{segment(sha256)}") as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from(response)
                for chunk in response.iter_bytes():
                    digest.update(chunk)
                    parts.append(chunk)
        except httpx.TransportError as exc:
            raise errors.BackendUnavailable("The download from the server broke off.") from exc
        if digest.hexdigest() != sha256:
            raise errors.IntegrityViolation(
                f"Downloaded bytes hash to {digest.hexdigest()[:12]}..., not {sha256[:12]}...;"
                " refusing to use them."
            )
        return b"".join(parts)

    def download(self, method: str, path: str, dest: Path, **kwargs: Any) -> httpx.Headers:
        """Stream an answer's body into the file `dest`; returns the answer's headers.

        Raises:
            BackendUnavailable: the server cannot be reached or the download broke off.
            ModelwardError: the subclass named by the error body's code.
        """
        try:
            with self.http.stream(method, path, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from(response)
                with dest.open("wb") as handle:
                    for chunk in response.iter_bytes():
                        handle.write(chunk)
                return response.headers
        except httpx.TransportError as exc:
            raise errors.BackendUnavailable(
                f"The download from the server at {self.settings.server_url!r} broke off;"
                " try again."
            ) from exc

    def close(self) -> None:
        self.http.close()


def _parquet(data: Any) -> bytes:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(data, str) or hasattr(data, "__fspath__"):
        from modelward.stats import profile as profiling

        data = profiling.to_arrow(data)
    if isinstance(data, pa.Table):
        buffer = io.BytesIO()
        pq.write_table(data, buffer)
        return buffer.getvalue()
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _batch(
    params: dict[str, Any] | None, metrics: Sequence[Metric], tags: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "params": {k: str(v) for k, v in (params or {}).items()},
        "metrics": [m.__dict__ for m in metrics],
        "tags": {k: str(v) for k, v in (tags or {}).items()},
    }


class HttpTrackingClient:
    """`client.tracking` over the server."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend
        self._sent_environments: set[str] = set()

    def start_run(
        self,
        *,
        experiment: str,
        name: str | None = None,
        parent_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> Run:
        env_id, env = capture.environment()
        src = capture.source()
        body = {
            "experiment": experiment,
            "name": name,
            "parent_run_id": parent_run_id,
            "tags": {k: str(v) for k, v in (tags or {}).items()},
            "source": src.__dict__,
            "environment_id": env_id,
            "environment": None if env_id in self._sent_environments else env,
        }
        run = core.RunOut.model_validate(self._b.json("POST", "/runs", json=body)).to_domain()
        self._sent_environments.add(env_id)
        return run

    def log_batch(
        self,
        run_id: str,
        *,
        params: dict[str, Any] | None = None,
        metrics: Sequence[Metric] = (),
        tags: dict[str, Any] | None = None,
    ) -> None:
        self._b.call("POST", f"/runs/{segment(run_id)}/batch", json=_batch(params, metrics, tags))

    def end_run(
        self,
        run_id: str,
        *,
        status: RunStatus = RunStatus.FINISHED,
        params: dict[str, Any] | None = None,
        metrics: Sequence[Metric] = (),
        tags: dict[str, Any] | None = None,
    ) -> None:
        body = _batch(params, metrics, tags) | {"status": RunStatus(status).value}
        self._b.call("POST", f"/runs/{segment(run_id)}/end", json=body)

    def heartbeat(self, run_id: str) -> None:
        self._b.call("POST", f"/runs/{segment(run_id)}/heartbeat")

    def reap_stale_runs(self, *, timeout: float | None = None) -> list[str]:
        if timeout is not None:  # else any user could fail everyone's live runs
            raise errors.InvalidInput(
                "The server reaps with its own MODELWARD_RUN_HEARTBEAT_TIMEOUT; omit --timeout."
            )
        return [str(r) for r in self._b.json("POST", "/runs/reap")]

    def get_run(self, run_id: str) -> Run:
        return core.RunOut.model_validate(
            self._b.json("GET", f"/runs/{segment(run_id)}")
        ).to_domain()

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        found = self._b.json("GET", f"/runs/{segment(run_id)}/metrics/{quote(key, safe='/')}")
        return [core.MetricIO.model_validate(m).to_domain() for m in found]

    def search_runs(
        self,
        *,
        experiments: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[Run]:
        body = {
            "experiments": list(experiments) if experiments is not None else None,
            "filter": filter,
            "order_by": list(order_by) if order_by is not None else None,
            "limit": limit,
            "offset": offset,
        }
        found = self._b.json("POST", "/runs/search", json=body)
        return [core.RunOut.model_validate(r).to_domain() for r in found]

    def list_experiments(self) -> list[Experiment]:
        found = self._b.json("GET", "/experiments")
        return [core.ExperimentOut.model_validate(e).to_domain() for e in found]

    def log_dataset(
        self,
        run_id: str,
        data: Any,
        *,
        name: str,
        role: str = "training",
        source: str | None = None,
    ) -> DatasetRef:
        if source is None and (isinstance(data, str) or hasattr(data, "__fspath__")):
            source = str(data)
        form = {"name": name, "role": role} | ({"source": source} if source else {})
        files = {"file": ("data.parquet", _parquet(data), "application/octet-stream")}
        found = self._b.json("POST", f"/runs/{segment(run_id)}/datasets", data=form, files=files)
        return core.DatasetOut.model_validate(found).to_domain()

    def log_model(
        self, run_id: str, model: Any, *, name: str = "model", input_example: Any = None
    ) -> ArtifactRef:
        flavor = flavors.detect_flavor(model)
        model_bytes = flavors.serialize(model, flavor=flavor)
        meta = flavors.describe(
            model,
            input_example=input_example,
            model_bytes=model_bytes,
            flavor=flavor,
            environment=capture.environment()[1],
        )
        self._b.put_blob(model_bytes)
        body = {"name": name, "meta": json.loads(json.dumps(meta, sort_keys=True, default=str))}
        found = self._b.json("POST", f"/runs/{segment(run_id)}/models", json=body)
        return core.ArtifactOut.model_validate(found).to_domain()

    def log_artifact(self, run_id: str, path: str, data: bytes) -> ArtifactRef:
        found = self._b.json(
            "POST",
            f"/runs/{segment(run_id)}/artifacts",
            params={"path": path},
            content=data,
            headers=_BYTES,
        )
        return core.ArtifactOut.model_validate(found).to_domain()

    def read_artifact(self, run_id: str, path: str) -> bytes:
        ref = next((a for a in self.get_run(run_id).artifacts if a.path == path), None)
        if ref is None:
            raise errors.NotFound(f"Run {run_id!r} has no artifact {path!r}.")
        return self._b.get_blob(ref.sha256)  # verified against the recorded address

    def diff_runs(self, run_a: str, run_b: str) -> RunDiff:
        found = core.RunDiffOut.model_validate(
            self._b.json("GET", "/runs-diff", params={"a": run_a, "b": run_b})
        )
        sections = {
            k: [(str(key), a, b, bool(differs)) for key, a, b, differs in v]
            for k, v in found.sections.items()
        }
        return RunDiff(found.a.to_domain(), found.b.to_domain(), sections)

    def record_reproduction(self, result: Reproduction) -> Reproduction:
        return http_privacy.record_reproduction(self._b, result)

    def reproductions(self, run_id: str) -> list[Reproduction]:
        return http_privacy.reproductions(self._b, run_id)

    def delete_run(self, run_id: str) -> None:
        self._b.call("POST", f"/runs/{segment(run_id)}/delete")

    def restore_run(self, run_id: str) -> None:
        self._b.call("POST", f"/runs/{segment(run_id)}/restore")


def versions(found: Any) -> list[ModelVersion]:
    return [core.VersionOut.model_validate(v).to_domain() for v in found]


class HttpRegistryClient:
    """`client.registry` over the server."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def create_model(
        self, name: str, *, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        body = {"name": name, "description": description, "tags": tags or {}}
        return core.ModelOut.model_validate(self._b.json("POST", "/models", json=body)).to_domain()

    def register(
        self, run_id: str, artifact: str = "model", *, name: str, description: str = ""
    ) -> ModelVersion:
        body = {"run_id": run_id, "artifact": artifact, "description": description}
        return versions([self._b.json("POST", f"/models/{segment(name)}/versions", json=body)])[0]

    def get_model(self, name: str) -> RegisteredModel:
        return core.ModelOut.model_validate(
            self._b.json("GET", f"/models/{segment(name)}")
        ).to_domain()

    def list_models(
        self, *, search: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[RegisteredModel]:
        params = {"limit": limit, "offset": offset} | ({"search": search} if search else {})
        found = self._b.json("GET", "/models", params=params)
        return [core.ModelOut.model_validate(m).to_domain() for m in found]

    def list_versions(self, name: str) -> list[ModelVersion]:
        return versions(self._b.json("GET", f"/models/{segment(name)}/versions"))

    def get_version(self, name: str, version: int) -> ModelVersion:
        return versions(
            [self._b.json("GET", f"/models/{segment(name)}/versions/{segment(version)}")]
        )[0]

    def resolve(self, uri: str) -> ModelVersion:
        return versions([self._b.json("GET", "/models/resolve", params={"uri": uri})])[0]

    def set_alias(self, name: str, alias: str, version: int, *, reason: str = "") -> AliasEvent:
        body = {"version": version, "reason": reason}
        found = self._b.json("PUT", f"/models/{segment(name)}/aliases/{segment(alias)}", json=body)
        return core.AliasEventOut.model_validate(found).to_domain()

    def delete_alias(self, name: str, alias: str, *, reason: str = "") -> AliasEvent:
        found = self._b.json(
            "POST",
            f"/models/{segment(name)}/aliases/{segment(alias)}/delete",
            json={"reason": reason},
        )
        return core.AliasEventOut.model_validate(found).to_domain()

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        params = {"alias": alias} if alias else {}
        found = self._b.json("GET", f"/models/{segment(name)}/aliases", params=params)
        return [core.AliasEventOut.model_validate(e).to_domain() for e in found]

    def alias_at(self, name: str, alias: str, when: datetime) -> int | None:
        if when.tzinfo is None:  # as the service says, before a round trip
            raise errors.InvalidInput(
                f"The time {when.isoformat()!r} has no timezone; give it in UTC."
            )
        path = f"/models/{segment(name)}/aliases/{segment(alias)}/at"
        found = self._b.json("GET", path, params={"when": when.isoformat()})
        return core.AliasAtOut.model_validate(found).version

    def version_meta(self, name: str, version: int) -> dict[str, Any]:
        return dict(
            self._b.json("GET", f"/models/{segment(name)}/versions/{segment(version)}/meta")
        )

    def delete_version(self, name: str, version: int, *, reason: str = "") -> None:
        path = f"/models/{segment(name)}/versions/{segment(version)}/delete"
        self._b.call("POST", path, json={"reason": reason})

    def delete_model(self, name: str, *, reason: str = "") -> None:
        self._b.call("POST", f"/models/{segment(name)}/delete", json={"reason": reason})

    def load_model(self, uri: str) -> LoadedModel:
        """Resolve, download the description and the bytes, verify both hashes here, load."""
        version = self.resolve(uri)
        meta = json.loads(self._b.get_blob(version.meta_sha256))
        if meta["model_sha256"] != version.artifact_sha256:
            raise errors.IntegrityViolation(
                f"{version.uri}: its metadata names model file {meta['model_sha256'][:12]}..., the"
                f" registry recorded {version.artifact_sha256[:12]}...; refusing to load."
            )
        model_bytes = self._b.get_blob(version.artifact_sha256)
        return flavors.load(meta, model_bytes, uri=version.uri, allow_pickle=True)

    def model_card(self, name: str, version: int) -> str:
        return str(
            self._b.json("GET", f"/models/{segment(name)}/versions/{segment(version)}/card")["text"]
        )

    def iter_artifact(self, run_id: str, path: str) -> Iterator[bytes]:
        """A run artifact's bytes (by its recorded path)."""
        yield self._b.call(
            "GET", f"/runs/{segment(run_id)}/artifacts/{quote(path, safe='/')}"
        ).content
