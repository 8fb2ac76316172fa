"""Explanation methods: linear (exact), tree (TreeSHAP) and sampling (permutation Shapley).

See `modelward.serving.explain` for what each computes and how the choice is made.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd

from modelward.registry.flavors import LoadedModel
from modelward.serving.fastpath import final_estimator

REFERENCE_ROWS = 200  # rows of the reference used for means and ownership probes
BACKGROUND_ROWS = 16  # background rows of the sampling method
PERMUTATIONS = 8  # feature orders of the sampling method (4 antithetic pairs)
EXACT_MAX_FEATURES = 4  # up to this many features every order is walked: exact values
UNATTRIBUTED = "(unattributed)"


@dataclass(frozen=True)
class Explained:
    """Contributions of a batch of rows: ``base + contributions.sum(1) == value`` per row."""

    method: str
    output: str
    features: list[str]
    base: np.ndarray  # (rows,)
    value: np.ndarray  # (rows,)
    contributions: np.ndarray  # (rows, features)
    target: list[Any]  # the class explained per row (None for regressors)

    def row(self, i: int, top: int | None = None) -> dict[str, Any]:
        """One row as JSON-ready data, its `top` largest contributions (by size) first."""
        return self._rows(self.contributions[i : i + 1], [i], top)[0]

    def rows(self, top: int | None = None) -> list[dict[str, Any]]:
        """Every row as `row` gives it (sorted in one numpy pass: this is on the answer's path)."""
        return self._rows(self.contributions, range(len(self.value)), top)

    def _rows(self, block: np.ndarray, index: Any, top: int | None) -> list[dict[str, Any]]:
        order = np.argsort(-np.abs(block), axis=1, kind="stable")
        if top is not None:
            order = order[:, :top]
        values = np.take_along_axis(block, order, axis=1).tolist()
        names = np.asarray(self.features, dtype=object)[order].tolist()
        base, value = self.base.tolist(), self.value.tolist()
        return [
            {
                "method": self.method,
                "output": self.output,
                "target": _plain(self.target[i]),
                "base_value": base[i],
                "value": value[i],
                "contributions": dict(zip(names[k], values[k], strict=True)),
            }
            for k, i in enumerate(index)
        ]

    def log_column(self) -> list[str]:
        """One JSON text per row with every contribution: what the prediction log keeps."""
        return [orjson.dumps(row).decode() for row in self.rows()]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class ExplainerBase:
    method = ""
    output = ""

    def __init__(self, loaded: LoadedModel, columns: list[str]) -> None:
        self.loaded = loaded
        self.columns = columns
        model = loaded.model
        self.classes = list(getattr(model, "classes_", [])) or None

    def frame(self, data: Any) -> pd.DataFrame:
        if isinstance(data, pd.DataFrame):
            return data[self.columns]
        return pd.DataFrame(np.asarray(data), columns=self.columns)

    def explain(self, data: Any) -> Explained:
        raise NotImplementedError


class _Preprocessed(ExplainerBase):
    """A final estimator after column-separable preprocessing (see `ownership`)."""

    def __init__(
        self, loaded: LoadedModel, columns: list[str], reference: pd.DataFrame, fast: Any
    ) -> None:
        super().__init__(loaded, columns)
        model = loaded.model
        steps = getattr(model, "steps", None)
        self.pre = model[:-1] if steps and len(steps) > 1 else None
        self.fast_pre = fast[:-1] if fast is not None and self.pre is not None else None
        self.fast = fast
        self.estimator = final_estimator(model)
        z = self.transform(reference)
        owner = ownership(self.transform, reference, columns) if self.pre is not None else None
        if self.pre is not None and owner is None:
            raise _NotSeparable
        self.owner = owner if owner is not None else np.eye(len(columns))
        self.features = list(columns)
        if self.owner.shape[1] > len(columns):
            self.features.append(UNATTRIBUTED)
        self.z_mean = z.mean(axis=0)

    def transform(self, data: Any) -> np.ndarray:
        if isinstance(data, np.ndarray):
            if self.pre is None:
                return data.astype(np.float64, copy=False)
            if self.fast_pre is not None:
                return _dense(self.fast_pre.transform(data))
            data = self.frame(data)
        if self.pre is None:
            return np.asarray(data[self.columns].to_numpy(np.float64))
        return _dense(self.pre.transform(data[self.columns]))


class _NotSeparable(Exception):
    pass


def _dense(matrix: Any) -> np.ndarray:
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return np.asarray(matrix, dtype=np.float64)


def ownership(transform: Any, reference: pd.DataFrame, columns: list[str]) -> np.ndarray | None:
    """Which input column each transformed column comes from, as a 0/1 matrix (transformed x
    inputs, plus one last column for transformed columns no probe moved); None when a
    transformed column moves with two inputs (the preprocessing is not separable)."""
    base = transform(reference)
    owner = np.full(base.shape[1], -1)
    for i, column in enumerate(columns):
        probe = reference.copy()
        values = reference[column].to_numpy()
        probe[column] = np.concatenate([values[1:], values[:1]])  # every row takes another's
        moved = np.any(~np.isclose(transform(probe), base, equal_nan=True), axis=0)
        if np.any(moved & (owner >= 0)):
            return None
        owner[moved] = i
    matrix = np.zeros((base.shape[1], len(columns) + 1))
    matrix[np.arange(base.shape[1]), np.where(owner >= 0, owner, len(columns))] = 1.0
    return matrix if matrix[:, -1].any() else matrix[:, :-1]


class LinearExplainer(_Preprocessed):
    """Exact contributions of a linear model (see the module's notes)."""

    method = "linear"

    def __init__(
        self, loaded: LoadedModel, columns: list[str], reference: pd.DataFrame, fast: Any
    ) -> None:
        super().__init__(loaded, columns, reference, fast)
        coef = np.atleast_2d(np.asarray(self.estimator.coef_, dtype=np.float64))
        self.coef = coef  # (outputs, transformed)
        self.intercept = np.atleast_1d(np.asarray(self.estimator.intercept_, dtype=np.float64))
        classifier = self.classes is not None
        self.output = ("log_odds" if coef.shape[0] == 1 else "margin") if classifier else "value"

    def explain(self, data: Any) -> Explained:
        z = self.transform(data)
        margins = z @ self.coef.T + self.intercept  # (rows, outputs)
        if self.coef.shape[0] == 1:
            pick = np.zeros(len(z), dtype=int)
        else:
            pick = margins.argmax(axis=1)
        weights = self.coef[pick]  # (rows, transformed)
        contributions = ((z - self.z_mean) * weights) @ self.owner
        base = weights @ self.z_mean + self.intercept[pick]
        value = margins[np.arange(len(z)), pick]
        return Explained(
            self.method, self.output, self.features, base, value, contributions, self._targets(pick)
        )

    def _targets(self, pick: np.ndarray) -> list[Any]:
        if self.classes is None:
            return [None] * len(pick)
        if self.coef.shape[0] == 1:
            return [self.classes[-1]] * len(pick)
        return [self.classes[k] for k in pick]


class TreeExplainer(_Preprocessed):
    """TreeSHAP through the optional ``shap`` package (see the module's notes)."""

    method = "tree"

    def __init__(
        self, loaded: LoadedModel, columns: list[str], reference: pd.DataFrame, fast: Any
    ) -> None:
        with warnings.catch_warnings():  # shap's import trips matplotlib's own deprecations
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap  # optional extra: ImportError means the sampling method is used

        super().__init__(loaded, columns, reference, fast)
        self.shap = shap.TreeExplainer(self.estimator)
        expected = np.atleast_1d(np.asarray(self.shap.expected_value, dtype=np.float64))
        self.expected = expected
        self.output = "value"
        if self.classes is not None:
            z = self.transform(reference.iloc[:5])
            raw = self._raw(z)[1]
            proba = np.asarray(loaded.model.predict_proba(reference.iloc[:5][columns]))
            self.output = "probability" if np.allclose(raw, proba[:, -1]) else "log_odds"

    def _raw(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values rows x transformed, value per row, class index per row)."""
        values = np.asarray(self.shap.shap_values(z, check_additivity=False), dtype=np.float64)
        if values.ndim == 3:  # rows x transformed x classes
            totals = values.sum(axis=1) + self.expected
            pick = totals.argmax(axis=1) if values.shape[2] > 2 else np.full(len(z), 1)
            chosen = values[np.arange(len(z)), :, pick]
            return chosen, totals[np.arange(len(z)), pick], pick
        pick = np.full(len(z), -1 if self.classes is None else 1)
        return values, values.sum(axis=1) + self.expected[-1], pick

    def explain(self, data: Any) -> Explained:
        z = self.transform(data)
        values, value, pick = self._raw(z)
        expected = (
            self.expected[pick] if len(self.expected) > 1 else np.repeat(self.expected, len(z))
        )
        targets = [None] * len(z) if self.classes is None else [self.classes[k] for k in pick]
        return Explained(
            self.method, self.output, self.features, expected, value, values @ self.owner, targets
        )


class SamplingExplainer(ExplainerBase):
    """Permutation-sampling Shapley values against a background sample (any model)."""

    method = "sampling"

    def __init__(self, loaded: LoadedModel, columns: list[str], reference: pd.DataFrame) -> None:
        super().__init__(loaded, columns)
        rng = np.random.default_rng(0)
        rows = min(BACKGROUND_ROWS, len(reference))
        picked = rng.choice(len(reference), size=rows, replace=False)
        self.background = reference.iloc[np.sort(picked)][columns].reset_index(drop=True)
        self.features = list(columns)
        self.orders = _orders(len(columns), rng)
        self.proba = loaded.has_predict_proba and self.classes is not None
        self.output = "probability" if self.proba else "value"
        self.dtypes = reference[columns].dtypes

    def _scores(self, frame: pd.DataFrame) -> np.ndarray:
        model = self.loaded.model
        if self.proba:
            return np.asarray(model.predict_proba(frame), dtype=np.float64)
        if self.loaded.flavor == "python_function":
            return np.asarray(model(frame), dtype=np.float64).reshape(-1, 1)
        return np.asarray(model.predict(frame), dtype=np.float64).reshape(-1, 1)

    def explain(self, data: Any) -> Explained:
        X = self.frame(data).reset_index(drop=True)
        n, d, b, p = len(X), len(self.columns), len(self.background), len(self.orders)
        position = np.argsort(self.orders, axis=1)  # (orders, features): step each joins at
        # joined[o, k, j]: at step k of order o, feature j holds the explained row's value
        joined = position[:, None, :] < np.arange(d + 1)[None, :, None]
        shape = (n, p, b, d + 1)
        walk = {}
        for j, column in enumerate(self.columns):
            mine = X[column].to_numpy()[:, None, None, None]
            theirs = self.background[column].to_numpy()[None, None, :, None]
            mask = joined[None, :, None, :, j]
            values = np.where(mask, mine, theirs)
            walk[column] = pd.Series(np.broadcast_to(values, shape).ravel()).astype(
                self.dtypes[column]
            )
        scores = self._scores(pd.DataFrame(walk)).reshape(*shape, -1)
        pick = _pick(scores[:, 0, 0, d], self.proba, self.classes)
        chosen = scores[np.arange(n), ..., pick]  # (n, orders, background, steps)
        steps = np.diff(chosen, axis=3).mean(axis=2)  # (n, orders, d): change at each step
        contributions = np.take_along_axis(
            steps, np.broadcast_to(position[None], (n, p, d)), axis=2
        ).mean(axis=1)
        base = chosen[:, 0, :, 0].mean(axis=1)
        value = chosen[:, 0, 0, d]
        targets = [None] * n if self.classes is None else [self.classes[k] for k in pick]
        if not self.proba and self.classes is not None:
            targets = [None] * n
        return Explained(
            self.method, self.output, self.features, base, value, contributions, targets
        )


def _pick(scores: np.ndarray, proba: bool, classes: list[Any] | None) -> np.ndarray:
    rows = len(scores)
    if not proba or classes is None:
        return np.zeros(rows, dtype=int)
    if scores.shape[1] == 2:
        return np.ones(rows, dtype=int)
    return np.asarray(scores.argmax(axis=1), dtype=int)


def _orders(d: int, rng: np.random.Generator) -> np.ndarray:
    if d <= EXACT_MAX_FEATURES:
        return np.array(list(itertools.permutations(range(d))), dtype=int).reshape(-1, d)
    half = [rng.permutation(d) for _ in range(PERMUTATIONS // 2)]
    return np.array([o for order in half for o in (order, order[::-1])], dtype=int)
