"""Model interactions: what a model (a version, or a deployment of it) consumes, as a graph.

Pure entities and rules, no I/O. A dependency says that a consumer model reads another model's
output (``models:/fraud-score@champion`` feeding ``credit-risk``) or a data set that model
produced. The graph is kept between models: an edge runs from the upstream model to the
consumer. It must stay acyclic: a model cannot, through any chain, consume its own output.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelward.errors import InvalidInput


class DependencyKind(enum.StrEnum):
    """How a consumer reads from its upstream model."""

    OUTPUT = "output"  # the upstream model's predictions are a feature of the consumer
    DATASET = "dataset"  # a data set the upstream model produced (a batch score, a table)


@dataclass(frozen=True)
class Dependency:
    """One declared edge: `model` (optionally one version, or one deployment of it) consumes
    `upstream` (through the alias or version `upstream_ref`, "" for whatever it serves)."""

    model: str
    upstream: str
    upstream_ref: str = ""
    kind: DependencyKind = DependencyKind.OUTPUT
    version: int | None = None
    deployment: str | None = None
    dataset: str | None = None
    created_by: str = ""
    created_at: datetime | None = None
    id: int | None = None

    @property
    def key(self) -> str:
        """What makes a declaration unique (the same one twice is a Conflict)."""
        consumer = f"{self.model}/{self.version or ''}/{self.deployment or ''}"
        return f"{consumer}<-{self.upstream}@{self.upstream_ref}/{self.dataset or ''}"

    @property
    def upstream_uri(self) -> str:
        """The upstream as a model URI (`models:/NAME@ALIAS`, `/VERSION` or `/latest`)."""
        ref = self.upstream_ref
        if not ref:
            return f"models:/{self.upstream}/latest"
        return (
            f"models:/{self.upstream}/{ref}" if ref.isdigit() else f"models:/{self.upstream}@{ref}"
        )

    def consumer(self) -> str:
        """How messages name the consumer: "credit-risk v3", "deployment scoring (credit-risk)"."""
        if self.deployment:
            return f"deployment {self.deployment} ({self.model})"
        return f"{self.model} v{self.version}" if self.version else self.model

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for audit events and the API."""
        return {
            "model": self.model,
            "version": self.version,
            "deployment": self.deployment,
            "upstream": self.upstream,
            "upstream_ref": self.upstream_ref,
            "kind": self.kind.value,
            "dataset": self.dataset,
        }

    def check(self) -> Dependency:
        """Return self if consistent, else raise InvalidInput saying what to change."""
        if self.model == self.upstream:
            raise InvalidInput(
                f"Model {self.model!r} cannot consume its own output; name another model."
            )
        if self.version is not None and self.deployment is not None:
            raise InvalidInput(
                "A dependency belongs to a version or to a deployment, not both; give one."
            )
        if self.kind is DependencyKind.DATASET and not self.dataset:
            raise InvalidInput("A data set dependency needs the data set's name (--dataset NAME).")
        return self


def adjacency(edges: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """upstream -> the set of models consuming it."""
    out: dict[str, set[str]] = {}
    for upstream, consumer in edges:
        out.setdefault(upstream, set()).add(consumer)
    return out


def find_path(graph: Mapping[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A shortest path `start` -> ... -> `goal` following edges, or None (breadth first)."""
    parents: dict[str, str | None] = {start: None}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(graph.get(node, ())):
                if nxt in parents:
                    continue
                parents[nxt] = node
                if nxt == goal:
                    path = [goal]
                    while (back := parents[path[-1]]) is not None:
                        path.append(back)
                    return path[::-1]
                following.append(nxt)
        frontier = following
    return None


def cycle_if_added(
    edges: Iterable[tuple[str, str]], upstream: str, consumer: str
) -> list[str] | None:
    """The cycle the edge `upstream -> consumer` would close (e.g. [a, b, c, a]), or None."""
    if upstream == consumer:
        return [upstream, upstream]
    back = find_path(adjacency(edges), consumer, upstream)
    return None if back is None else [*back, consumer]


def reachable(graph: Mapping[str, set[str]], start: str) -> dict[str, int]:
    """Every node reachable from `start` (not itself), with its distance in edges."""
    seen: dict[str, int] = {}
    frontier, depth = [start], 0
    while frontier:
        depth += 1
        following = []
        for node in frontier:
            for nxt in sorted(graph.get(node, ())):
                if nxt != start and nxt not in seen:
                    seen[nxt] = depth
                    following.append(nxt)
        frontier = following
    return seen


def reverse(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """The same graph with every edge turned around (consumer -> upstream)."""
    out: dict[str, set[str]] = {}
    for upstream, consumers in graph.items():
        for consumer in consumers:
            out.setdefault(consumer, set()).add(upstream)
    return out


@dataclass(frozen=True)
class Acknowledgement:
    """The owner of `downstream` acknowledged that `upstream` moves to `upstream_version`."""

    upstream: str
    upstream_version: int
    downstream: str
    by: str
    at: datetime
    comment: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "upstream": self.upstream,
            "upstream_version": self.upstream_version,
            "downstream": self.downstream,
            "by": self.by,
            "at": self.at.isoformat(),
            "comment": self.comment,
        }


def ack_item_name() -> str:
    """The gate item's stable name."""
    return "downstream_acknowledged"
