"""Saving and loading models by flavor and storage format: scikit-learn API estimators and
plain Python callables on a DataFrame.

Two storage formats, recorded as ``format`` in the model's metadata:

- ``"skops"`` (the default for scikit-learn estimators and pipelines): ``skops.io`` stores the
  object as a JSON tree of type names and numpy arrays, and loading builds only the types
  skops trusts plus the scikit-learn/numpy internals in `VETTED_SKOPS_TYPES`. A file that names
  any other type (``os.system``, ``builtins.eval``, a class of the user's own) is refused before
  anything is imported or built, so loading a skops file never runs code it carries.
- ``"pickle"`` (python callables, estimators skops cannot store safely, e.g. a
  ``FunctionTransformer`` of a lambda, and every model logged before skops; metadata without a
  ``format`` means pickle): joblib/cloudpickle bytes. Unpickling runs whatever code the bytes
  name, so `load` needs ``allow_pickle=True``: the user's own process (``mw.load_model``, local
  validation, batch scoring, ``modelward serve`` of a deployed model, bundles) passes True; the
  platform server passes False and refuses pickle-format models with InvalidInput (422), since
  their bytes were uploaded by a client. See docs/security.md, "Model bytes and code execution".

Loading also never deserializes bytes whose hash differs from the record: the artifact store
verifies every read, and `load` checks the model file's hash against the version's metadata.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from typing import Any

import numpy as np
import pandas as pd

from modelward.errors import IntegrityViolation, InvalidInput
from modelward.registry.signature import enforce, infer_signature

log = logging.getLogger(__name__)

SKOPS = "skops"
PICKLE = "pickle"

# Types skops does not trust by default that we load anyway. Each one was vetted: scikit-learn
# internals and numpy/scipy pieces that hold fitted numbers (constructing them sets attributes,
# nothing else), or pure numeric functions that estimators store as options. No function that
# touches files, processes or the interpreter (numpy.load/save, builtins, os, subprocess) may be
# added here. A type missing from this list only means such an estimator is stored as a pickle.
VETTED_SKOPS_TYPES = frozenset(
    {
        "numpy.dtype",
        "numpy.mean",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.metrics._dist_metrics.ManhattanDistance64",
        "sklearn.metrics._dist_metrics.MinkowskiDistance64",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "sklearn._loss.loss.HalfTweedieLossIdentity",
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
        "sklearn.gaussian_process.kernels.ConstantKernel",
        "sklearn.gaussian_process.kernels.Product",
        "sklearn.gaussian_process.kernels.Sum",
        "sklearn.gaussian_process.kernels.RBF",
        "sklearn.gaussian_process.kernels.WhiteKernel",
        "sklearn.feature_selection._univariate_selection.f_classif",
        "sklearn.feature_selection._univariate_selection.f_regression",
        "sklearn.feature_selection._univariate_selection.chi2",
    }
)
# A skops file is a zip: refuse members that would inflate far beyond the uploaded bytes (a zip
# bomb), before skops reads them. Our own files are stored uncompressed (ratio 1).
_MAX_INFLATION = 50
_INFLATION_SLACK = 64 * 1024 * 1024


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
    """Model bytes: skops for scikit-learn estimators that it stores with vetted types only
    (checked by loading them back), cloudpickle otherwise (callables and closures included).

    `storage_format` tells the two apart, and `describe` records it as ``format``.
    """
    if flavor == "sklearn":
        data = _skops_bytes(model)
        if data is not None:
            return data
    import cloudpickle

    return bytes(cloudpickle.dumps(model))


def _skops_bytes(model: object) -> bytes | None:
    """The skops file of `model`, or None when skops cannot store it or loading it back would
    need a type we have not vetted (the caller falls back to a pickle)."""
    import skops.io

    from modelward.registry import skops_canonical

    name = type(model).__name__
    try:
        data = skops_canonical.canonical(bytes(skops.io.dumps(model)))
    except Exception as exc:  # skops refuses many objects, each with its own exception
        log.info("%s cannot be stored with skops (%s); storing it as a pickle.", name, exc)
        return None
    try:  # what we store as skops must load as skops, on the server too
        _load_skops(data, what=name)
    except InvalidInput as exc:
        log.info("%s is stored as a pickle: %s", name, exc.message)
        return None
    return data


def storage_format(model_bytes: bytes) -> str:
    """'skops' for a skops file (a zip with a schema.json), 'pickle' for anything else."""
    if not zipfile.is_zipfile(io.BytesIO(model_bytes)):
        return PICKLE
    try:
        with zipfile.ZipFile(io.BytesIO(model_bytes)) as archive:
            return SKOPS if "schema.json" in archive.namelist() else PICKLE
    except zipfile.BadZipFile:
        return PICKLE


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
        "format": storage_format(model_bytes),
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
    wanted = ["scikit-learn", "numpy", "pandas", "scipy", "joblib", "cloudpickle", "skops"]
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


def load(
    meta: dict[str, Any], model_bytes: bytes, *, uri: str = "", allow_pickle: bool
) -> LoadedModel:
    """Deserialize verified bytes in the storage format the metadata records.

    Args:
        meta: the model's metadata document (``flavor``, ``format``, ``model_sha256``...).
        model_bytes: the model file.
        uri: the version's URI, for messages.
        allow_pickle: whether a pickle-format model may be unpickled. True only in the user's
            own process; the platform server passes False (see the module docstring).

    Raises:
        IntegrityViolation: the bytes do not hash to the recorded sha256.
        InvalidInput: a pickle-format model and `allow_pickle` is False; a skops file naming
            types we do not load, or not a readable skops file; an unknown flavor or format.
    """
    actual = hashlib.sha256(model_bytes).hexdigest()
    if actual != meta["model_sha256"]:
        raise IntegrityViolation(
            f"Model file of {uri or 'this version'} hashes to {actual[:12]}..., not the recorded"
            f" {meta['model_sha256'][:12]}...; refusing to load it."
        )
    flavor, stored_as = meta.get("flavor"), meta.get("format", PICKLE)
    what = _label(uri, meta)
    if flavor not in ("sklearn", "python_function"):
        raise InvalidInput(f"Model {what} has unknown flavor {flavor!r}; it cannot be loaded.")
    if stored_as == SKOPS and flavor == "sklearn":
        return LoadedModel(_load_skops(model_bytes, what=what), meta, uri=uri)
    if stored_as != PICKLE:
        raise InvalidInput(
            f"Model {what} records storage format {stored_as!r} for flavor {flavor!r}; expected"
            " 'skops' (scikit-learn) or 'pickle'. Re-log the model."
        )
    if not allow_pickle:
        raise InvalidInput(
            f"Model {what} is stored as a pickle; the platform server does not unpickle"
            " uploaded bytes. Load and validate it in your own process instead (mw.load_model,"
            " or 'modelward validate' over a local workspace), or re-log it with a scikit-learn"
            " estimator so it is stored with skops.",
            model=uri,
            format=PICKLE,
        )
    return LoadedModel(_unpickle(model_bytes, flavor=flavor), meta, uri=uri)


def _label(uri: str, meta: dict[str, Any]) -> str:
    """'churn v3' for models:/churn/3; the class name when there is no URI."""
    name, _, version = uri.removeprefix("models:/").rpartition("/")
    if uri.startswith("models:/") and name and version.isdigit():
        return f"{name} v{version}"
    return uri or str(meta.get("class", "this model"))


def _unpickle(model_bytes: bytes, *, flavor: str) -> Any:
    """Runs whatever code the bytes name: only for bytes the caller trusts (allow_pickle)."""
    buffer = io.BytesIO(model_bytes)
    if flavor == "sklearn":
        import joblib  # reads joblib files (models logged before skops) and plain pickles

        return joblib.load(buffer)
    import cloudpickle

    return cloudpickle.load(buffer)


def _load_skops(model_bytes: bytes, *, what: str) -> Any:
    """Build the object of a skops file from trusted and vetted types only.

    Raises:
        InvalidInput: the file names a type that is neither trusted by skops nor vetted, or it
            is not a readable skops file (or would inflate far beyond its size).
    """
    import skops.io

    _check_inflation(model_bytes, what=what)
    try:
        untrusted = skops.io.get_untrusted_types(data=model_bytes)
    except Exception as exc:  # a malformed upload: any parse error is the file's fault
        raise InvalidInput(
            f"Model {what} is not a readable skops file; re-log it with modelward."
        ) from exc
    refused = sorted(set(untrusted) - VETTED_SKOPS_TYPES)
    if refused:
        raise InvalidInput(
            f"Model {what} is a skops file naming types modelward does not load:"
            f" {', '.join(refused)}; re-log it with a scikit-learn estimator built from"
            " scikit-learn parts only.",
            untrusted_types=refused,
        )
    try:
        return skops.io.loads(model_bytes, trusted=list(untrusted))
    except Exception as exc:  # skops checks the tree again: a refusal is the file's fault
        raise InvalidInput(
            f"Model {what} could not be built from its skops file; re-log it with modelward."
        ) from exc


def _check_inflation(model_bytes: bytes, *, what: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(model_bytes)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise InvalidInput(
            f"Model {what} is not a readable skops file (not a zip); re-log it with modelward."
        ) from exc
    if inflated > _MAX_INFLATION * len(model_bytes) + _INFLATION_SLACK:
        raise InvalidInput(
            f"Model {what} is a skops file that inflates to {inflated} bytes from"
            f" {len(model_bytes)}; refusing to read it."
        )


def frame_from_split(payload: dict[str, Any]) -> pd.DataFrame:
    """Rebuild a DataFrame stored with to_dict(orient='split')."""
    return pd.DataFrame(payload["data"], columns=payload["columns"])
