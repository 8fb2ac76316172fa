"""Model storage formats: scikit-learn pipelines round-trip through skops, what skops cannot
store safely falls back to a pickle, and models logged before skops (joblib, no ``format`` in
their metadata) still load in the user's own process."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from modelward.client import Client
from modelward.errors import InvalidInput
from modelward.registry import flavors
from modelward.registry.signature import infer_signature
from modelward.tracking import service as tracking_service
from tests.builders import applicants

NUMERIC = ["income", "debt", "age"]


def credit_pipeline(estimator: Any) -> Pipeline:
    """Scaled numbers and one-hot regions in front of `estimator`, fitted on applicants()."""
    frame = applicants()
    columns = ColumnTransformer(
        [
            ("numbers", StandardScaler(), NUMERIC),
            ("region", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    return Pipeline([("columns", columns), ("model", estimator)]).fit(
        frame[[*NUMERIC, "region"]], frame["default"]
    )


def stored(model: Any, *, flavor: str = "sklearn") -> tuple[dict[str, Any], bytes]:
    """The metadata and bytes `log_model` would store for `model`."""
    data = flavors.serialize(model, flavor=flavor)
    meta = flavors.describe(
        model, input_example=None, model_bytes=data, flavor=flavor, environment={}
    )
    return meta, data


@pytest.mark.parametrize(
    "estimator",
    [
        pytest.param(LogisticRegression(), id="logistic-regression"),
        pytest.param(RandomForestClassifier(n_estimators=20, random_state=0), id="random-forest"),
        pytest.param(HistGradientBoostingClassifier(max_iter=20), id="hist-gradient-boosting"),
    ],
)
def test_pipelines_round_trip_through_skops_and_load_without_pickle(estimator: Any) -> None:
    model = credit_pipeline(estimator)
    meta, data = stored(model)
    assert meta["format"] == "skops" and flavors.storage_format(data) == "skops"
    loaded = flavors.load(meta, data, uri="models:/credit/1", allow_pickle=False)
    rows = applicants(rows=300, seed=7)[[*NUMERIC, "region"]]
    # Same scikit-learn code on the same fitted numbers: the outputs are identical, bit for bit.
    assert np.array_equal(loaded.predict_proba(rows), model.predict_proba(rows))
    assert np.array_equal(loaded.predict(rows), model.predict(rows))
    assert list(loaded.classes_) == [0, 1]


def vetted_cases() -> list[Any]:
    """Estimators whose skops files need a type from VETTED_SKOPS_TYPES, one param each."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.cluster import FeatureAgglomeration
    from sklearn.feature_selection import SelectKBest, chi2, f_classif, f_regression
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.linear_model import TweedieRegressor
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier

    cases = {
        "knn-kd-tree": KNeighborsClassifier(),
        "knn-ball-tree": KNeighborsClassifier(algorithm="ball_tree"),
        "knn-manhattan": KNeighborsClassifier(metric="manhattan"),
        "knn-minkowski": KNeighborsClassifier(p=3),
        "mlp-adam": MLPClassifier(max_iter=30, random_state=0),
        "mlp-sgd": MLPClassifier(solver="sgd", max_iter=30, random_state=0),
        "gaussian-process": GaussianProcessClassifier(
            kernel=ConstantKernel() * RBF() + WhiteKernel(), random_state=0
        ),
        "select-f-classif": make_pipeline(SelectKBest(f_classif, k=2), LogisticRegression()),
        "select-f-regression": make_pipeline(SelectKBest(f_regression, k=2), LogisticRegression()),
        "select-chi2": make_pipeline(SelectKBest(chi2, k=2), LogisticRegression()),
        "tweedie": TweedieRegressor(),
        "calibrated": CalibratedClassifierCV(LogisticRegression()),
        "feature-agglomeration": make_pipeline(
            FeatureAgglomeration(n_clusters=2), LogisticRegression()
        ),
    }
    return [pytest.param(estimator, id=name) for name, estimator in cases.items()]


# A 30-iteration MLP has not converged, which is beside the point of a storage test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", vetted_cases())
def test_estimators_needing_vetted_types_are_stored_with_skops(estimator: Any) -> None:
    frame = applicants()
    # Min-max scaled to [0, 1]: chi2 needs non-negative inputs, the MLP and GP want unit scale.
    numbers = frame[NUMERIC]
    rows = ((numbers - numbers.min()) / (numbers.max() - numbers.min())).to_numpy()
    model = estimator.fit(rows, frame["default"])
    meta, data = stored(model)
    assert meta["format"] == "skops"
    loaded = flavors.load(meta, data, allow_pickle=False)
    assert np.array_equal(loaded.predict(rows), model.predict(rows))


def test_a_lambda_in_a_pipeline_falls_back_to_a_pickle_that_only_the_user_process_loads() -> None:
    frame = applicants()
    model = make_pipeline(
        FunctionTransformer(lambda x: np.log1p(np.abs(x))), LogisticRegression()
    ).fit(frame[NUMERIC], frame["default"])
    meta, data = stored(model)
    assert meta["format"] == "pickle"
    with pytest.raises(InvalidInput, match="credit v2 is stored as a pickle") as refused:
        flavors.load(meta, data, uri="models:/credit/2", allow_pickle=False)
    assert refused.value.details == {"model": "models:/credit/2", "format": "pickle"}
    loaded = flavors.load(meta, data, uri="models:/credit/2", allow_pickle=True)
    assert np.array_equal(loaded.predict(frame[NUMERIC]), model.predict(frame[NUMERIC]))


def test_python_callables_are_pickles() -> None:
    threshold = 0.5

    def rule(frame: pd.DataFrame) -> np.ndarray:
        return (frame["debt"] / frame["income"] > threshold).to_numpy()

    meta, data = stored(rule, flavor="python_function")
    assert meta["format"] == "pickle"
    with pytest.raises(InvalidInput, match="does not unpickle"):
        flavors.load(meta, data, allow_pickle=False)
    loaded = flavors.load(meta, data, allow_pickle=True)
    assert np.array_equal(loaded.predict(applicants()), rule(applicants()))


def test_a_skops_file_is_described_with_skops_in_its_requirements() -> None:
    meta = flavors.describe(
        LogisticRegression(),
        input_example=None,
        model_bytes=stored(credit_pipeline(LogisticRegression()))[1],
        flavor="sklearn",
        environment={"packages": {"skops": "0.16.0", "joblib": "1.4.2"}},
    )
    assert meta["requirements"] == ["joblib==1.4.2", "skops==0.16.0"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"format": "joblib"}, "records storage format 'joblib'", id="unknown-format"),
        pytest.param({"flavor": "onnx"}, "unknown flavor 'onnx'", id="unknown-flavor"),
        pytest.param(
            {"flavor": "python_function", "format": "skops"},
            "records storage format 'skops' for flavor 'python_function'",
            id="skops-callable",
        ),
    ],
)
def test_metadata_that_names_no_known_way_to_load_is_refused(
    changes: dict[str, str], message: str
) -> None:
    meta, data = stored(credit_pipeline(LogisticRegression()))
    with pytest.raises(InvalidInput, match=message):
        flavors.load(meta | changes, data, uri="models:/credit/1", allow_pickle=True)


def legacy_joblib_version(client: Client, model: Any, features: pd.DataFrame) -> str:
    """Store `model` the way modelward did before skops (joblib bytes, no 'format'), register
    it and return its URI."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    data = buffer.getvalue()
    meta = {
        "flavor": "sklearn",
        "model_sha256": hashlib.sha256(data).hexdigest(),
        "model_size": len(data),
        "class": "sklearn.pipeline.Pipeline",
        "signature": infer_signature(features),
        "requirements": [],
        "has_predict_proba": True,
    }
    backend = client.backend
    with client.start_run("credit") as run:
        backend.artifacts.put_bytes(data)
        tracking_service.log_artifact_bytes(
            backend.uow(),
            backend.artifacts,
            guard=backend.guard(),
            run_id=run.id,
            path="model",
            data=json.dumps(meta, sort_keys=True).encode(),
            kind="model",
        )
    return client.registry.register(run.id, name="legacy").uri


def test_a_model_logged_before_skops_still_loads_and_validates_locally(client: Client) -> None:
    frame = applicants()
    features = frame[NUMERIC]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(features, frame["default"])
    uri = legacy_joblib_version(client, model, features)
    loaded = client.registry.load_model(uri)
    assert np.array_equal(loaded.predict_proba(features), model.predict_proba(features))
    validated = client.validation.validate(uri, applicants(seed=3), target="default")
    assert validated.record.version == 1 and validated.report.checks


def test_skops_bytes_are_the_same_in_every_process() -> None:
    """Reproducibility compares model bytes: skops's memory addresses and zip times are
    normalised, and the normalised file still loads to the same predictions."""
    import hashlib
    import subprocess
    import sys

    from modelward.registry import flavors
    from tests.builders import fitted_classifier

    code = (
        "import hashlib\n"
        "from modelward.registry import flavors\n"
        "from tests.builders import fitted_classifier\n"
        "model, _ = fitted_classifier()\n"
        "print(hashlib.sha256(flavors.serialize(model, flavor='sklearn')).hexdigest())\n"
    )
    model, features = fitted_classifier()
    data = flavors.serialize(model, flavor="sklearn")
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert hashlib.sha256(data).hexdigest() == other
    meta = flavors.describe(model, input_example=features.head(3), model_bytes=data,
                            flavor="sklearn", environment={})  # fmt: skip
    loaded = flavors.load(meta, data, uri="x", allow_pickle=False)
    assert (loaded.predict(features) == model.predict(features)).all()
