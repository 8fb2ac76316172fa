"""Prometheus metrics of the scoring service: requests, errors, rows and latency, per version
and arm. Each app gets its own registry; with several workers set PROMETHEUS_MULTIPROC_DIR
(``modelward serve --workers N`` does) and ``/metrics`` aggregates every worker's files."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ServingMetrics:
    """The service's counters and histograms (labels: deployment, version, arm)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["deployment", "version", "arm"]
        self.requests = Counter(
            "modelward_requests", "Answered prediction requests.", labels, registry=self.registry
        )
        self.rows = Counter("modelward_rows", "Scored rows.", labels, registry=self.registry)
        self.latency = Histogram(
            "modelward_request_latency_seconds",
            "Time from request received to answer ready.",
            labels,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "modelward_errors",
            "Requests answered with an error, by error code.",
            ["deployment", "code"],
            registry=self.registry,
        )
        self.shadow_dropped = Counter(
            "modelward_shadow_dropped",
            "Shadow scorings skipped because the shadow queue was full.",
            ["deployment"],
            registry=self.registry,
        )
        self.config_seq = Gauge(
            "modelward_config_seq",
            "The deployment configuration this process serves.",
            ["deployment"],
            registry=self.registry,
            multiprocess_mode="max",
        )

        self.guardrail_violations = Counter(
            "modelward_guardrail_violations",
            "Rows that broke a guardrail, by kind (output_bounds, input_range, input_ood ...).",
            ["deployment", "version", "kind"],
            registry=self.registry,
        )
        self.guardrail_fallbacks = Counter(
            "modelward_guardrail_fallbacks",
            "Rows answered with the guardrails' fallback instead of the model's prediction.",
            ["deployment", "version"],
            registry=self.registry,
        )
        self.canary_rollbacks = Counter(
            "modelward_canary_rollbacks",
            "Challengers taken out of traffic by canary analysis.",
            ["deployment", "version"],
            registry=self.registry,
        )

    def observe(self, deployment: str, version: int, arm: str, rows: int, seconds: float) -> None:
        """Record one answered request."""
        labels = (deployment, str(version), arm)
        self.requests.labels(*labels).inc()
        self.rows.labels(*labels).inc(rows)
        self.latency.labels(*labels).observe(seconds)

    def exposition(self) -> bytes:
        """The text format, across workers when PROMETHEUS_MULTIPROC_DIR is set."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return bytes(generate_latest(merged))
        return bytes(generate_latest(self.registry))
