"""`ValidationConfig`: the thresholds and knobs of a validation, with documented defaults.

It is built from the ``validation:`` section of modelward.yaml plus command-line overrides;
reading the file is the caller's business. Keys are the field names below, flat::

    validation:
      metrics: {min_roc_auc: 0.75, max_log_loss: 0.5, max_cost: 1.2}
      slice_gap: 0.03
      slices: {young_renters: "age < 25 and housing == 'rent'"}   # see domain/expr.py
      max_demographic_parity_difference: 0.05
      behaviour:
        - {type: invariance, feature: zip, eps: 0.01}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from modelward.domain.expr import parse
from modelward.errors import InvalidInput

DEFAULT_METRIC_BOUNDS = {"min_roc_auc": 0.7}

# kind of each field, for checking configuration written by people
_KINDS = {
    "metrics": "bounds",
    "positive_label": "any",
    "decision_threshold": "probability?",
    "slice_metric": "str?",
    "slice_gap": "nonnegative",
    "slice_min_size": "count",
    "slice_bins": "count",
    "slice_max_levels": "count",
    "slices": "queries",
    "slice_features": "names?",
    "favourable_label": "any",
    "max_demographic_parity_difference": "probability",
    "min_four_fifths_ratio": "probability",
    "max_equalized_odds_difference": "probability",
    "fairness_intersections": "bool",
    "fairness_min_group_size": "count",
    "scorecard": "bool",
    "score_bands": "count",
    "explain": "bool",
    "importance_top_k": "count",
    "importance_repeats": "count",
    "importance_rows": "count",
    "pdp_rows": "count",
    "pdp_grid": "count",
    "shap_rows": "count",
    "robustness": "bool",
    "noise_scale": "nonnegative",
    "max_flip_rate": "probability",
    "extreme_k": "nonnegative",
    "robustness_rows": "count",
    "feature_bounds": "feature_bounds",
    "adversarial": "adversarial",
    "behaviour": "tests",
    "behaviour_rows": "count",
    "comparison_metrics": "names?",
    "bootstrap_resamples": "count",
    "confidence": "probability",
    "seed": "count",
}


@dataclass(frozen=True)
class ValidationConfig:
    """Thresholds and knobs of a validation; every default is the documented one.

    Attributes:
        metrics: Bounds on metrics as ``min_<metric>`` / ``max_<metric>``, for built-in
            metrics (``min_roc_auc``, ``max_rmse`` ...) and custom ones (``max_cost``).
            Default: ROC AUC at least 0.7. Metrics without a bound are informational. In
            `from_mapping` the bounds given add to the default; ``null`` removes one.
        positive_label: The positive class of a binary task; default the model's second class.
        decision_threshold: Positive-class probability at or above which the decision is
            positive; default None, the model's own `predict`.
        slice_metric: Metric compared on slices; default accuracy (classification), MAE.
        slice_gap: A slice is flagged when it is worse than overall by more than this (0.05;
            relative for error metrics, see `slices`).
        slice_min_size: Slices smaller than this are reported, not flagged (50).
        slice_bins: Quantile bins per numeric feature (4).
        slice_max_levels: Categorical features with more values are not sliced (50).
        slices: User-defined slices, name -> row condition such as ``age < 25 and
            housing == 'rent'`` (the grammar of `modelward.domain.expr`; parsed when the
            config is built, never evaluated as code).
        slice_features: Columns to slice by; default every column but the target.
        favourable_label: The decision a person wants (a loan granted: ``0`` when the model
            predicts default as ``1``). Fairness compares the rate of *favourable* decisions
            between groups, so the four-fifths rule names the groups that receive the good
            outcome less often. Default: the positive class (right when 1 means "selected").
        max_demographic_parity_difference: Largest selection-rate gap between groups (0.1).
        min_four_fifths_ratio: Smallest selection-rate ratio between groups (0.8).
        max_equalized_odds_difference: Largest TPR or FPR gap between groups (0.1).
        scorecard: Gini, KS, score bands with lift/gains and a calibration test per band, for
            binary classifiers with probabilities (on).
        score_bands: Number of score bands, by rank (10).
        fairness_intersections: Also check the intersection of all sensitive attributes.
        fairness_min_group_size: Smaller groups raise a warning (30).
        explain: Compute permutation importance, partial dependence and SHAP.
        importance_top_k: Features reported and given partial dependence curves (5).
        importance_repeats: Shuffles per feature (5).
        importance_rows: Rows sampled for permutation importance (10,000).
        pdp_rows: Rows sampled for partial dependence (1,000).
        pdp_grid: Grid points per partial dependence curve (20).
        shap_rows: Rows explained with SHAP when installed (50).
        robustness: Run the noise and out-of-range checks.
        noise_scale: Noise standard deviation as a share of each feature's (0.05).
        max_flip_rate: Largest share of decisions allowed to flip under that noise (0.05).
        extreme_k: Out-of-range probes at min - k*std and max + k*std (3).
        robustness_rows: Rows sampled for the noise check (10,000).
        feature_bounds: Declared valid range per feature, ``{age: [18, 100], income: [0,
            null]}``: robustness and adversarial probes stay inside (see `domains`).
        adversarial: The adversarial search's settings (see `adversarial`); None: not run,
            ``{}``: run with the defaults (no immutable features declared).
        behaviour: Declared behaviour tests (see `behaviour`).
        behaviour_rows: Rows sampled for behaviour tests (5,000).
        comparison_metrics: Metrics compared with the champion; default per task.
        bootstrap_resamples: Paired bootstrap resamples (1,000).
        confidence: Confidence level of the intervals (0.95).
        seed: Seed of every sample, shuffle and resample (0).
    """

    metrics: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_METRIC_BOUNDS))
    positive_label: Any = None
    decision_threshold: float | None = None
    slice_metric: str | None = None
    slice_gap: float = 0.05
    slice_min_size: int = 50
    slice_bins: int = 4
    slice_max_levels: int = 50
    slices: Mapping[str, str] = field(default_factory=dict)
    slice_features: tuple[str, ...] | None = None
    favourable_label: Any = None
    max_demographic_parity_difference: float = 0.1
    min_four_fifths_ratio: float = 0.8
    max_equalized_odds_difference: float = 0.1
    fairness_intersections: bool = True
    fairness_min_group_size: int = 30
    scorecard: bool = True
    score_bands: int = 10
    explain: bool = True
    importance_top_k: int = 5
    importance_repeats: int = 5
    importance_rows: int = 10_000
    pdp_rows: int = 1_000
    pdp_grid: int = 20
    shap_rows: int = 50
    robustness: bool = True
    noise_scale: float = 0.05
    max_flip_rate: float = 0.05
    extreme_k: float = 3.0
    robustness_rows: int = 10_000
    feature_bounds: Mapping[str, Any] = field(default_factory=dict)
    adversarial: Mapping[str, Any] | None = None
    behaviour: tuple[Mapping[str, Any], ...] = ()
    behaviour_rows: int = 5_000
    comparison_metrics: tuple[str, ...] | None = None
    bootstrap_resamples: int = 1_000
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        # Parse the slice conditions now, also when built directly rather than through
        # `from_mapping`, so a bad one is refused before any data is read or model scored.
        _queries("slices", self.slices)

    @classmethod
    def from_mapping(
        cls, section: Mapping[str, Any] | None = None, **overrides: Any
    ) -> ValidationConfig:
        """Build from a ``validation:`` section, then apply overrides (None means not given).

        Raises:
            InvalidInput: a key is unknown or a value has the wrong type or range; the
                message names the key.
        """
        values = dict(section or {})
        values.update({key: value for key, value in overrides.items() if value is not None})
        if isinstance(values.get("metrics"), Mapping):
            # bounds add to the defaults; a null bound removes one (``min_roc_auc: null``)
            merged = {**DEFAULT_METRIC_BOUNDS, **values["metrics"]}
            values["metrics"] = {k: v for k, v in merged.items() if v is not None}
        known = {f.name for f in fields(cls)}
        for key in values:
            if key not in known:
                raise InvalidInput(
                    f"Unknown validation setting {key!r}; known settings are "
                    f"{', '.join(sorted(known))}."
                )
        return replace(cls(), **{key: _checked(key, value) for key, value in values.items()})

    def metric_bounds(self) -> dict[str, tuple[str, float]]:
        """Bounds per metric name: ``{"roc_auc": ("min", 0.7)}``.

        Raises:
            InvalidInput: a metric has both a minimum and a maximum.
        """
        bounds: dict[str, tuple[str, float]] = {}
        for key, threshold in self.metrics.items():
            direction, metric = key.split("_", 1)
            if metric in bounds:
                raise InvalidInput(f"Metric {metric!r} has both min_ and max_ bounds.")
            bounds[metric] = (direction, float(threshold))
        return bounds


def _checked(key: str, value: Any) -> Any:
    kind = _KINDS[key]
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None and (optional or kind == "any"):
        return None
    checker = _CHECKERS.get(kind)
    return value if checker is None else checker(key, value)


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"Validation setting {key!r} must be a number, got {value!r}.")
    return float(value)


def _probability(key: str, value: Any) -> float:
    number = _number(key, value)
    if not 0.0 <= number <= 1.0:
        raise InvalidInput(f"Validation setting {key!r} must be between 0 and 1, got {value!r}.")
    return number


def _nonnegative(key: str, value: Any) -> float:
    number = _number(key, value)
    if number < 0:
        raise InvalidInput(f"Validation setting {key!r} must be >= 0, got {value!r}.")
    return number


def _count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(
            f"Validation setting {key!r} must be a whole number >= 0, got {value!r}."
        )
    return value


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"Validation setting {key!r} must be true or false, got {value!r}.")
    return value


def _str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"Validation setting {key!r} must be a string, got {value!r}.")
    return value


def _names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"Validation setting {key!r} must be a list of names, got {value!r}.")
    return tuple(value)


def _bounds(key: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"Validation setting {key!r} must map min_/max_<metric> to numbers.")
    for bound, threshold in value.items():
        if (
            not isinstance(bound, str)
            or not bound.startswith(("min_", "max_"))
            or bound
            in (
                "min_",
                "max_",
            )
        ):
            raise InvalidInput(
                f"Metric bound {bound!r} in {key!r} must read min_<metric> or max_<metric>."
            )
        _number(f"{key}.{bound}", threshold)
    return {bound: float(threshold) for bound, threshold in value.items()}


def _queries(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidInput(f"Validation setting {key!r} must map slice names to condition strings.")
    for name, expression in value.items():
        parse(expression, label=f"Slice {name!r} expression")
    return dict(value)


def _tests(key: str, value: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, Mapping) for v in value):
        raise InvalidInput(f"Validation setting {key!r} must be a list of test mappings.")
    return tuple(dict(v) for v in value)


def _feature_bounds(key: str, value: Any) -> dict[str, Any]:
    from modelward.validation.domains import check_bounds

    check_bounds(value)
    return {str(k): list(v) for k, v in value.items()}


def _adversarial(key: str, value: Any) -> dict[str, Any]:
    from modelward.validation.adversarial import AdversarialConfig

    if not isinstance(value, Mapping):
        raise InvalidInput(f"Validation setting {key!r} must be a mapping of settings.")
    AdversarialConfig.from_mapping(value)
    return dict(value)


_CHECKERS = {
    "feature_bounds": _feature_bounds,
    "adversarial": _adversarial,
    "probability": _probability,
    "nonnegative": _nonnegative,
    "count": _count,
    "bool": _bool,
    "str": _str,
    "names": _names,
    "bounds": _bounds,
    "queries": _queries,
    "tests": _tests,
}
