"""Validation through the client: evaluation, storage with the version, comparison, bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from modelward.client import Client
from modelward.errors import InvalidInput, NotFound
from tests.builders import applicants, fitted_classifier

FEATURES = ["income", "debt", "age"]


def _register(client: Client, *, seed: int = 0, noise: float = 0.0) -> int:
    train = applicants(600, seed=seed)
    if noise:
        rng = np.random.default_rng(seed)
        train = train.assign(
            default=np.where(rng.random(len(train)) < noise, 1 - train["default"], train["default"])
        )
    model, _ = fitted_classifier(train)
    with client.start_run("credit") as run:
        run.log_dataset(train, "train", role="training")
        run.log_model(model, "model", input_example=train[FEATURES].head())
    return client.registry.register(run.id, name="credit-risk").version


@pytest.fixture
def holdout() -> pd.DataFrame:
    return applicants(800, seed=42)


def test_validation_is_stored_with_the_version(client: Client, holdout: pd.DataFrame) -> None:
    version = _register(client)
    done = client.validation.validate(
        f"models:/credit-risk/{version}",
        holdout,
        target="default",
        sensitive=["region"],
        config={"slice_gap": 0.5},
    )
    report = done.report
    model = client.registry.load_model(f"models:/credit-risk/{version}")
    expected_auc = roc_auc_score(holdout["default"], model.predict_proba(holdout)[:, 1])
    assert report.find_check("performance.roc_auc").value == pytest.approx(expected_auc)
    assert report.check_names("fairness"), "fairness checks ran for the sensitive attribute"
    assert report.check_names("data_quality"), "data quality against the training profile ran"
    latest = client.validation.latest("credit-risk", version)
    assert latest.record.passed == report.passed and latest.record.id == done.record.id
    assert latest.report.to_dict() == report.to_dict()
    assert "<html" in client.validation.html(latest.record).lower()
    with client.backend.uow(read_only=True) as uow:
        actions = [e.action for e in uow.audit.iter_events()]
    assert actions[-1] == "version.validated"


def test_comparison_with_the_champion(client: Client, holdout: pd.DataFrame) -> None:
    champion = _register(client, seed=1, noise=0.35)
    client.registry.set_alias("credit-risk", "champion", champion)
    challenger = _register(client, seed=2)
    report = client.validation.validate(
        f"models:/credit-risk/{challenger}", holdout, target="default", against="champion"
    ).report
    assert report.against == f"models:/credit-risk/{champion}"
    assert report.sections["comparison"]["verdict"] in {"better", "equal_within_noise"}
    assert report.check_names("comparison")


def test_not_validated_yet_is_not_found(client: Client) -> None:
    version = _register(client)
    with pytest.raises(NotFound, match="has not been validated"):
        client.validation.latest("credit-risk", version)


@pytest.mark.parametrize(
    ("mutate", "kwargs", "fragment"),
    [
        pytest.param(
            lambda f: f.drop(columns=["default"]),
            {},
            "Target column 'default'",
            id="target-missing",
        ),
        pytest.param(
            lambda f: f.drop(columns=["debt"]),
            {},
            "missing column.*'debt'",
            id="signature-column-missing",
        ),
        pytest.param(
            lambda f: f.assign(income="n/a"),
            {},
            "'income' must be float",
            id="signature-wrong-type",
        ),
        pytest.param(lambda f: f.head(0), {}, "no rows", id="empty"),
        pytest.param(
            lambda f: f.assign(region="north"),
            {"sensitive": ["region"]},
            "region",
            id="single-group",
        ),
        pytest.param(
            lambda f: f.assign(default=f["income"] / 1000),
            {},
            "regression|continuous|target",
            id="regression-target-for-classifier",
        ),
    ],
)
def test_bad_validation_input_names_the_problem(
    client: Client,
    holdout: pd.DataFrame,
    mutate,
    kwargs,
    fragment: str,  # type: ignore[no-untyped-def]
) -> None:
    version = _register(client)
    with pytest.raises(InvalidInput, match=fragment):
        client.validation.validate(
            f"models:/credit-risk/{version}", mutate(holdout), target="default", **kwargs
        )
    assert client.validation.list("credit-risk") == [], "a refused validation stores nothing"


def test_validation_reads_files(client: Client, holdout: pd.DataFrame, tmp_path: Path) -> None:
    version = _register(client)
    path = tmp_path / "holdout.csv"
    holdout.to_csv(path, index=False)
    report = client.validation.validate(
        f"models:/credit-risk/{version}", str(path), target="default"
    ).report
    assert report.data_rows == len(holdout)


def test_a_registered_regressor_is_validated_as_regression(client: Client) -> None:
    from sklearn.linear_model import LinearRegression

    frame = applicants(400)
    features = frame[["income", "age"]]
    model = LinearRegression().fit(features, frame["debt"])
    with client.start_run("debt") as run:
        run.log_model(model, "model", input_example=features.head())
    client.registry.register(run.id, name="debt-regressor")
    loaded = client.registry.load_model("models:/debt-regressor/1")
    assert not hasattr(loaded, "predict_proba")
    report = client.validation.validate("models:/debt-regressor/1", frame, target="debt",
                                        config={"metrics": {"min_roc_auc": None}}).report
    assert report.task == "regression"
    assert report.find_check("performance.mae") is not None
