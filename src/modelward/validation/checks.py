"""`evaluate`: the one pure entry of validation, from a model and a DataFrame to checks.

It scores the model once, runs each family of checks (performance, custom metrics, slices,
fairness, explanations, robustness, behaviour, comparison with a champion), and returns an
`Evaluation`; the service adds identity and time to make a `ValidationReport` and stores it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from modelward.domain.expr import Expr
from modelward.domain.results import CheckResult, ValidationReport, json_safe
from modelward.errors import InvalidInput
from modelward.validation import prepare
from modelward.validation.adversarial import AdversarialConfig, check_adversarial
from modelward.validation.base import Outputs, Part, bounded_check, require_columns
from modelward.validation.behaviour import check_behaviour
from modelward.validation.compare import compare_models
from modelward.validation.config import ValidationConfig
from modelward.validation.explain import check_explanations
from modelward.validation.fairness import check_fairness
from modelward.validation.metrics import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    MetricFn,
    calibration_section,
    compute_metric,
    confusion_section,
    custom_metric_values,
    metric_names,
    roc_section,
)
from modelward.validation.robustness import check_robustness
from modelward.validation.scorecard import check_scorecard
from modelward.validation.slices import check_slices, parse_slice_queries

PROBABILITY_METRICS = frozenset({"roc_auc", "pr_auc", "log_loss", "brier"})


@dataclass(frozen=True)
class Evaluation:
    """Checks, chart data and warnings of one validation: a report without its identity."""

    task: str
    checks: tuple[CheckResult, ...]
    sections: dict[str, Any]
    warnings: tuple[str, ...]
    data_rows: int

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return all(check.passed is not False for check in self.checks)

    def to_report(
        self,
        *,
        model: str,
        version: int,
        created_at: datetime,
        created_by: str,
        dataset_id: str | None = None,
        against: str | None = None,
    ) -> ValidationReport:
        """The `ValidationReport` of this evaluation for one model version."""
        return ValidationReport(
            model=model,
            version=version,
            task=self.task,
            checks=self.checks,
            sections=self.sections,
            warnings=self.warnings,
            created_at=created_at,
            created_by=created_by,
            data_rows=self.data_rows,
            dataset_id=dataset_id,
            against=against,
        )


def _ranking(outputs: Outputs) -> dict[str, float | None]:
    """precision@k, recall@k and NDCG@k (k = 1, 3) of the class probabilities against the
    target, for classifiers of more than two classes (a recommender choosing among items);
    the same function monitoring reports per window (`stats/ranking.py`)."""
    from modelward.stats import ranking

    classes = outputs.classes
    if outputs.task != "classification" or outputs.proba is None or not classes:
        return {}
    if len(classes) <= 2:
        return {}
    relevance = ranking.one_hot(list(outputs.y_true), list(classes))
    ks = [k for k in ranking.DEFAULT_K if k <= len(classes)]
    return ranking.ranking_metrics(relevance, outputs.proba, ks)


def evaluate(
    model: Any,
    data: pd.DataFrame,
    *,
    target: str,
    sensitive: Sequence[str] = (),
    task: str | None = None,
    config: ValidationConfig | None = None,
    features: Sequence[str] | None = None,
    champion: Any = None,
    reference_profile: Mapping[str, Any] | None = None,
    behaviour: Sequence[Mapping[str, Any]] = (),
    custom_metrics: Mapping[str, MetricFn] | None = None,
    quality_checks: Sequence[CheckResult] | None = None,
) -> Evaluation:
    """Validate `model` on `data` and return every check with its chart data.

    Args:
        model: Anything with ``predict(DataFrame)``; ``predict_proba`` and ``classes_`` are
            used when present (scikit-learn API).
        data: Held-out rows with the features, the target and the sensitive columns.
        target: The target column.
        sensitive: Sensitive attributes for fairness (binary classification only).
        task: "classification" or "regression"; inferred from the model and target if None.
        config: Thresholds and knobs; `ValidationConfig()` by default.
        features: The model's input columns; default ``model.feature_names_in_``, else every
            column but the target.
        champion: A model to compare with on the same rows.
        reference_profile: The training data's profile (`modelward.stats.profile`), for the
            training range in robustness probes.
        behaviour: Behaviour tests, added to ``config.behaviour``.
        custom_metrics: Name -> ``(y_true, y_pred, y_proba) -> float``, reported as
            ``custom.<name>`` and bounded by ``config.metrics`` (``max_<name>``).
        quality_checks: Data-quality checks computed by the caller, added as they are.

    Raises:
        InvalidInput: the data, target, features, configuration or model answers cannot be
            validated; the message names the column or setting.
    """
    config = config or ValidationConfig()
    custom = dict(custom_metrics or {})
    frame = prepare.check_data(data, target=target, sensitive=sensitive)
    # user-defined slices are checked against the data before the model is scored
    slice_queries = parse_slice_queries(config.slices, columns=frame.columns)
    columns = prepare.model_features(model, frame, target=target, features=features)
    X = frame[columns]
    kind = prepare.infer_task(model, frame[target], task=task)
    outputs, decide, warnings = prepare.score(
        model,
        X,
        frame[target],
        task=kind,
        positive_label=config.positive_label,
        decision_threshold=config.decision_threshold,
    )
    part = Part(warnings=list(warnings))
    part.extend(_performance(outputs, config, custom))
    if config.scorecard and outputs.binary:
        part.extend(
            check_scorecard(outputs, bands=config.score_bands, confidence=config.confidence)
        )
    part.extend(_slices(outputs, frame, target, config, slice_queries))
    if sensitive:
        part.extend(_fairness(outputs, frame[list(sensitive)], config))
    if config.explain:
        part.extend(_explanations(model, X, outputs, config))
    if config.robustness:
        part.extend(_robustness(model, X, outputs, decide, config, reference_profile))
    if config.adversarial is not None:
        part.extend(
            check_adversarial(
                X,
                outputs=outputs,
                decide=decide,
                config=AdversarialConfig.from_mapping(
                    {"favourable": config.favourable_label, **config.adversarial}
                ),
                profile=reference_profile,
                bounds=config.feature_bounds,
                seed=config.seed,
            )
        )
    tests = [*config.behaviour, *behaviour]
    if tests:
        part.extend(
            check_behaviour(
                model, X, outputs=outputs, tests=tests, rows=config.behaviour_rows, seed=config.seed
            )
        )
    if champion is not None:
        part.extend(_comparison(champion, frame, target, columns, outputs, config))
    part.checks.extend(quality_checks or ())
    return Evaluation(
        task=kind,
        checks=tuple(part.checks),
        sections=json_safe(part.sections),
        warnings=tuple(part.warnings),
        data_rows=len(frame),
    )


def _performance(outputs: Outputs, config: ValidationConfig, custom: dict[str, MetricFn]) -> Part:
    bounds = config.metric_bounds()
    known = {*CLASSIFICATION_METRICS, *REGRESSION_METRICS}
    for name in custom:
        if name in known:
            raise InvalidInput(f"Custom metric {name!r} has the name of a built-in metric.")
    for metric in bounds:
        if metric not in known and metric not in custom:
            raise InvalidInput(
                f"Metric bound on {metric!r} names no built-in or custom metric; built-in "
                f"metrics are {', '.join(sorted(known))}."
            )
    part = Part()
    values = {name: compute_metric(name, outputs) for name in metric_names(outputs)}
    figures = {f"performance.{name}": value for name, value in values.items()}
    figures.update(
        {f"custom.{name}": v for name, v in custom_metric_values(custom, outputs).items()}
    )
    for check_name, value in figures.items():
        metric = check_name.split(".", 1)[1]
        direction, threshold = bounds.get(metric, ("", None))
        if threshold is not None and outputs.proba is None and metric in PROBABILITY_METRICS:
            # not a weakness of this model's answers: it gives none to judge
            part.warnings.append(
                f"The bound on {metric} was not applied: the model has no predict_proba."
            )
            threshold = None
        part.checks.append(
            bounded_check(check_name, value, threshold=threshold, direction=direction)
        )
    part.sections["metrics"] = figures
    ranked = _ranking(outputs)
    if ranked:
        part.sections["ranking"] = ranked
        part.checks.extend(
            bounded_check(f"performance.{name}", value, threshold=None, direction="")
            for name, value in ranked.items()
        )
    if outputs.task == "classification":
        part.sections["confusion_matrix"] = confusion_section(outputs)
        for key, section in (
            ("calibration", calibration_section(outputs)),
            ("roc_curve", roc_section(outputs)),
        ):
            if section is not None:
                part.sections[key] = section
    return part


def _slices(
    outputs: Outputs,
    frame: pd.DataFrame,
    target: str,
    config: ValidationConfig,
    queries: Mapping[str, Expr],
) -> Part:
    if config.slice_features is not None:
        columns = list(config.slice_features)
    else:  # every column but the target: slicing by what the model does not read helps too
        columns = [str(c) for c in frame.columns if c != target]
    require_columns(frame, columns, role="slice feature")
    return check_slices(
        outputs,
        features=frame[columns],
        metric=config.slice_metric,
        gap=config.slice_gap,
        min_size=config.slice_min_size,
        bins=config.slice_bins,
        queries=queries,
        query_data=frame,
        max_levels=config.slice_max_levels,
    )


def _fairness(outputs: Outputs, groups: pd.DataFrame, config: ValidationConfig) -> Part:
    if not outputs.binary:
        kind = outputs.task if outputs.task == "regression" else "multiclass"
        return Part(warnings=[f"Fairness checks need a binary classifier; skipped for {kind}."])
    return check_fairness(
        outputs,
        sensitive_features=groups,
        favourable_label=config.favourable_label,
        max_demographic_parity_difference=config.max_demographic_parity_difference,
        min_four_fifths_ratio=config.min_four_fifths_ratio,
        max_equalized_odds_difference=config.max_equalized_odds_difference,
        intersections=config.fairness_intersections,
        min_group_size=config.fairness_min_group_size,
    )


def _explanations(model: Any, X: pd.DataFrame, outputs: Outputs, config: ValidationConfig) -> Part:
    return check_explanations(
        model,
        X,
        outputs=outputs,
        top_k=config.importance_top_k,
        repeats=config.importance_repeats,
        importance_rows=config.importance_rows,
        pdp_rows=config.pdp_rows,
        grid_resolution=config.pdp_grid,
        shap_rows=config.shap_rows,
        seed=config.seed,
    )


def _robustness(
    model: Any,
    X: pd.DataFrame,
    outputs: Outputs,
    decide: prepare.Decide,
    config: ValidationConfig,
    reference_profile: Mapping[str, Any] | None,
) -> Part:
    return check_robustness(
        model,
        X,
        outputs=outputs,
        decide=decide,
        noise_scale=config.noise_scale,
        max_flip_rate=config.max_flip_rate,
        extreme_k=config.extreme_k,
        rows=config.robustness_rows,
        seed=config.seed,
        reference_profile=reference_profile,
        bounds=config.feature_bounds,
    )


def _comparison(
    champion: Any,
    frame: pd.DataFrame,
    target: str,
    columns: list[str],
    outputs: Outputs,
    config: ValidationConfig,
) -> Part:
    # the champion may read other columns than the challenger; its own names win
    own = (
        prepare.model_features(champion, frame, target=target)
        if hasattr(champion, "feature_names_in_")
        else columns
    )
    champion_outputs, _, warnings = prepare.score(
        champion,
        frame[own],
        frame[target],
        task=outputs.task,
        positive_label=outputs.positive_label,
        decision_threshold=config.decision_threshold,
    )
    part = compare_models(
        champion_outputs,
        outputs,
        metrics=config.comparison_metrics,
        resamples=config.bootstrap_resamples,
        confidence=config.confidence,
        seed=config.seed,
    )
    part.warnings.extend(f"Champion: {warning}" for warning in warnings)
    return part
