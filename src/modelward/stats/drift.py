"""Data and prediction drift: each column of a reference against a current window.

What belongs here: the default test per column, thresholds and verdicts, and the report.
The figures come from `measures`/`compare`, the reference preparation from `reference`,
multivariate drift from `domain_classifier`; storing results and alerting belong to the
monitoring service.

Figures per column (all reported in ``details``, whatever the verdict rests on):

- numeric: KS statistic (bit for bit `scipy.stats.ks_2samp`'s) and its asymptotic p-value
  (``ks_2samp(method="asymp")``; ``DriftOptions(ks_method="auto")`` reproduces scipy's
  default exact p-values up to 10,000 values a side, at 10-70 ms a column), Wasserstein
  distance (equal to `scipy.stats.wasserstein_distance`) and divided by the reference's
  population standard deviation (``/ numpy.std(ref)``, ddof=0, as Evidently's normed
  Wasserstein), PSI and Jensen-Shannon distance (equal to
  `scipy.spatial.distance.jensenshannon(p, q)` in scipy's default base e, as Evidently
  computes it; at most sqrt(ln 2) ~ 0.83) on bins cut at the reference quantiles
  1, 5, 10, 25, 50, 75, 90, 95, 99 %; PSI replaces empty bins by 1e-4;
- categorical and boolean: chi-square and p-value (equal to `scipy.stats.chi2_contingency`
  on the 2 x k table), Cramer's V, PSI, Jensen-Shannon (base e), the share of current rows
  in categories the reference never saw;
- every column: missing rate in both windows and its change.

**The default rule.** P-values answer "is there any difference?", and with 100k rows the
answer is yes for shifts nobody cares about; an effect size answers "how large is it?" and
does not grow with the sample. So the verdict rests on an effect size, and the test only
guards against noise in small samples:

======================  ==========================  =========  ==========================
column                  effect size (method)        threshold  guard
======================  ==========================  =========  ==========================
numeric, datetime       Wasserstein / std(ddof=0)   0.1        KS p-value < 0.01
categorical, boolean    Jensen-Shannon (base e)     0.1        chi-square p-value < 0.01
constant reference      Jensen-Shannon on           0.1        chi-square p-value < 0.01
                        "equal to it / not"
======================  ==========================  =========  ==========================

A column drifts when its effect size reaches the threshold *and* the guard test is
significant, or when its missing rate changes by at least 0.05 (absolute) with a
two-proportion p-value below 0.01. Below about 1,000 rows the guard is what binds (noise
alone moves Wasserstein/std by about 1/sqrt(n)); above it the effect size decides, so the
same columns are flagged at 10k, 100k and 1M rows. On the benchmark data this flags a
+0.5 sd shift (effect 0.5), a x1.5 scale (0.4) and a category going 10% -> 30% (JS 0.18),
and does not flag +0.05 sd (0.05) or 10% -> 12% (JS 0.025): both are real but small, and the
report gives their effect size so a user can lower a column's threshold.

**Overrides.** ``thresholds={"income": {"method": "psi", "threshold": 0.2}}``. Methods:
``wasserstein``, ``jensenshannon`` and ``psi`` compare an effect size with the threshold
(guarded as above; PSI minus its expected noise ``(k-1)(1/n_ref + 1/n_cur)``);
``ks`` and ``chi2`` flag a p-value *below* the threshold (size-dependent by nature).

**Multivariate.** ``domain_classifier=True`` adds a classifier trained to tell the windows
apart (`modelward.stats.domain_classifier`): cross-validated ROC AUC >= 0.55 (and
significantly above 0.5) is dataset drift, and permutation importances name the columns.
``dataset_drift`` is also set when at least half of the judged columns drifted.

**Scale.** In memory, each numeric column is sorted once per side and columns run on
`DriftOptions.n_jobs` threads: 1M rows x 25 columns take about 3 s on two cores. Larger
windows go through ``engine="dask"`` or `detect_drift_batches` (`modelward.stats.streaming`).

**Edge cases**, each a result, never an exception: fewer than `DriftOptions.min_rows`
(100) rows in either window makes every column ``insufficient_data`` (never drifted);
a column with fewer non-missing values is judged on its missing rate only; a column absent
from the current data is ``missing_in_current``; a kind change (numeric to text ...) is
``kind_changed``; mixed-type text columns are compared as strings; infinities count as
neither values nor missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from modelward.errors import InvalidInput
from modelward.stats import measures, streaming, verdicts
from modelward.stats.domain_classifier import DomainClassifierResult, run_domain_classifier
from modelward.stats.options import METHODS, DriftOptions
from modelward.stats.profile import to_frame
from modelward.stats.reference import Reference, parallel_map, prepare_reference


@dataclass(frozen=True)
class ColumnDrift:
    """The drift verdict for one column.

    Attributes:
        column: Column name.
        kind: ``numeric``, ``datetime``, ``categorical`` or ``boolean`` (of the reference).
        method: The method the verdict rests on.
        statistic: That method's statistic (KS D, PSI, Wasserstein/std, JS, chi-square).
        p_value: The method's p-value (ks, chi2) or its guard test's p-value.
        effect_size: The figure compared with `threshold`: Wasserstein/std, JS, PSI minus
            its noise, KS D, or Cramer's V (for chi2).
        threshold: The threshold used.
        drifted: True or False; None when the column could not be judged.
        status: ``ok``, ``insufficient_data``, ``missing_in_current``,
            ``missing_in_reference``, ``kind_changed`` or ``unsupported``.
        details: Every figure computed, missing rates, bins or top category changes.
        message: One sentence saying why.
    """

    column: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    effect_size: float | None
    threshold: float | None
    drifted: bool | None
    status: str
    details: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (NaN and infinities become None)."""
        return measures.json_ready(asdict(self))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class DriftReport:
    """Per-column verdicts plus the dataset-level verdict.

    Attributes:
        columns: One `ColumnDrift` per compared column, in order.
        dataset_drift: True when at least `dataset_drift_share` of the judged columns
            drifted, or the domain classifier found drift.
        share_drifted: Drifted columns over judged columns (0.0 when none was judged).
        domain_classifier: The multivariate result, when it was asked for.
        n_reference: Reference rows.
        n_current: Current rows.
        status: ``ok`` or ``insufficient_data`` (a window below `min_rows`).
    """

    columns: tuple[ColumnDrift, ...]
    dataset_drift: bool
    share_drifted: float
    domain_classifier: DomainClassifierResult | None
    n_reference: int
    n_current: int
    status: str = "ok"

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the columns that drifted."""
        return [col.column for col in self.columns if col.drifted]

    def column(self, name: str) -> ColumnDrift:
        """The result of one column.

        Raises:
            InvalidInput: the column was not compared.
        """
        for result in self.columns:
            if result.column == name:
                return result
        raise InvalidInput(f"Column {name!r} is not in this drift report.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the whole report."""
        return {
            "status": self.status,
            "dataset_drift": self.dataset_drift,
            "share_drifted": self.share_drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "drifted_columns": self.drifted_columns,
            "columns": [col.to_dict() for col in self.columns],
            "domain_classifier": (
                None if self.domain_classifier is None else self.domain_classifier.to_dict()
            ),
        }


def detect_drift(
    reference: object,
    current: object,
    *,
    columns: list[str] | None = None,
    thresholds: Mapping[str, Mapping[str, Any]] | None = None,
    domain_classifier: bool = False,
    engine: str = "pandas",
    options: DriftOptions | None = None,
    seed: int = 0,
) -> DriftReport:
    """Compare each column of `current` with `reference` and judge drift.

    Args:
        reference: Reference rows (DataFrame, Arrow table, Parquet/CSV path), a profile
            dict from `modelward.stats.profile.profile`, or a `Reference` prepared once
            with `prepare_reference` and reused across windows.
        current: The current window (DataFrame, Arrow table, Parquet/CSV path), or a Dask
            DataFrame.
        columns: Columns to compare (default: every reference column).
        thresholds: Per-column overrides, ``{column: {"method": ..., "threshold": ...}}``.
        domain_classifier: Also train a classifier to tell the windows apart (multivariate
            drift); needs reference rows, not a profile. Costs one to a few seconds.
        engine: ``"pandas"`` (in memory, exact) or ``"dask"`` (out of core on the current
            Dask scheduler; a path is read with ``dask.dataframe.read_parquet``/``read_csv``;
            see `modelward.stats.streaming` for what is exact). A Dask DataFrame always
            takes the Dask path.
        options: Defaults (methods, thresholds, guard level, minimum rows ...).
        seed: Seed of the domain classifier's subsample and folds.

    Raises:
        InvalidInput: unreadable data, an unknown engine, method or column in `thresholds`,
            a method that does not fit the column's kind, or a column in neither window.
    """
    opts = options or DriftOptions()
    verdicts.validate_options(opts, METHODS)
    if engine not in ("pandas", "dask"):
        raise InvalidInput(f"Unknown drift engine {engine!r}; expected 'pandas' or 'dask'.")
    prepared = prepare_reference(reference, columns=columns, n_jobs=opts.n_jobs)
    if engine == "dask" or streaming.is_dask(current):
        names = columns if columns is not None else list(prepared.columns)
        present = [name for name in names if name in prepared.columns]
        summary = streaming.summarise_dask(prepared, streaming.as_dask(current), present)
        return _accumulated_report(prepared, *summary, columns, thresholds, opts)
    return _in_memory_report(
        prepared, to_frame(current), columns, thresholds, opts, domain_classifier, seed
    )


def _in_memory_report(
    prepared: Reference,
    current_frame: pd.DataFrame,
    columns: list[str] | None,
    thresholds: Mapping[str, Mapping[str, Any]] | None,
    opts: DriftOptions,
    domain_classifier: bool,
    seed: int,
) -> DriftReport:
    names = _check_columns(prepared, list(map(str, current_frame.columns)), columns)
    rules = verdicts.column_rules(prepared, thresholds, opts, METHODS)
    window_problem = verdicts.window_problem(prepared.n_rows, len(current_frame), opts)

    def judge(name: str) -> ColumnDrift:
        return ColumnDrift(
            **verdicts.judge_column(
                name, prepared, current_frame, rules.get(name), opts, window_problem
            )
        )

    results = tuple(parallel_map(judge, names, n_jobs=opts.n_jobs))
    classifier = None
    if domain_classifier and not window_problem:
        classifier = run_domain_classifier(
            prepared.frame,
            current_frame,
            columns=names,
            threshold=opts.auc_threshold,
            alpha=opts.alpha,
            min_rows=opts.min_rows,
            max_rows=opts.max_classifier_rows,
            seed=seed,
        )
    return _report(results, classifier, prepared.n_rows, len(current_frame), opts, window_problem)


def detect_drift_batches(
    reference: object,
    batches: Iterable[object],
    *,
    columns: list[str] | None = None,
    thresholds: Mapping[str, Mapping[str, Any]] | None = None,
    options: DriftOptions | None = None,
) -> DriftReport:
    """`detect_drift` over a current window that arrives in batches (larger than memory).

    `batches` yields DataFrames, Arrow tables or record batches (a DuckDB
    ``fetch_record_batch`` reader, ``pyarrow.dataset`` scanners ...). Figures are exact
    except Wasserstein where the two CDFs cross between reference values; see
    `modelward.stats.streaming`.

    Raises:
        InvalidInput: as `detect_drift`.
    """
    opts = options or DriftOptions()
    verdicts.validate_options(opts, METHODS)
    prepared = prepare_reference(reference, columns=columns, n_jobs=opts.n_jobs)
    names = columns if columns is not None else list(prepared.columns)
    present = [name for name in names if name in prepared.columns]
    summary = streaming.summarise_batches(prepared, batches, present)
    return _accumulated_report(prepared, *summary, columns, thresholds, opts)


def _accumulated_report(
    prepared: Reference,
    accumulators: Mapping[str, streaming.Accumulator],
    kinds: Mapping[str, str],
    rows: int,
    columns: list[str] | None,
    thresholds: Mapping[str, Mapping[str, Any]] | None,
    opts: DriftOptions,
) -> DriftReport:
    names = _check_columns(prepared, list(kinds), columns)
    rules = verdicts.column_rules(prepared, thresholds, opts, METHODS)
    window_problem = verdicts.window_problem(prepared.n_rows, rows, opts)
    fields = streaming.judge_accumulated(
        prepared, accumulators, kinds, names, rules, opts, window_problem
    )
    results = tuple(ColumnDrift(**item) for item in fields)
    return _report(results, None, prepared.n_rows, rows, opts, window_problem)


def _check_columns(prepared: Reference, current: list[str], columns: list[str] | None) -> list[str]:
    names = columns if columns is not None else list(prepared.columns)
    for name in names:
        if name not in prepared.columns and name not in current:
            raise InvalidInput(f"Column {name!r} is in neither the reference nor the current data.")
    return names


def prediction_drift(
    reference: object,
    current: object,
    *,
    column: str = "prediction",
    method: str | None = None,
    threshold: float | None = None,
    options: DriftOptions | None = None,
) -> ColumnDrift:
    """Drift of a model-output column (a score, a class, a regression value).

    The same rules as `detect_drift` on one column; `method` and `threshold` override them.

    Raises:
        InvalidInput: as `detect_drift`.
    """
    override: dict[str, Any] = {}
    if method is not None:
        override["method"] = method
    if threshold is not None:
        override["threshold"] = threshold
    report = detect_drift(
        reference,
        current,
        columns=[column],
        thresholds={column: override} if override else None,
        options=options,
    )
    return report.columns[0]


def _report(
    results: tuple[ColumnDrift, ...],
    classifier: DomainClassifierResult | None,
    n_reference: int,
    n_current: int,
    opts: DriftOptions,
    window_problem: str,
) -> DriftReport:
    judged = [col for col in results if col.drifted is not None]
    share = sum(bool(col.drifted) for col in judged) / len(judged) if judged else 0.0
    dataset_drift = bool(judged) and share >= opts.dataset_drift_share
    if classifier is not None and classifier.drifted:
        dataset_drift = True
    return DriftReport(
        columns=results,
        dataset_drift=dataset_drift,
        share_drifted=share,
        domain_classifier=classifier,
        n_reference=n_reference,
        n_current=n_current,
        status="insufficient_data" if window_problem else "ok",
    )
