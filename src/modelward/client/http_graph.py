"""`client.graph` and `client.guardrails` over the platform server (same results as the local
namespaces in `client/graph.py`)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from modelward.client.http import HttpBackend, segment
from modelward.domain.graph import Acknowledgement, Dependency, DependencyKind
from modelward.domain.guardrails import GuardrailSpec
from modelward.governance.graph import GraphNode, Impact, ModelGraph


def _at(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def dependency_from(found: Mapping[str, Any]) -> Dependency:
    values = dict(found)
    values["kind"] = DependencyKind(values["kind"])
    values["created_at"] = _at(values.get("created_at"))
    return Dependency(**values)


def ack_from(found: Mapping[str, Any]) -> Acknowledgement:
    values = dict(found)
    at = _at(values.pop("at"))
    assert at is not None
    return Acknowledgement(**values, at=at)


def graph_from(found: Mapping[str, Any]) -> ModelGraph:
    nodes = [
        GraphNode(**(dict(n) | {"deployments": tuple(n["deployments"])})) for n in found["nodes"]
    ]
    return ModelGraph(found["model"], nodes, [dependency_from(d) for d in found["dependencies"]])


class HttpGraphClient:
    """`client.graph` over the server."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def declare(
        self,
        model: str,
        upstream_uri: str,
        *,
        version: int | None = None,
        deployment: str | None = None,
        dataset: str | None = None,
        reason: str = "",
    ) -> Dependency:
        body = {"model": model, "upstream_uri": upstream_uri, "version": version}
        body |= {"deployment": deployment, "dataset": dataset, "reason": reason}
        return dependency_from(self._b.json("POST", "/graph/dependencies", json=body))

    def remove(self, dependency_id: int, *, reason: str = "") -> Dependency:
        path = f"/graph/dependencies/{int(dependency_id)}"
        return dependency_from(self._b.json("DELETE", path, params={"reason": reason}))

    def graph(self, model: str) -> ModelGraph:
        return graph_from(self._b.json("GET", f"/graph/models/{segment(model)}"))

    def impact(self, model: str) -> Impact:
        found = self._b.json("GET", f"/graph/models/{segment(model)}/impact")
        return Impact(**{**found, "model": model})

    def acknowledge(
        self, upstream: str, version: int, *, downstream: str, comment: str = ""
    ) -> Acknowledgement:
        body = {"upstream": upstream, "version": version, "downstream": downstream}
        body["comment"] = comment
        return ack_from(self._b.json("POST", "/graph/acknowledgements", json=body))

    def acknowledgements(
        self, upstream: str, version: int | None = None
    ) -> builtins.list[Acknowledgement]:
        params: dict[str, Any] = {"upstream": upstream}
        if version is not None:
            params["version"] = version
        found = self._b.json("GET", "/graph/acknowledgements", params=params)
        return [ack_from(a) for a in found]


class HttpGuardrailsClient:
    """`client.guardrails` over the server."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def set(self, deployment: str, spec: Mapping[str, Any], *, reason: str = "") -> GuardrailSpec:
        body = {"spec": dict(spec), "reason": reason}
        path = f"/deployments/{segment(deployment)}/guardrails"
        return GuardrailSpec.parse(self._b.json("PUT", path, json=body))

    def get(self, deployment: str) -> GuardrailSpec | None:
        found = self._b.json("GET", f"/deployments/{segment(deployment)}/guardrails")
        return None if found is None else GuardrailSpec.parse(found)

    def clear(self, deployment: str, *, reason: str = "") -> None:
        path = f"/deployments/{segment(deployment)}/guardrails"
        self._b.call("DELETE", path, params={"reason": reason})
