"""Robustness: decisions that flip under small noise, and outputs at out-of-range inputs.

Noise and extremes apply to continuous features only (numeric, not boolean, more than
`CONTINUOUS_MIN_VALUES` distinct values): adding noise to a flag or a code would test the
encoding, not the model. Rows are sampled with a fixed seed, so results are reproducible.
Probes stay in each feature's valid domain (`domains`): declared bounds (``feature_bounds``)
hold, and a feature never negative in training is not made negative (no negative ages or
incomes); the out-of-range probes still go beyond the training range inside those limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.results import CheckResult
from modelward.validation.base import (
    Outputs,
    Part,
    as_float,
    bounded_check,
    model_scores,
    sample_rows,
)
from modelward.validation.domains import FeatureDomain, feature_domains, valid_range

CONTINUOUS_MIN_VALUES = 10
PROBABILITY_TOLERANCE = 1e-6
NOISE_STREAM = 0x6E6F697365  # "noise"

Decide = Callable[[pd.DataFrame], np.ndarray]


def continuous_features(X: pd.DataFrame) -> list[str]:
    """Columns that take noise: numeric, not boolean, with enough distinct values."""
    return [
        str(column)
        for column in X.columns
        if pd.api.types.is_numeric_dtype(X[column])
        and not pd.api.types.is_bool_dtype(X[column])
        and X[column].nunique(dropna=True) > CONTINUOUS_MIN_VALUES
    ]


def add_noise(
    X: pd.DataFrame,
    features: list[str],
    *,
    scale: float,
    seed: int,
    domains: Mapping[str, FeatureDomain] | None = None,
) -> pd.DataFrame:
    """A copy of `X` with Gaussian noise of ``scale * std`` added to each of `features`, kept
    inside each feature's floor and declared bounds when `domains` are given."""
    # a stream of its own: data generated with the same plain seed must not match the noise
    rng = np.random.default_rng([seed, NOISE_STREAM])
    noisy = X.copy()
    for feature in features:
        values = X[feature].to_numpy(dtype=float, na_value=np.nan)
        spread = float(np.nanstd(values)) if values.size > 1 else 0.0
        moved = values + rng.normal(0.0, scale * spread, size=values.size)
        if domains is not None and feature in domains:
            low, high = valid_range(domains[feature], -np.inf, np.inf)
            moved = np.clip(moved, low, high)
        noisy[feature] = moved
    return noisy


def flip_rate(
    decide: Decide,
    X: pd.DataFrame,
    *,
    features: list[str],
    scale: float,
    seed: int,
    domains: Mapping[str, FeatureDomain] | None = None,
) -> float:
    """Share of rows whose decision changes when `features` get noise (see `add_noise`)."""
    if len(X) == 0:
        return 0.0
    before = np.asarray(decide(X))
    after = np.asarray(decide(add_noise(X, features, scale=scale, seed=seed, domains=domains)))
    return float(np.mean(before != after))


def check_robustness(
    model: Any,
    X: pd.DataFrame,
    *,
    outputs: Outputs,
    decide: Decide,
    noise_scale: float = 0.05,
    max_flip_rate: float = 0.05,
    extreme_k: float = 3.0,
    rows: int = 10_000,
    extreme_rows: int = 1_000,
    seed: int = 0,
    reference_profile: Mapping[str, Any] | None = None,
    bounds: Mapping[str, Any] | None = None,
) -> Part:
    """Flip rate under noise, and validity and shift of outputs at out-of-range inputs.

    Classifiers are judged on the share of decisions that flip (`decide` gives the same
    decisions as the report); regressors get the informational mean prediction shift relative
    to the predictions' standard deviation. Extreme inputs are ``min - k*std`` and
    ``max + k*std`` per continuous feature, taken from `reference_profile` (the training
    profile of `modelward.stats.profile`) when it has the column, else from `X`.

    Returns:
        A part with the checks ``robustness.flip_rate`` (or ``robustness.prediction_shift``),
        ``robustness.out_of_range`` (number of invalid probes, must be 0) and
        ``robustness.out_of_range_shift`` (informational), and the section ``robustness``.
    """
    part = Part()
    features = continuous_features(X)
    domains = feature_domains(X[features], profile=reference_profile, bounds=_known(bounds, X))
    sample = sample_rows(X, rows, seed=seed)
    section: dict[str, Any] = {"features": features, "noise_scale": noise_scale}
    if outputs.task == "classification":
        rate = flip_rate(
            decide, sample, features=features, scale=noise_scale, seed=seed, domains=domains
        )
        section["flip_rate"] = rate
        part.checks.append(_flip_check(rate, max_flip_rate, noise_scale, features, len(sample)))
    else:
        shift = _prediction_shift(model, sample, features, outputs, noise_scale, seed, domains)
        section["prediction_shift"] = shift
        part.checks.append(
            bounded_check("robustness.prediction_shift", shift, threshold=None, direction="")
        )
    probes = _extreme_probes(
        model,
        sample_rows(X, extreme_rows, seed=seed),
        features,
        outputs=outputs,
        k=extreme_k,
        profile=reference_profile,
        source=X,
        domains=domains,
    )
    section["out_of_range"] = probes
    part.checks.extend(_extreme_checks(probes, extreme_k))
    part.sections["robustness"] = section
    return part


def _flip_check(
    rate: float, max_rate: float, scale: float, features: list[str], rows: int
) -> CheckResult:
    return bounded_check(
        "robustness.flip_rate",
        rate,
        threshold=max_rate,
        direction="max",
        message=(
            f"{rate:.2%} of decisions flip under Gaussian noise of {scale:g} std on "
            f"{len(features)} continuous features."
        ),
        details={"rows": rows, "noise_scale": scale},
    )


def _prediction_shift(
    model: Any,
    X: pd.DataFrame,
    features: list[str],
    outputs: Outputs,
    scale: float,
    seed: int,
    domains: Mapping[str, FeatureDomain],
) -> float | None:
    before = model_scores(model, X, outputs=outputs)
    noisy = add_noise(X, features, scale=scale, seed=seed, domains=domains)
    after = model_scores(model, noisy, outputs=outputs)
    spread = float(np.std(before))
    return as_float(np.mean(np.abs(after - before)) / spread) if spread else 0.0


def _extreme_probes(
    model: Any,
    X: pd.DataFrame,
    features: list[str],
    *,
    outputs: Outputs,
    k: float,
    profile: Mapping[str, Any] | None,
    source: pd.DataFrame,
    domains: Mapping[str, FeatureDomain],
) -> list[dict[str, Any]]:
    if len(X) == 0:
        return []
    baseline = model_scores(model, X, outputs=outputs)
    probes = []
    for feature in features:
        low, high = valid_range(domains[feature], *_extremes(feature, source, profile, k))
        for side, value in (("low", low), ("high", high)):
            probe = X.copy()
            probe[feature] = value
            probes.append(_probe(model, probe, baseline, outputs, feature, side, value))
    return probes


def _probe(
    model: Any,
    probe: pd.DataFrame,
    baseline: np.ndarray,
    outputs: Outputs,
    feature: str,
    side: str,
    value: float,
) -> dict[str, Any]:
    result: dict[str, Any] = {"feature": feature, "side": side, "value": value}
    try:
        scores = np.asarray(model_scores(model, probe, outputs=outputs), dtype=float)
    except Exception as exc:  # a model that cannot score extreme values fails the check
        return {**result, "valid": False, "shift": None, "problem": f"model raised {exc!r}"}
    problem = _invalid_output(scores, outputs)
    shift = as_float(np.mean(np.abs(scores - baseline))) if problem is None else None
    return {**result, "valid": problem is None, "shift": shift, "problem": problem}


def _known(bounds: Mapping[str, Any] | None, X: pd.DataFrame) -> dict[str, Any]:
    """The declared bounds of `X`'s columns (others are for features the model does not read)."""
    return {name: pair for name, pair in (bounds or {}).items() if name in X.columns}


def _invalid_output(scores: np.ndarray, outputs: Outputs) -> str | None:
    if not np.all(np.isfinite(scores)):
        return "non-finite output"
    if outputs.task == "classification" and outputs.proba is not None:
        tolerance = PROBABILITY_TOLERANCE
        if np.any(scores < -tolerance) or np.any(scores > 1 + tolerance):
            return "probability outside [0, 1]"
    return None


def _extremes(
    feature: str, source: pd.DataFrame, profile: Mapping[str, Any] | None, k: float
) -> tuple[float, float]:
    stats = ((profile or {}).get("columns") or {}).get(feature) or {}
    if all(stats.get(key) is not None for key in ("min", "max", "std")):
        low, high, spread = float(stats["min"]), float(stats["max"]), float(stats["std"])
    else:
        values = source[feature].to_numpy(dtype=float, na_value=np.nan)
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        spread = float(np.nanstd(values))
    return low - k * spread, high + k * spread


def _extreme_checks(probes: list[dict[str, Any]], k: float) -> list[CheckResult]:
    invalid = [p for p in probes if not p["valid"]]
    shifts = [p for p in probes if p["shift"] is not None]
    worst = max(shifts, key=lambda p: p["shift"], default=None)
    listed = ", ".join(f"{p['feature']} {p['side']} ({p['problem']})" for p in invalid[:5])
    return [
        bounded_check(
            "robustness.out_of_range",
            float(len(invalid)),
            threshold=0.0,
            direction="max",
            message=(
                f"Outputs stay valid at min - {k:g} std and max + {k:g} std of "
                f"{len(probes) // 2} features."
                if not invalid
                else f"{len(invalid)} of {len(probes)} extreme-value probes give invalid "
                f"outputs: {listed}."
            ),
            details={"probes": len(probes), "invalid": [p["feature"] for p in invalid]},
        ),
        bounded_check(
            "robustness.out_of_range_shift",
            None if worst is None else worst["shift"],
            threshold=None,
            direction="",
            message=(
                "No valid extreme-value probe."
                if worst is None
                else f"The largest mean output shift at extreme values is {worst['shift']:.4g} "
                f"({worst['feature']} {worst['side']})."
            ),
            details={} if worst is None else {"feature": worst["feature"], "side": worst["side"]},
        ),
    ]
