"""A workspace with credit-risk v1 (champion) and v2, and a deployment of the champion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from modelward.client import Client
from modelward.config import Settings
from tests.builders import applicants, fitted_classifier


def register_versions(client: Client, count: int = 2) -> None:
    frame = applicants()
    for seed in range(count):
        model, features = fitted_classifier(applicants(seed=seed))
        with client.start_run("credit") as run:
            run.log_dataset(frame, name="train", role="training")
            run.log_model(model, "model", input_example=features.head(5))
        client.registry.register(run.id, name="credit-risk")
    client.registry.set_alias("credit-risk", "champion", 1)


@pytest.fixture
def workspace(sqlite_settings: Settings) -> Iterator[Client]:
    settings = sqlite_settings.model_copy(
        # no protected aliases: these tests are about serving, not the governance gate
        update={
            "predictions_flush_seconds": 0.2,
            "poll_interval": 0.1,
            "protected_aliases": "",
            "protected_environments": "",
        }
    )
    client = Client(settings)
    register_versions(client)
    client.deployments.create(
        "credit-scoring", model_uri="models:/credit-risk@champion", environment="staging"
    )
    yield client
    client.close()


def app_for(client: Client, deployment: str = "credit-scoring", **options: Any) -> Any:
    from modelward.server.scoring import create_scoring_app

    return create_scoring_app(deployment, settings=client.settings, **options)


RECORD = {"income": 52_000.0, "debt": 9_000.0, "age": 41}
