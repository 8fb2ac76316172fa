"""Data protection: settings per deployment, pseudonyms in the prediction log, retention and
compaction (`maintenance`), and erasure of one data subject from every place that held them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from modelward import errors
from modelward.client import Client
from modelward.config import Settings
from modelward.domain.privacy import LegalBasis, pseudonym, subject_reference
from modelward.store.predictions import PredictionEntry, PredictionLogger, write_entries
from tests.builders import applicants

DEPLOYMENT = "loans"
FEATURES = ["customer_id", "income", "debt", "region"]
VICTIM = "C-0007"
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def customers(rows: int, *, seed: int) -> pd.DataFrame:
    frame = applicants(rows, seed=seed)
    return frame.assign(customer_id=[f"C-{i:04d}" for i in range(rows)])


def _model(frame: pd.DataFrame) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), ["income", "debt"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    return make_pipeline(prep, LogisticRegression()).fit(frame[FEATURES], frame["default"])


@pytest.fixture
def world(settings: Settings) -> Iterator[tuple[Client, Any]]:
    """A model trained on customers (id and region tagged personal), deployed as `loans`."""
    client = Client(settings)
    client.backend.clock = lambda: NOW
    frame = customers(400, seed=0)
    model = _model(frame)
    with client.start_run("loans", capture_code=False) as run:
        ref = run.log_dataset(frame, name="train", role="training")
        run.log_model(model, "model", input_example=frame[FEATURES].head(5))
    for column in ("customer_id", "region"):
        client.governance.tag_column(ref.dataset_id, column, personal=True, legal_basis="contract")
    client.registry.register(run.id, name="loan-model")
    client.registry.set_alias("loan-model", "champion", 1)
    client.deployments.create(DEPLOYMENT, model_uri="models:/loan-model@champion")
    yield client, model
    client.close()


def _entries(model: Any, frame: pd.DataFrame, at: datetime, prefix: str) -> list[PredictionEntry]:
    proba = model.predict_proba(frame[FEATURES])
    return [
        PredictionEntry(
            request_id=f"{prefix}-{i}",
            ts=at,
            deployment=DEPLOYMENT,
            model="loan-model",
            version=1,
            arm="champion",
            latency_ms=1.0,
            inputs={c: [frame[c].iloc[i]] for c in FEATURES},
            predictions=np.array([int(proba[i, 1] > 0.5)]),
            probabilities=proba[i : i + 1],
        )  # fmt: skip
        for i in range(len(frame))
    ]


def _log(client: Client, model: Any, frame: pd.DataFrame, at: datetime, prefix: str) -> None:
    transform = client.backend.workspace.pseudonymiser(DEPLOYMENT)  # type: ignore[attr-defined]
    root = client.settings.resolved_predictions_dir()
    write_entries(root, _entries(model, frame, at, prefix), stem=prefix, transform=transform)


def _key(client: Client) -> bytes:
    return client.backend.workspace.pseudonym_key()  # type: ignore[attr-defined]


def _all_logged(client: Client) -> pd.DataFrame:
    files = sorted(client.settings.resolved_predictions_dir().rglob("*.parquet"))
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def test_settings_take_a_closed_list_of_legal_bases_and_known_columns(
    world: tuple[Client, Any],
) -> None:
    client, _ = world
    with pytest.raises(errors.InvalidInput, match=r"6\(1\)"):
        client.data.protect(DEPLOYMENT, legal_basis="because we can")
    with pytest.raises(errors.InvalidInput, match="legal basis"):
        client.data.protect(DEPLOYMENT, personal_columns=["region"])
    with pytest.raises(errors.InvalidInput, match="no input column 'email'"):
        client.data.protect(DEPLOYMENT, legal_basis="b", personal_columns=["email"])
    with pytest.raises(errors.InvalidInput, match="at least 1 day"):
        client.data.protect(DEPLOYMENT, legal_basis="b", retention_days=0)
    with pytest.raises(errors.NotFound):
        client.data.protection(DEPLOYMENT)
    # without personal columns named, the governance tags of the training data are taken
    found = client.data.protect(
        DEPLOYMENT, legal_basis="6(1)(b)", retention_days=30, subject_column="customer_id"
    )
    assert found.legal_basis is LegalBasis.CONTRACT
    assert set(found.personal_columns) == {"customer_id", "region"}
    assert client.data.protection(DEPLOYMENT) == found
    [holding] = client.data.inventory()
    assert (holding.deployment, holding.legal_basis, holding.retention_days) == (
        DEPLOYMENT, LegalBasis.CONTRACT, 30,
    )  # fmt: skip
    assert holding.pseudonymised
    event = client.governance.audit_events(entity_type="deployment", entity_id=DEPLOYMENT)[0]
    assert event.action == "data.protection_set"
    assert event.after is not None and event.after["legal_basis"] == "6(1)(b)"


def test_personal_columns_are_logged_as_keyed_pseudonyms(world: tuple[Client, Any]) -> None:
    client, model = world
    client.data.protect(DEPLOYMENT, legal_basis="b", subject_column="customer_id")
    transform = client.backend.workspace.pseudonymiser(DEPLOYMENT)  # type: ignore[attr-defined]
    root = client.settings.resolved_predictions_dir()
    logger = PredictionLogger(root, batch_rows=10_000, flush_seconds=0.05, transform=transform)
    traffic = customers(300, seed=1)
    for entry in _entries(model, traffic, NOW, "live"):
        logger.log(entry)
    logger.close()
    assert logger.errors == 0
    logged = _all_logged(client).sort_values("request_id", key=lambda s: s.str[5:].astype(int))
    key = _key(client)
    assert list(logged["in_customer_id"]) == [pseudonym(v, key) for v in traffic["customer_id"]]
    assert not set(traffic["customer_id"]) & set(logged["in_customer_id"])
    # a categorical column keeps its distribution under the keyed hash
    clear = traffic["region"].value_counts().sort_values().to_list()
    hashed = logged["in_region"].value_counts().sort_values().to_list()
    assert clear == hashed and not set(logged["in_region"]) & {"north", "south", "east"}
    np.testing.assert_array_equal(logged["in_income"], traffic["income"])  # not personal: clear
    # the key is a private file and appears nowhere in the trail
    key_file = Path(client.settings.home) / "pseudonym.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    trail = repr(client.governance.audit_events(limit=1000))
    assert key.hex() not in trail and VICTIM not in trail


def test_a_policy_may_allow_clear_text(world: tuple[Client, Any], tmp_path: Path) -> None:
    client, _ = world
    policy = tmp_path / "policy.yaml"
    levels = ("low", "medium", "high", "severe")
    policy.write_text(
        "policies:\n" + "".join(f"  {lv}:\n    personal_data_clear_text: true\n" for lv in levels)
    )
    assert client.data.pseudonymised_columns(DEPLOYMENT) == ["customer_id", "region"]
    relaxed = Client(client.settings.model_copy(update={"policy_file": policy}))
    try:
        assert relaxed.data.pseudonymised_columns(DEPLOYMENT) == []
    finally:
        relaxed.close()


def _bytes_everywhere(client: Client) -> bytes:
    home = Path(client.settings.home)
    folders = [client.settings.resolved_predictions_dir(), home / "artifacts"]
    return b"".join(p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file())


def test_erasing_a_subject_leaves_nothing_of_theirs_anywhere(world: tuple[Client, Any]) -> None:
    client, model = world
    client.data.protect(
        DEPLOYMENT, legal_basis="b", retention_days=365, subject_column="customer_id"
    )
    traffic = customers(40, seed=2)
    days = [NOW - timedelta(days=d) for d in (3, 2)]
    for day in days:  # two processes' files per day: compacted below
        _log(client, model, traffic.iloc[:20], day, f"a{day:%d}")
        _log(client, model, traffic.iloc[20:], day, f"b{day:%d}")
    done = client.data.maintenance()
    assert done.deployments[DEPLOYMENT]["files_merged"] == 4
    assert done.deployments[DEPLOYMENT]["days_compacted"] == 2
    compacted = sorted(client.settings.resolved_predictions_dir().rglob("compacted-*.parquet"))
    assert len(compacted) == 2
    _log(client, model, traffic.iloc[5:10], NOW - timedelta(days=2), "late")  # after compaction
    _log(client, model, traffic.iloc[5:10], NOW, "today")
    ids = pd.DataFrame({"request_id": ["today-2", "today-3", "a08-7"], "label": [1, 0, 1]})
    client.monitoring.ingest_labels(DEPLOYMENT, ids, id_column="request_id", label_column="label")
    key = _key(client)
    marker = pseudonym(VICTIM, key).encode()
    before = _all_logged(client)
    victim_rows = int((before["in_customer_id"] == pseudonym(VICTIM, key)).sum())
    assert victim_rows == 2 + 1 + 1  # two days, the late file and today

    result = client.data.erase(VICTIM)

    assert (result.prediction_rows, result.labels, result.sample_rows) == (victim_rows, 2, 1)
    after = _all_logged(client)
    assert len(after) == len(before) - victim_rows
    assert not after.isin([VICTIM, pseudonym(VICTIM, key)]).any().any()
    assert len(sorted(client.settings.resolved_predictions_dir().rglob("compacted-*"))) == 2
    labelled = client.monitoring.labelled_rows(
        DEPLOYMENT, features=["income"], target="label", start=NOW - timedelta(days=9)
    )
    assert len(labelled) == 1  # today-3 (C-0008); a08-7 and today-2 were C-0007's
    run = client.tracking.get_run(client.tracking.search_runs(experiments=["loans"])[0].id)
    [dataset] = run.datasets
    sample = client.backend.artifacts.get_bytes(dataset.sample_sha256)  # type: ignore[attr-defined]
    assert VICTIM not in set(pd.read_parquet(io.BytesIO(sample))["customer_id"])
    assert VICTIM not in str(client.tracking.get_run(run.id).datasets[0].profile)
    raw = _bytes_everywhere(client)
    assert VICTIM.encode() not in raw and marker not in raw
    [event] = client.governance.audit_events(entity_type="data_subject")
    assert event.entity_id == subject_reference(VICTIM, key)
    assert VICTIM not in repr(event) and pseudonym(VICTIM, key) not in repr(event)
    assert event.after is not None and event.after["prediction_rows"] == victim_rows
    again = client.data.erase(VICTIM)  # idempotent
    assert again.total == 0


def test_maintenance_enforces_retention_and_is_audited(world: tuple[Client, Any]) -> None:
    client, model = world
    client.data.protect(DEPLOYMENT, legal_basis="f", retention_days=7, subject_column="customer_id")
    traffic = customers(10, seed=3)
    _log(client, model, traffic, NOW - timedelta(days=20), "old")
    _log(client, model, traffic, NOW - timedelta(days=7, hours=1), "edge")
    _log(client, model, traffic, NOW - timedelta(days=1), "new")
    labels = pd.DataFrame({"request_id": ["old-1", "new-1"], "label": [0, 1]})
    client.monitoring.ingest_labels(
        DEPLOYMENT, labels, id_column="request_id", label_column="label"
    )
    done = client.data.maintenance(compact=False)
    counts = done.deployments[DEPLOYMENT]
    assert (counts["prediction_rows"], counts["labels"]) == (20, 1)
    left = _all_logged(client)
    assert set(left["request_id"].str.split("-").str[0]) == {"new"}
    assert left["ts"].min() >= pd.Timestamp(NOW - timedelta(days=7))
    [event] = [
        e for e in client.governance.audit_events(entity_type="deployment", entity_id=DEPLOYMENT)
        if e.action == "data.maintenance"
    ]  # fmt: skip
    assert event.after == counts


def test_erasure_and_maintenance_are_guarded(world: tuple[Client, Any]) -> None:
    client, _ = world
    client.governance.add_user("dora", roles=["data_scientist"])
    as_dora = Client(client.settings.model_copy(update={"user": "dora"}))
    try:
        for call in (
            lambda: as_dora.data.erase(VICTIM, columns=["customer_id"]),
            lambda: as_dora.data.maintenance(),
            lambda: as_dora.data.protect(DEPLOYMENT, legal_basis="a"),
        ):
            with pytest.raises(errors.PermissionDenied):
                call()
    finally:
        as_dora.close()
