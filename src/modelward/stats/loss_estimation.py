"""DLE (direct loss estimation) for regressors: see `modelward.stats.estimation`, which
documents the method, its intervals and its assumptions, and re-exports `DLE`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from modelward.stats.estimation import MIN_REFERENCE_ROWS, Estimate, band
from modelward.stats.profile import column_kind
from modelward.stats.reference import numeric_values

MAX_CATEGORIES = 254


@dataclass(frozen=True)
class _Encoder:
    columns: tuple[str, ...]
    categories: tuple[tuple[str, ...] | None, ...]  # None: numeric

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> _Encoder:
        cats: list[tuple[str, ...] | None] = []
        for name in frame.columns:
            kind = column_kind(frame[name])
            if kind in ("numeric", "datetime"):
                cats.append(None)
            else:
                text = frame[name].dropna().astype(str)
                cats.append(tuple(text.value_counts().index[:MAX_CATEGORIES]))
        return cls(tuple(frame.columns), tuple(cats))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        blocks = []
        for name, cats in zip(self.columns, self.categories, strict=True):
            series = frame[name]
            if cats is None:
                kind = "datetime" if column_kind(series) == "datetime" else "numeric"
                values = np.array(numeric_values(series, kind), dtype=np.float64)
                values[~np.isfinite(values)] = np.nan
            else:
                text = series.astype(object).where(series.notna(), None)
                labels = text.map(lambda v: None if v is None else str(v))
                codes = pd.Categorical(labels, categories=list(cats)).codes.astype(np.float64)
                values = np.where(codes < 0, np.nan, codes)
            blocks.append(values)
        return np.column_stack(blocks)

    @property
    def categorical(self) -> np.ndarray:
        return np.array([c is not None for c in self.categories], dtype=bool)


def _regressor(categorical: np.ndarray, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    # LightGBM's LGBMRegressor defaults, which NannyML's DLE uses.
    return HistGradientBoostingRegressor(
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=31,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_bins=255,
        early_stopping=False,
        categorical_features=categorical if categorical.any() else None,
        random_state=seed,
    )


@dataclass(frozen=True)
class DLE:
    """DLE fitted on a labelled reference (`DLE.fit`); `estimate` takes unlabelled rows."""

    encoder: _Encoder
    abs_model: Any
    square_model: Any
    abs_std: float
    square_std: float
    square_mean: float

    @classmethod
    def fit(
        cls, features: pd.DataFrame, y_pred: ArrayLike, y_true: ArrayLike, seed: int = 0
    ) -> DLE:
        """Learn |error| and error^2 from the reference's features and predictions.

        Raises:
            ValueError: fewer than `MIN_REFERENCE_ROWS` rows.
        """
        predicted = np.asarray(y_pred, dtype=np.float64)
        errors = np.asarray(y_true, dtype=np.float64) - predicted
        if errors.size < MIN_REFERENCE_ROWS:
            raise ValueError(f"DLE needs {MIN_REFERENCE_ROWS}+ labelled reference rows.")
        frame = features.assign(__prediction__=predicted)
        encoder = _Encoder.fit(frame)
        matrix = encoder.transform(frame)
        with threadpool_limits(limits=1, user_api="openmp"):  # small trees: one thread is faster
            abs_model = _regressor(encoder.categorical, seed).fit(matrix, np.abs(errors))
            square_model = _regressor(encoder.categorical, seed).fit(matrix, errors**2)
        squares = errors**2
        return cls(
            encoder,
            abs_model,
            square_model,
            float(np.std(np.abs(errors))),
            float(np.std(squares)),
            float(np.mean(squares)),
        )

    def estimate(self, features: pd.DataFrame, y_pred: ArrayLike) -> dict[str, Estimate]:
        """Estimated ``mae`` and ``rmse`` of unlabelled rows."""
        frame = features.assign(__prediction__=np.asarray(y_pred, dtype=np.float64))
        matrix = self.encoder.transform(frame)
        n = matrix.shape[0]
        with threadpool_limits(limits=1, user_api="openmp"):
            absolute = np.clip(self.abs_model.predict(matrix), 0, None)
            square = np.clip(self.square_model.predict(matrix), 0, None)
        mae = float(absolute.mean()) if n else math.nan
        mse = float(square.mean()) if n else math.nan
        rmse = math.sqrt(mse) if n else math.nan
        root_n = math.sqrt(max(n, 1))
        # NannyML's: the delta method around the reference's mean squared error
        rmse_error = self.square_std / (2 * math.sqrt(max(n, 1) * self.square_mean or 1.0))
        return {
            "mae": band("mae", "dle", mae, self.abs_std / root_n, n, None),
            "rmse": band("rmse", "dle", rmse, rmse_error, n, None),
        }
