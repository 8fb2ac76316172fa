"""A/B statistics of a business KPI between two arms (champion A, challenger B).

- Each arm's mean with Student's t interval (statsmodels ``DescrStatsW.tconfint_mean``).
- The uplift B - A with Welch's interval and p-value (statsmodels ``CompareMeans
  .tconfint_diff(usevar="unequal")`` and ``ttest_ind(usevar="unequal")``), and the relative
  uplift (B - A) / A.
- The sample size per arm needed to detect an effect of size `delta` at the chosen power with
  a two-sided test of level `alpha`: ``n = (z[1-alpha/2] + z[power])^2 (sd_A^2 + sd_B^2) /
  delta^2`` (the normal approximation, statsmodels ``NormalIndPower`` for equal variances),
  and how many more rows each arm needs beyond what it has.

A conversion (0/1) column is a mean like any other: the t interval on a 0/1 sample is the
Wald interval of the proportion with the t quantile.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats as st

DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8


@dataclass(frozen=True)
class ArmKpi:
    """One arm's KPI: rows, mean, and its interval."""

    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class KpiComparison:
    """A KPI compared between arms A (champion) and B (challenger)."""

    kpi: str
    a: ArmKpi
    b: ArmKpi
    uplift: float | None  # B - A
    relative_uplift: float | None  # (B - A) / A
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    alpha: float
    power: float
    effect: float | None  # the effect the sample size is for (given, else observed)
    required_per_arm: int | None
    additional_per_arm: int | None  # rows each arm still needs (0: enough)
    verdict: str  # "better", "worse", "equal_within_noise", "insufficient_data"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def arm_kpi(values: np.ndarray, *, alpha: float = DEFAULT_ALPHA) -> ArmKpi:
    """Mean of `values` (NaN dropped) with its two-sided t interval at level 1 - alpha."""
    x = _clean(values)
    if len(x) == 0:
        return ArmKpi(0, None, None, None)
    mean = float(x.mean())
    if len(x) < 2:
        return ArmKpi(len(x), mean, None, None)
    half = float(st.t.ppf(1 - alpha / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return ArmKpi(len(x), mean, mean - half, mean + half)


def welch(a: np.ndarray, b: np.ndarray, *, alpha: float = DEFAULT_ALPHA) -> tuple[float, ...]:
    """(B - A, interval low, interval high, p-value) by Welch's unequal-variance t test."""
    x, y = _clean(a), _clean(b)
    va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    diff = float(y.mean() - x.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff, (1.0 if diff == 0 else 0.0)
    dof = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))
    half = float(st.t.ppf(1 - alpha / 2, dof) * se)
    p_value = float(2 * st.t.sf(abs(diff) / se, dof))
    return diff, diff - half, diff + half, p_value


def required_per_arm(
    sd_a: float, sd_b: float, effect: float, *, alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
) -> int | None:  # fmt: skip
    """Rows per arm to detect `effect` (an absolute difference) at `power`; None for 0."""
    if effect == 0 or not math.isfinite(effect):
        return None
    z = float(st.norm.ppf(1 - alpha / 2) + st.norm.ppf(power))
    return int(math.ceil(z**2 * (sd_a**2 + sd_b**2) / effect**2))


def compare_kpi(
    kpi: str,
    a: np.ndarray,
    b: np.ndarray,
    *,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    min_effect: float | None = None,
    higher_is_better: bool = True,
) -> KpiComparison:
    """Both arms' KPI, the uplift with its interval, and the sample size still needed.

    Args:
        min_effect: The smallest uplift worth detecting, relative to A's mean (0.05 = 5%);
            None: the observed uplift.
    """
    x, y = _clean(a), _clean(b)
    first, second = arm_kpi(x, alpha=alpha), arm_kpi(y, alpha=alpha)
    if len(x) < 2 or len(y) < 2:
        return KpiComparison(kpi, first, second, None, None, None, None, None, alpha, power,
                             None, None, None, "insufficient_data")  # fmt: skip
    diff, low, high, p_value = welch(x, y, alpha=alpha)
    base = float(x.mean())
    relative = diff / base if base else None
    effect = diff if min_effect is None else min_effect * base
    needed = required_per_arm(
        float(x.std(ddof=1)), float(y.std(ddof=1)), effect, alpha=alpha, power=power
    )
    additional = None if needed is None else max(0, needed - min(len(x), len(y)))
    sign = 1 if higher_is_better else -1
    verdict = "equal_within_noise"
    if sign * low > 0:
        verdict = "better"
    elif sign * high < 0:
        verdict = "worse"
    return KpiComparison(kpi, first, second, diff, relative, low, high, p_value, alpha, power,
                         effect, needed, additional, verdict)  # fmt: skip


def _clean(values: Any) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    clean: np.ndarray = x[np.isfinite(x)]
    return clean
