"""Guardrails of a deployment: what its answers and its inputs must look like, what happens on
a violation, and the bounds of canary analysis (pure rules; the checks run in
``modelward.serving.guardrails``).

A spec is a JSON-ready mapping kept with the deployment; `GuardrailSpec.parse` reads it and
refuses anything unknown or out of range with a message naming the field.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from modelward.errors import InvalidInput


class OnViolation(enum.StrEnum):
    """What the scoring service answers when a row breaks a guardrail."""

    LOG = "log"  # answer the model's prediction; count and log the violation
    FALLBACK = "fallback"  # answer the fallback instead for the rows that break a guardrail


@dataclass(frozen=True)
class MetricBound:
    """A monitored metric's bound for canary analysis: `min` and/or `max`; with `estimated`,
    a window without a realised value for the challenger is judged on the label-free
    estimate (CBPE, DLE) instead."""

    min: float | None = None
    max: float | None = None
    estimated: bool = False

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {k: v for k, v in (("min", self.min), ("max", self.max))
                                 if v is not None}  # fmt: skip
        return found | ({"estimated": True} if self.estimated else {})


@dataclass(frozen=True)
class CanaryBounds:
    """When a canary or challenger is rolled back automatically (None: not judged)."""

    max_error_rate: float | None = None  # share of its requests answered with an error
    max_latency_p99_ms: float | None = None
    max_violation_rate: float | None = None  # share of its rows breaking a guardrail
    min_requests: int = 50  # no verdict before the challenger answered this many requests
    metrics: Mapping[str, MetricBound] = field(default_factory=dict)  # monitored metrics

    def as_dict(self) -> dict[str, Any]:
        return {
            "max_error_rate": self.max_error_rate,
            "max_latency_p99_ms": self.max_latency_p99_ms,
            "max_violation_rate": self.max_violation_rate,
            "min_requests": self.min_requests,
            "metrics": {k: v.as_dict() for k, v in self.metrics.items()},
        }


@dataclass(frozen=True)
class GuardrailSpec:
    """Output constraints, input plausibility, the answer on a violation, and alerting."""

    output_min: float | None = None
    output_max: float | None = None
    allowed_classes: tuple[Any, ...] | None = None
    max_class_share: float | None = None  # largest share of one class among a minute's rows
    min_rows_for_share: int = 20  # the share is judged once a minute holds this many rows
    check_ranges: bool = True  # numeric inputs within the training profile's [min, max] ...
    range_margin: float = 0.0  # ... widened by this share of the range on each side
    check_categories: bool = True  # categorical inputs among the training profile's categories
    max_ood: float | None = None  # largest per-row out-of-distribution score (0..1)
    on_violation: OnViolation = OnViolation.LOG
    fallback: Any = None  # the answer for a broken row; None: the deployment's kill-switch one
    alert_rate: float = 0.05  # a minute whose violating share exceeds this raises an alert
    canary: CanaryBounds = field(default_factory=CanaryBounds)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> GuardrailSpec:
        """Read a spec mapping.

        Raises:
            InvalidInput: an unknown key, a wrong type or a value out of range (`field` names it).
        """
        if not isinstance(raw, Mapping):
            raise InvalidInput("Guardrails must be a mapping of settings.", field="guardrails")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InvalidInput(
                f"Unknown guardrail setting {unknown[0]!r}; expected one of"
                f" {', '.join(sorted(known))}.",
                field=unknown[0],
            )
        values: dict[str, Any] = {}
        for name in ("output_min", "output_max", "max_class_share", "max_ood"):
            if raw.get(name) is not None:
                values[name] = _number(raw[name], name)
        for name in ("check_ranges", "check_categories"):
            if name in raw:
                values[name] = _flag(raw[name], name)
        if "range_margin" in raw:
            values["range_margin"] = _number(raw["range_margin"], "range_margin", low=0.0)
        if "min_rows_for_share" in raw:
            values["min_rows_for_share"] = _count(raw["min_rows_for_share"], "min_rows_for_share")
        if "alert_rate" in raw:
            values["alert_rate"] = _share(raw["alert_rate"], "alert_rate")
        if raw.get("allowed_classes") is not None:
            classes = raw["allowed_classes"]
            scalars = isinstance(classes, list | tuple) and all(
                isinstance(c, str | int | float) for c in classes
            )
            if not scalars or not classes:
                raise InvalidInput(
                    "allowed_classes must be a non-empty list of class labels (strings or"
                    " numbers).",
                    field="allowed_classes",
                )
            values["allowed_classes"] = tuple(classes)
        if "on_violation" in raw:
            try:
                values["on_violation"] = OnViolation(raw["on_violation"])
            except ValueError:
                raise InvalidInput(
                    f"on_violation must be 'log' or 'fallback', got {raw['on_violation']!r}.",
                    field="on_violation",
                ) from None
        values["fallback"] = raw.get("fallback")
        if raw.get("canary") is not None:
            values["canary"] = _canary(raw["canary"])
        return cls(**values).check()

    def check(self) -> GuardrailSpec:
        """Return self if consistent across fields."""
        for name in ("max_class_share", "max_ood"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value <= 1.0:
                raise InvalidInput(f"{name} must be a share in (0, 1], got {value!r}.", field=name)
        low, high = self.output_min, self.output_max
        if low is not None and high is not None and low > high:
            raise InvalidInput(
                f"output_min {low} is above output_max {high}; swap them.", field="output_min"
            )
        return self

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready spec (what `parse` reads back to an equal spec)."""
        return {
            "output_min": self.output_min,
            "output_max": self.output_max,
            "allowed_classes": None if self.allowed_classes is None else list(self.allowed_classes),
            "max_class_share": self.max_class_share,
            "min_rows_for_share": self.min_rows_for_share,
            "check_ranges": self.check_ranges,
            "range_margin": self.range_margin,
            "check_categories": self.check_categories,
            "max_ood": self.max_ood,
            "on_violation": self.on_violation.value,
            "fallback": self.fallback,
            "alert_rate": self.alert_rate,
            "canary": self.canary.as_dict(),
        }


def _number(value: Any, name: str, *, low: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number, got {value!r}.", field=name)
    if low is not None and value < low:
        raise InvalidInput(f"{name} must be at least {low}, got {value!r}.", field=name)
    return float(value)


def _share(value: Any, name: str) -> float:
    number = _number(value, name)
    if not 0.0 <= number <= 1.0:
        raise InvalidInput(f"{name} must be a share between 0 and 1, got {value!r}.", field=name)
    return number


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false, got {value!r}.", field=name)
    return value


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{name} must be a whole number >= 1, got {value!r}.", field=name)
    return value


def _canary(raw: Any) -> CanaryBounds:
    if not isinstance(raw, Mapping):
        raise InvalidInput("canary must be a mapping of bounds.", field="canary")
    known = {f.name for f in fields(CanaryBounds)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(
            f"Unknown canary bound {unknown[0]!r}; expected one of {', '.join(sorted(known))}.",
            field=f"canary.{unknown[0]}",
        )
    values: dict[str, Any] = {}
    for name in ("max_error_rate", "max_violation_rate"):
        if raw.get(name) is not None:
            values[name] = _share(raw[name], f"canary.{name}")
    if raw.get("max_latency_p99_ms") is not None:
        values["max_latency_p99_ms"] = _number(
            raw["max_latency_p99_ms"], "canary.max_latency_p99_ms", low=0.0
        )
    if "min_requests" in raw:
        values["min_requests"] = _count(raw["min_requests"], "canary.min_requests")
    metrics = raw.get("metrics") or {}
    if not isinstance(metrics, Mapping):
        raise InvalidInput(
            "canary.metrics must map metric names to {min, max}.", field="canary.metrics"
        )
    values["metrics"] = {str(name): _metric_bound(name, b) for name, b in metrics.items()}
    return CanaryBounds(**values)


def _metric_bound(metric: Any, raw: Any) -> MetricBound:
    where = f"canary.metrics.{metric}"
    if (
        not isinstance(raw, Mapping)
        or not set(raw) <= {"min", "max", "estimated"}
        or not set(raw) & {"min", "max"}
    ):
        raise InvalidInput(
            f"{where} must be {{min: X}} and/or {{max: Y}} (and estimated: true to judge"
            " label-free estimates where no realised value exists).",
            field=where,
        )
    low = None if raw.get("min") is None else _number(raw["min"], f"{where}.min")
    high = None if raw.get("max") is None else _number(raw["max"], f"{where}.max")
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"{where}: min {low:g} is above max {high:g}; swap them.", field=where)
    estimated = _flag(raw["estimated"], f"{where}.estimated") if "estimated" in raw else False
    return MetricBound(low, high, estimated)


# a monitoring window as canary analysis reads it: (start, end, summary)
WindowFigures = tuple[datetime, datetime, Mapping[str, Any]]


@dataclass(frozen=True)
class ArmStats:
    """What canary analysis reads of one arm over its window."""

    requests: int
    errors: int = 0
    latency_p99_ms: float | None = None
    rows: int = 0
    violations: int = 0
    metrics: Mapping[str, float] = field(default_factory=dict)


def canary_breaches(bounds: CanaryBounds, stats: ArmStats) -> list[str]:
    """Every bound the challenger's `stats` cross, as sentences; empty when none (or too few
    requests to judge)."""
    if stats.requests < bounds.min_requests:
        return []
    found = []
    error_rate = stats.errors / stats.requests if stats.requests else 0.0
    if bounds.max_error_rate is not None and error_rate > bounds.max_error_rate:
        found.append(f"error rate {error_rate:.3f} > {bounds.max_error_rate:g}")
    p99 = stats.latency_p99_ms
    if (
        bounds.max_latency_p99_ms is not None
        and p99 is not None
        and p99 > bounds.max_latency_p99_ms
    ):
        found.append(f"latency p99 {p99:.1f} ms > {bounds.max_latency_p99_ms:g} ms")
    if bounds.max_violation_rate is not None and stats.rows:
        rate = stats.violations / stats.rows
        if rate > bounds.max_violation_rate:
            found.append(f"guardrail violation rate {rate:.3f} > {bounds.max_violation_rate:g}")
    for metric, bound in bounds.metrics.items():
        value = stats.metrics.get(metric)
        if value is not None:
            found += _crossed(metric, bound, value, "")
    return found


def _crossed(metric: str, bound: MetricBound, value: float, note: str) -> list[str]:
    if bound.min is not None and value < bound.min:
        return [f"{metric} {value:.4g} < {bound.min:g}{note}"]
    if bound.max is not None and value > bound.max:
        return [f"{metric} {value:.4g} > {bound.max:g}{note}"]
    return []


@dataclass(frozen=True)
class MetricReading:
    """A challenger's monitored metric, as canary analysis judges it."""

    metric: str
    value: float
    estimated: bool  # the label-free estimate (no realised value in that window)
    window_start: datetime
    window_end: datetime
    rows: int  # labelled rows behind a realised value; logged rows behind an estimate

    def describe(self) -> str:
        kind = "estimated" if self.estimated else "realised"
        count = "rows" if self.estimated else "labelled rows"
        return (
            f" ({kind}, window {self.window_start:%Y-%m-%d %H:%M}-{self.window_end:%H:%M} UTC,"
            f" {self.rows} {count})"
        )


def challenger_readings(
    bounds: CanaryBounds, windows: Sequence[WindowFigures], version: int
) -> dict[str, MetricReading]:
    """Per bounded metric, the newest reading of `version` in `windows` (any order): the
    realised value where the window has one; else, for a bound with ``estimated``, the
    estimate. A window without figures for the version is skipped."""
    found: dict[str, MetricReading] = {}
    for start, end, summary in sorted(windows, key=lambda w: w[1], reverse=True):
        entry = ((summary or {}).get("versions") or {}).get(str(version)) or {}
        for metric, bound in bounds.metrics.items():
            if metric in found:
                continue
            realised = (entry.get("metrics") or {}).get(metric)
            estimate = (entry.get("estimated") or {}).get(metric) if bound.estimated else None
            if realised is not None:
                rows = int(entry.get("n_labels") or 0)
                found[metric] = MetricReading(metric, float(realised), False, start, end, rows)
            elif estimate is not None:
                rows = int(entry.get("rows") or 0)
                found[metric] = MetricReading(metric, float(estimate), True, start, end, rows)
    return found


def metric_breaches(bounds: CanaryBounds, readings: Mapping[str, MetricReading]) -> list[str]:
    """The monitored-metric bounds the challenger's `readings` cross, as sentences naming the
    window and whether the value was realised or estimated. Not gated by `min_requests`: a
    realised value needs the monitor's `min_labels` labelled rows, an estimate its own
    minimum of rows."""
    found = []
    for metric, bound in bounds.metrics.items():
        reading = readings.get(metric)
        if reading is not None:
            found += _crossed(metric, bound, reading.value, reading.describe())
    return found
