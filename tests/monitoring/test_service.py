"""Monitoring services over SQLite and PostgreSQL: labels, windows, alerts, late labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from modelward.client import Client
from modelward.errors import InvalidInput, NotFound
from tests.monitoring.helpers import DAY1, DAY2, DAY3, deploy_model, log_traffic, traffic


@pytest.fixture
def deployed(client: Client) -> tuple[Client, object]:
    client.backend.clock = lambda: DAY3
    return client, deploy_model(client, rows=1000)


def _labels(ids: list[str], values: object) -> pd.DataFrame:
    return pd.DataFrame({"request_id": ids, "label": list(values)})  # type: ignore[call-overload]


def test_labels_unknown_duplicate_and_replaced(deployed: tuple[Client, object]) -> None:
    client, model = deployed
    ids = log_traffic(client, model, traffic(5, seed=1), at=DAY1, prefix="r")
    first = _labels([*ids[:3], ids[0], "nobody-1", "nobody-2"], [1, 0, 1, 0, 1, 1])
    result = client.monitoring.ingest_labels("credit-scoring", first, id_column="request_id")
    assert (result.received, result.stored, result.duplicates_in_file) == (6, 3, 1)
    assert (result.unknown, result.unknown_examples) == (2, ["nobody-1", "nobody-2"])
    # r-0's last label in the file (0) won; sending it again is unchanged, r-1 is replaced
    again = client.monitoring.ingest_labels(
        "credit-scoring", _labels(ids[:2], [0, 1]), id_column="request_id"
    )
    assert (again.stored, again.replaced, again.unchanged) == (0, 1, 1)
    with client.backend.uow() as uow:
        stored = {lb.request_id: lb for lb in uow.monitoring.list_labels("credit-scoring")}
    assert (stored["r-0"].label, stored["r-0"].times_received) == (0, 2)
    assert (stored["r-1"].label, stored["r-1"].times_received) == (1, 2)
    assert stored["r-0"].predicted_at == DAY1


def test_label_input_errors_are_clear(deployed: tuple[Client, object]) -> None:
    client, _ = deployed
    with pytest.raises(InvalidInput, match="'req'"):
        client.monitoring.ingest_labels("credit-scoring", _labels(["a"], [1]), id_column="req")
    with pytest.raises(NotFound, match="nowhere"):
        client.monitoring.ingest_labels("nowhere", _labels(["a"], [1]), id_column="request_id")


def test_small_window_is_insufficient_data_never_an_alarm(deployed: tuple[Client, object]) -> None:
    client, model = deployed
    log_traffic(client, model, traffic(40, seed=2, income_shift=50_000), at=DAY1, prefix="s")
    result = client.monitoring.run("credit-scoring")
    assert [w.status.value for w in result.computed] == ["insufficient_data"] * 2  # day1, day2
    assert result.computed[0].n_rows == 40 and result.alerts == []


def test_missing_column_is_a_data_alert(deployed: tuple[Client, object]) -> None:
    client, model = deployed
    log_traffic(client, model, traffic(300, seed=3), at=DAY2, prefix="m", drop=("age",))
    result = client.monitoring.run("credit-scoring", window="1d")
    window = result.computed[-1]
    age = next(p for p in window.drift if p.column == "age")
    assert age.status == "missing_in_current" and age.drifted is None
    assert [(a.kind.value, a.subject) for a in result.alerts] == [("data", "age")]
    assert [a.subject for a in client.monitoring.open_alerts("credit-risk")] == ["age"]
    client.monitoring.acknowledge(result.alerts[0].id or 0, comment="retrained on fresh data")
    assert client.monitoring.open_alerts("credit-risk") == []


def test_late_labels_refresh_performance_and_alert(deployed: tuple[Client, object]) -> None:
    client, model = deployed
    holdout = traffic(300, seed=4)
    client.validation.validate(
        "models:/credit-risk/1", holdout[["income", "debt", "age", "default"]], target="default"
    )
    frame = traffic(300, seed=5)
    ids = log_traffic(client, model, frame, at=DAY2, prefix="p")
    first = client.monitoring.run("credit-scoring")
    assert first.computed[-1].summary["performance_status"] == "insufficient_data"
    client.backend.clock = lambda: DAY3 + timedelta(hours=1)
    wrong = 1 - frame["default"]  # the world changed: every label is the other class
    client.monitoring.ingest_labels("credit-scoring", _labels(ids, wrong), id_column="request_id")
    second = client.monitoring.run("credit-scoring")
    assert second.computed == [] and len(second.refreshed) == 1
    accuracy = next(p for p in second.refreshed[0].performance if p.metric == "accuracy")
    assert accuracy.degraded and accuracy.value is not None and accuracy.baseline is not None
    assert accuracy.value < accuracy.baseline - 0.05
    kinds = {(a.kind.value, a.severity.value, a.subject) for a in second.alerts}
    assert ("performance", "critical", "accuracy") in kinds
    third = client.monitoring.run("credit-scoring")
    assert (third.computed, third.refreshed, third.alerts) == ([], [], [])


def test_window_flag_and_reference_window(deployed: tuple[Client, object]) -> None:
    client, model = deployed
    log_traffic(client, model, traffic(300, seed=6), at=DAY1, prefix="a")
    log_traffic(client, model, traffic(300, seed=7, income_shift=12_000), at=DAY2, prefix="b")
    ref = (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC))
    result = client.monitoring.run("credit-scoring", window="12h", reference_window=ref)
    assert all(w.end - w.start == timedelta(hours=12) for w in result.computed)
    drifted = {a.subject for a in result.alerts if a.kind == "drift"}
    assert "income" in drifted and not {"debt", "age"} & drifted
    assert result.reference.startswith("prediction log")
    with pytest.raises(InvalidInput, match="duration"):
        client.monitoring.run("credit-scoring", window="daily")


def test_unreachable_webhook_is_recorded_not_fatal(deployed: tuple[Client, object]) -> None:
    from tests.serving.server import free_port

    client, model = deployed
    log_traffic(client, model, traffic(300, seed=8, income_shift=12_000), at=DAY2, prefix="w")
    hook = f"http://127.0.0.1:{free_port()}/nobody-listens"
    result = client.monitoring.run("credit-scoring", webhook=hook)
    assert result.alerts and {a.webhook_status for a in result.alerts} == {"failed"}
    assert all("ConnectError" in a.webhook_detail for a in client.monitoring.alerts())


def test_drift_alert_names_upstream_changes(deployed: tuple[Client, object]) -> None:
    from tests.governance.helpers import register

    client, model = deployed
    client.backend.clock = lambda: DAY1 - timedelta(days=1)  # type: ignore[attr-defined]
    register(client, "fraud-score")
    register(client, "fraud-score")
    client.graph.declare("credit-risk", "models:/fraud-score@champion")
    client.registry.set_alias("fraud-score", "champion", 1)
    client.registry.set_alias("fraud-score", "champion", 2)
    client.backend.clock = lambda: DAY3  # type: ignore[attr-defined]
    log_traffic(client, model, traffic(300, seed=6), at=DAY1, prefix="a")
    log_traffic(client, model, traffic(300, seed=7, income_shift=12_000), at=DAY2, prefix="b")
    ref = (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC))
    result = client.monitoring.run("credit-scoring", window="12h", reference_window=ref)
    drift = [a for a in result.alerts if a.kind == "drift" and a.subject == "income"]
    assert drift
    assert "Upstream changes before it: fraud-score champion moved v1→v2" in drift[0].message
    assert drift[0].details["upstream_changes"][0].startswith("fraud-score champion moved v1→v2")
    stored = [a for a in client.monitoring.alerts() if a.subject == "income"][0]
    assert "fraud-score champion moved v1→v2" in stored.message
