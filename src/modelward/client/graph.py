"""GraphClient (model interactions) and GuardrailsClient (a deployment's guardrails), over the
local workspace."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from modelward.client.local import LocalBackend
from modelward.deploy import guardrails as guardrail_service
from modelward.domain.graph import Acknowledgement, Dependency
from modelward.domain.guardrails import GuardrailSpec
from modelward.governance import graph as graph_service


class GraphClient:
    """What models consume, the graph around a model, what a change affects downstream, and
    downstream owners' acknowledgements."""

    def __init__(self, backend: LocalBackend) -> None:
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
        return graph_service.declare(
            self._b.uow(),
            model=model,
            upstream_uri=upstream_uri,
            guard=self._b.guard(),
            version=version,
            deployment=deployment,
            dataset=dataset,
            reason=reason,
        )

    def remove(self, dependency_id: int, *, reason: str = "") -> Dependency:
        return graph_service.remove(
            self._b.uow(), dependency_id=dependency_id, guard=self._b.guard(), reason=reason
        )

    def graph(self, model: str) -> graph_service.ModelGraph:
        return graph_service.model_graph(
            self._b.uow(read_only=True),
            model=model,
            policies=self._b.workspace.policies,
            now=self._b.now(),
            protected=self._b.workspace.protected_aliases,
        )

    def impact(self, model: str) -> graph_service.Impact:
        return graph_service.impact(self._b.uow(read_only=True), model=model)

    def acknowledge(
        self, upstream: str, version: int, *, downstream: str, comment: str = ""
    ) -> Acknowledgement:
        return graph_service.acknowledge(
            self._b.uow(),
            upstream=upstream,
            version=version,
            downstream=downstream,
            guard=self._b.guard(),
            comment=comment,
        )

    def acknowledgements(
        self, upstream: str, version: int | None = None
    ) -> builtins.list[Acknowledgement]:
        return graph_service.acknowledgements(
            self._b.uow(read_only=True), upstream=upstream, version=version
        )


class GuardrailsClient:
    """Set, read and clear a deployment's guardrails (output constraints, input plausibility,
    the answer on a violation, alerting and canary bounds)."""

    def __init__(self, backend: LocalBackend) -> None:
        self._b = backend

    def set(self, deployment: str, spec: Mapping[str, Any], *, reason: str = "") -> GuardrailSpec:
        return guardrail_service.set_guardrails(
            self._b.uow(), name=deployment, spec=spec, guard=self._b.guard(), reason=reason
        )

    def get(self, deployment: str) -> GuardrailSpec | None:
        return guardrail_service.get_guardrails(self._b.uow(read_only=True), name=deployment)

    def clear(self, deployment: str, *, reason: str = "") -> None:
        guardrail_service.clear_guardrails(
            self._b.uow(), name=deployment, guard=self._b.guard(), reason=reason
        )
