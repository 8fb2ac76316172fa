"""Each feature's valid domain, for probes that must stay realistic (issue 18: no negative ages
or incomes in robustness and adversarial probes).

A numeric feature's domain is the training profile's ``[min, max]`` (the validation data's when
the profile lacks the column), narrowed or widened by declared bounds (``feature_bounds:
{age: [18, 100], income: [0, null]}``; ``null`` keeps the profile's end), and never below 0 for
a feature whose training values were all >= 0 (counts, amounts, ages) unless a bound says so
(out-of-range probes of a feature never 0 in training stop at half its minimum: `valid_range`).
Categorical and boolean features take the categories seen in training.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelward.errors import InvalidInput


@dataclass(frozen=True)
class FeatureDomain:
    """Where a feature's probes may go: numeric ``[low, high]`` (whole numbers when `integer`),
    with `scale` its standard deviation; or a list of `categories`."""

    low: float = -np.inf
    high: float = np.inf
    scale: float = 1.0
    integer: bool = False
    categories: list[Any] | None = None
    declared: bool = False  # a declared bound applies

    def clip(self, values: np.ndarray) -> np.ndarray:
        """`values` moved into ``[low, high]`` (rounded for integer features)."""
        clipped = np.clip(values, self.low, self.high)
        return np.asarray(np.round(clipped) if self.integer else clipped)

    def as_dict(self) -> dict[str, Any]:
        if self.categories is not None:
            return {"categories": [str(c) for c in self.categories]}
        return {"low": self.low, "high": self.high, "std": self.scale, "integer": self.integer}


def check_bounds(value: Any) -> dict[str, tuple[float | None, float | None]]:
    """Read ``feature_bounds``: feature -> [low, high] (either may be null).

    Raises:
        InvalidInput: not such a mapping, or low > high.
    """
    if not isinstance(value, Mapping):
        raise InvalidInput("feature_bounds must map feature names to [low, high] pairs.")
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for feature, pair in value.items():
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(
                p is None or (isinstance(p, int | float) and not isinstance(p, bool)) for p in pair
            )
        ):
            raise InvalidInput(
                f"feature_bounds.{feature} must be [low, high] (numbers or null), got {pair!r}."
            )
        low, high = (None if p is None else float(p) for p in pair)
        if low is not None and high is not None and low > high:
            raise InvalidInput(f"feature_bounds.{feature}: low {low} is above high {high}.")
        bounds[str(feature)] = (low, high)
    return bounds


def feature_domains(
    X: pd.DataFrame,
    *,
    profile: Mapping[str, Any] | None = None,
    bounds: Mapping[str, Any] | None = None,
) -> dict[str, FeatureDomain]:
    """The domain of every column of `X` (see the module's notes)."""
    declared = check_bounds(bounds or {})
    columns = (profile or {}).get("columns") or {}
    found = {}
    for column in X.columns:
        name = str(column)
        series = X[column]
        stats = columns.get(name) or {}
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            found[name] = _numeric(series, stats, declared.get(name))
        else:
            levels = list((stats.get("top") or {}).keys()) or list(series.dropna().unique())
            found[name] = FeatureDomain(categories=levels)
    return found


def _numeric(
    series: pd.Series, stats: Mapping[str, Any], bound: tuple[float | None, float | None] | None
) -> FeatureDomain:
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if all(stats.get(key) is not None for key in ("min", "max", "std")):
        low, high, spread = float(stats["min"]), float(stats["max"]), float(stats["std"])
    else:
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        spread = float(np.nanstd(values))
    floor = 0.0 if low >= 0 else -np.inf  # never negative in training: not negative in probes
    if bound is not None:
        low = bound[0] if bound[0] is not None else low
        high = bound[1] if bound[1] is not None else high
        floor = -np.inf if bound[0] is not None else floor
    integer = pd.api.types.is_integer_dtype(series)
    return FeatureDomain(
        low=max(low, floor),
        high=high,
        scale=spread if spread > 0 else 1.0,
        integer=integer,
        declared=bound is not None,
    )


def valid_range(domain: FeatureDomain, low: float, high: float) -> tuple[float, float]:
    """``[low, high]`` narrowed to what the domain's floor and declared bounds allow; the
    training range itself may be exceeded (out-of-range probes test exactly that).

    A feature never negative in training stops at 0, and one never even 0 (strictly positive:
    incomes, amounts) at half its training minimum: still below anything seen in training,
    but a value the feature can take.
    """
    if domain.declared:
        return max(low, domain.low), min(high, domain.high)
    if domain.low >= 0 and low < 0:
        low = 0.0 if domain.low == 0 else domain.low / 2
    return low, high
