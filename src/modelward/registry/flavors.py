"""Saving and loading models by flavor: scikit-learn API estimators (which covers XGBoost and
LightGBM's sklearn wrappers) and plain Python callables on a DataFrame.

Loading never unpickles bytes whose hash differs from the record: the artifact store verifies
every read, and `load` checks the model file's hash against the version's metadata.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import numpy as np
import pandas as pd

from modelward.errors import IntegrityViolation, InvalidInput
from modelward.registry.signature import enforce, infer_signature


def detect_flavor(model: object) -> str:
    """'sklearn' for objects with fit/predict, 'python_function' for callables."""
    if hasattr(model, "predict") and hasattr(model, "fit"):
        return "sklearn"
    if callable(model):
        return "python_function"
    raise InvalidInput(
        f"Cannot log a {type(model).__name__}: expected a scikit-learn API estimator (with fit"
        " and predict) or a Python callable taking a DataFrame."
    )


def serialize(model: object, *, flavor: str) -> bytes:
    """Model bytes: joblib for estimators, cloudpickle for callables (closures included)."""
    buffer = io.BytesIO()
    if flavor == "sklearn":
        import joblib

        joblib.dump(model, buffer)
    else:
        import cloudpickle

        cloudpickle.dump(model, buffer)
    return buffer.getvalue()


def describe(
    model: object,
    *,
    input_example: Any,
    model_bytes: bytes,
    flavor: str,
    environment: dict[str, Any],
) -> dict[str, Any]:
    """The model's metadata document (stored beside the model bytes, content-addressed too)."""
    signature = infer_signature(input_example) if input_example is not None else {"columns": []}
    meta: dict[str, Any] = {
        "flavor": flavor,
        "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
        "model_size": len(model_bytes),
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "signature": signature,
        "python": environment.get("python"),
        "requirements": _requirements(model, environment),
        "has_predict_proba": bool(hasattr(model, "predict_proba")),
    }
    if input_example is not None:
        from modelward.registry.signature import as_frame

        meta["input_example"] = as_frame(input_example).head(5).to_dict(orient="split")
    return meta


def _requirements(model: object, environment: dict[str, Any]) -> list[str]:
    packages = environment.get("packages", {})
    wanted = ["scikit-learn", "numpy", "pandas", "scipy", "joblib", "cloudpickle"]
    root = type(model).__module__.split(".")[0]
    wanted += {"xgboost": ["xgboost"], "lightgbm": ["lightgbm"]}.get(root, [])
    return [f"{name}=={packages[name]}" for name in wanted if name in packages]


class LoadedModel:
    """A loaded model version: `predict(df)` and `predict_proba(df)` check the signature."""

    def __init__(self, model: Any, meta: dict[str, Any], *, uri: str = "") -> None:
        self.model = model
        self.meta = meta
        self.uri = uri
        self.flavor: str = meta["flavor"]
        self.signature: dict[str, Any] = meta.get("signature", {"columns": []})
        self.checked = True

    def _prepare(self, data: Any) -> Any:
        if self.checked and self.signature.get("columns"):
            return enforce(self.signature, data)
        return data

    def without_checks(self) -> LoadedModel:
        """The same model, predicting without the signature check: for callers that checked
        the data once already and then predict many perturbed copies of it (validation)."""
        twin = LoadedModel(self.model, self.meta, uri=self.uri)
        twin.checked = False
        return twin

    def predict(self, data: Any) -> np.ndarray:
        frame = self._prepare(data)
        if self.flavor == "python_function":
            return np.asarray(self.model(frame))
        return np.asarray(self.model.predict(frame))

    @property
    def has_predict_proba(self) -> bool:
        return self.flavor == "sklearn" and hasattr(self.model, "predict_proba")

    @property
    def predict_proba(self) -> Any:
        """Class probabilities, for models that have them: `hasattr(m, "predict_proba")` is
        False for regressors and callables, as it is for the estimators themselves."""
        if not self.has_predict_proba:
            raise AttributeError(
                f"Model {self.uri or self.meta.get('class')} has no predict_proba."
            )
        return self._predict_proba

    def _predict_proba(self, data: Any) -> np.ndarray:
        return np.asarray(self.model.predict_proba(self._prepare(data)))

    @property
    def classes_(self) -> Any:
        """The classes the model declares, or None (plain callables, regressors).

        Unlike `predict_proba` this attribute always exists, so callers must test for None:
        validation then takes the classes from the labels in the data and the predictions.
        A callable object may declare its own with a `classes_` attribute.
        """
        return getattr(self.model, "classes_", None)

    def __repr__(self) -> str:
        return f"LoadedModel({self.uri or self.meta.get('class')!r}, flavor={self.flavor!r})"


def load(meta: dict[str, Any], model_bytes: bytes, *, uri: str = "") -> LoadedModel:
    """Deserialize verified bytes.

    Raises:
        IntegrityViolation: the bytes do not hash to the recorded sha256.
    """
    actual = hashlib.sha256(model_bytes).hexdigest()
    if actual != meta["model_sha256"]:
        raise IntegrityViolation(
            f"Model file of {uri or 'this version'} hashes to {actual[:12]}..., not the recorded"
            f" {meta['model_sha256'][:12]}...; refusing to load it."
        )
    buffer = io.BytesIO(model_bytes)
    if meta["flavor"] == "sklearn":
        import joblib

        model = joblib.load(buffer)
    else:
        import cloudpickle

        model = cloudpickle.load(buffer)
    return LoadedModel(model, meta, uri=uri)


def frame_from_split(payload: dict[str, Any]) -> pd.DataFrame:
    """Rebuild a DataFrame stored with to_dict(orient='split')."""
    return pd.DataFrame(payload["data"], columns=payload["columns"])
