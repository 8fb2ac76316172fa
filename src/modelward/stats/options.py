"""Defaults of the drift check: methods, thresholds, guard level, window sizes, threads.

The rule these numbers drive is documented in `modelward.stats.drift`, the public face;
`DriftOptions` is re-exported there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

METHODS = ("ks", "psi", "wasserstein", "jensenshannon", "chi2")
DEFAULT_THRESHOLDS: Mapping[str, float] = {
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
    "ks": 0.05,
    "chi2": 0.05,
}


@dataclass(frozen=True)
class DriftOptions:
    """Defaults of the drift check; the rule they drive is in `modelward.stats.drift`.

    Attributes:
        numeric_method: Method for numeric and datetime columns.
        categorical_method: Method for categorical and boolean columns.
        thresholds: Threshold per method.
        alpha: Significance level of the guard tests (KS, chi-square, missing rate, AUC).
        min_rows: Fewest rows (and non-missing values) a window needs to be judged.
        missing_rate_threshold: Absolute change of the missing rate that counts as drift.
        dataset_drift_share: Share of drifted columns from which the dataset drifted.
        auc_threshold: Domain-classifier ROC AUC from which the dataset drifted.
        max_classifier_rows: Rows per side the domain classifier is trained on (seeded).
        ks_method: ``"asymp"`` (asymptotic KS p-values, fast) or ``"auto"``/``"exact"``
            (scipy's exact p-values up to 10,000 values per side, 10-70 ms per column).
        n_jobs: Threads; numpy releases the GIL while sorting, so columns run in parallel.
    """

    numeric_method: str = "wasserstein"
    categorical_method: str = "jensenshannon"
    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    alpha: float = 0.01
    min_rows: int = 100
    missing_rate_threshold: float = 0.05
    dataset_drift_share: float = 0.5
    auc_threshold: float = 0.55
    max_classifier_rows: int = 10_000
    ks_method: str = "asymp"
    n_jobs: int = 2
