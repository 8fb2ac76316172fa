"""Fairness, business and ranking figures per window, from the protected-context and outcome
feeds; the policy's automatic response; monitoring obligations; kept webhook deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelward.client import Client
from modelward.config import Settings
from modelward.domain.obligations import SYSTEM_ACTOR
from modelward.errors import InvalidInput
from modelward.monitoring import obligations
from modelward.validation.base import Outputs
from modelward.validation.fairness import check_fairness
from tests.monitoring.helpers import DAY1, DAY3, FEATURES, deploy_model, log_traffic, traffic

POLICY = """
policies:
  severe:
    thresholds:
      fairness.demographic_parity_difference: {max: 0.05}
    alert_responses: {fairness: kill_switch}
"""


@pytest.fixture
def governed(settings: Settings, tmp_path: Path) -> Iterator[Client]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    made = Client(settings.model_copy(update={"policy_file": policy}))
    made.backend.clock = lambda: DAY3
    yield made
    made.close()


def _traffic(client: Client) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    model = deploy_model(client, rows=600)
    frame = traffic(300, seed=5)
    ids = log_traffic(client, model, frame, at=DAY1, prefix="f")
    decisions = (model.predict_proba(frame[FEATURES])[:, 1] > 0.5).astype(int)
    return ids, frame, decisions


def test_window_fairness_equals_validation_and_triggers_the_policy_response(
    governed: Client,
) -> None:
    client = governed
    ids, _frame, decisions = _traffic(client)
    rng = np.random.default_rng(0)
    truth = np.where(rng.random(len(ids)) < 0.8, decisions, 1 - decisions)
    # the positive decisions mostly fall in group "a": a parity gap far above 0.05
    gender = np.where(decisions == 1, np.where(rng.random(len(ids)) < 0.8, "a", "b"), "b")
    gender[:40] = "a"
    client.monitoring.ingest_labels("credit-scoring", pd.DataFrame({"request_id": ids,
                                                                    "label": truth}))  # fmt: skip
    sent = client.monitoring.ingest_context(
        "credit-scoring", pd.DataFrame({"request_id": ids, "gender": gender})
    )
    assert (sent.stored, sent.unknown, sent.columns) == (300, 0, ["gender"])
    converted = rng.random(len(ids)) < 0.2
    client.monitoring.ingest_outcomes(
        "credit-scoring", pd.DataFrame({"request_id": ids, "converted": converted.astype(int)})
    )
    result = client.monitoring.run("credit-scoring", window="1d")

    rows = {r["name"]: r for r in client.monitoring.figures("credit-scoring")}
    outputs = Outputs("classification", truth, decisions, classes=(0, 1), positive_label=1)
    reference = check_fairness(outputs, sensitive_features=pd.DataFrame({"gender": gender}))
    expected = {c.name: c.value for c in reference.checks}
    name = "fairness.demographic_parity_difference[gender]"
    # one code path: the same function on the same rows, so the same float
    assert rows[name]["value"] == pytest.approx(expected[name], abs=1e-12)
    assert rows[name]["threshold"] == 0.05 and rows[name]["breached"] is True
    assert rows["outcome.converted"]["value"] == pytest.approx(converted.mean())
    fairness = [a for a in result.alerts if a.kind.value == "fairness"]
    assert fairness and fairness[0].severity.value == "critical"
    # the severe policy's response: the kill switch, by the system actor, audited
    assert result.responses[0]["response"] == "kill_switch" and result.responses[0]["done"]
    assert client.deployments.get("credit-scoring").killed
    events = client.governance.audit_events(entity_id="credit-scoring")
    assert any(e.action == "deployment.killed" and e.actor == SYSTEM_ACTOR for e in events)
    assert any(e.action == "monitoring.response" for e in events)


def test_monitoring_overdue_follows_the_policy_cadence(governed: Client) -> None:
    client = governed
    deploy_model(client, rows=300)
    client.deployments.create(
        "credit-live", model_uri="models:/credit-risk@champion", environment="production"
    )
    due = {d.deployment: d for d in client.monitoring.obligations("credit-risk")}
    # severe policy: monitoring every day; never run since deployment at DAY3 -> on time
    assert due["credit-live"].cadence_days == 1 and not due["credit-live"].overdue
    client.backend.clock = lambda: DAY3 + pd.Timedelta(days=2)
    assert client.monitoring.obligations("credit-risk")[0].overdue
    # overdue in governance status (an unmet gate item of the next promotion) and inventory
    items = {i.name: i for i in client.governance.status("credit-risk", 1).decision.items}
    assert items["monitoring.cadence"].met is False
    assert "credit-live" in items["monitoring.cadence"].detail
    [row] = client.governance.inventory()
    assert row.monitoring_overdue == ("credit-live",) and row.overdue
    client.monitoring.run("credit-live")
    assert not client.monitoring.obligations("credit-risk")[0].overdue
    items = {i.name: i for i in client.governance.status("credit-risk", 1).decision.items}
    assert items["monitoring.cadence"].met is True


def test_failed_webhooks_are_retried_kept_and_replayed(governed: Client) -> None:
    client = governed
    deploy_model(client, rows=300)
    calls: list[int] = []
    hook = "https://hooks.example.com/mw/s3cret?token=t0ken"

    def down(payload: dict[str, object]) -> tuple[str, str]:
        calls.append(1)
        return "failed", "HTTP 503"

    waits: list[float] = []
    kept = obligations.kept_notifier(
        down, client.backend.uow, guard=client.backend.guard(), target=hook, retries=3,
        sleep=waits.append,
    )  # fmt: skip
    assert kept({"deployment": "credit-scoring", "alerts": []}) == ("failed", "HTTP 503")
    assert len(calls) == 3 and waits == [0.5, 1.0]  # exponential backoff between attempts
    [failed] = client.monitoring.webhooks(failed_only=True)
    assert failed.attempts == 3 and failed.last_error == "HTTP 503"
    assert failed.target == "https://hooks.example.com"  # the secret path is never shown
    sent: list[str] = []

    def up(url: str, payload: dict[str, object]) -> tuple[str, str]:
        sent.append(url)
        return "delivered", "HTTP 200"

    replayed = obligations.replay_webhooks(client.backend.uow(), up, guard=client.backend.guard())
    assert sent == [hook]  # to the stored target, whole
    assert [(d.status, d.attempts, d.target) for d in replayed] == [
        ("delivered", 4, "https://hooks.example.com")
    ]
    assert client.monitoring.webhooks(failed_only=True) == []
    events = client.governance.audit_events(entity_type="deployment", entity_id="credit-scoring")
    [event] = [e for e in events if e.action == "monitoring.webhook_replayed"]
    assert event.after == {
        "delivery": failed.id, "status": "delivered", "attempts": 4,
        "target": "https://hooks.example.com",
    }  # fmt: skip


def test_a_delivery_kept_without_a_target_goes_only_to_a_configured_fallback(
    governed: Client,
) -> None:
    """Deliveries kept before targets were recorded: the server cannot replay them (it has
    no URL for them and takes none from a client); a local replay sends them to the
    project's configured webhook."""
    client = governed
    deploy_model(client, rows=300)
    kept = obligations.kept_notifier(
        lambda p: ("failed", "HTTP 503"), client.backend.uow, guard=client.backend.guard(),
        retries=1,
    )  # fmt: skip
    kept({"deployment": "credit-scoring", "alerts": []})
    sent: list[str] = []

    def up(url: str, payload: dict[str, object]) -> tuple[str, str]:
        sent.append(url)
        return "delivered", "HTTP 200"

    guard = client.backend.guard()
    assert obligations.replay_webhooks(client.backend.uow(), up, guard=guard) == []
    bad = "file:///etc/passwd"  # not a web URL: never sent
    assert obligations.replay_webhooks(client.backend.uow(), up, guard=guard, fallback=bad) == []
    assert sent == [] and len(client.monitoring.webhooks(failed_only=True)) == 1
    # a newer delivery with a target: the one left behind does not use up the limit
    targeted = obligations.kept_notifier(
        lambda p: ("failed", "HTTP 503"), client.backend.uow, guard=guard,
        target="https://other.example.com/x", retries=1,
    )  # fmt: skip
    targeted({"deployment": "credit-scoring", "alerts": []})
    [first] = obligations.replay_webhooks(client.backend.uow(), up, guard=guard, limit=1)
    assert sent == ["https://other.example.com/x"] and first.target == "https://other.example.com"
    fallback = "http://hooks.example.com/configured"
    [done] = obligations.replay_webhooks(client.backend.uow(), up, guard=guard, fallback=fallback)
    assert sent[1:] == [fallback] and (done.status, done.target) == (
        "delivered", "http://hooks.example.com",
    )  # fmt: skip
    # the target it went to is recorded with it from now on
    assert client.monitoring.webhooks()[0].target == "http://hooks.example.com"


def test_protected_context_needs_its_own_permission_and_is_purged(governed: Client) -> None:
    client = governed
    ids, _, _ = _traffic(client)
    client.monitoring.ingest_context(
        "credit-scoring", pd.DataFrame({"request_id": ids[:10], "gender": ["a"] * 10})
    )
    client.backend.clock = lambda: DAY3 + pd.Timedelta(days=40)
    assert client.monitoring.purge_context("credit-scoring", retention_days=30) == 10
    with pytest.raises(InvalidInput, match="between 1 day and 100 years"):
        client.monitoring.purge_context("credit-scoring", retention_days=0)


def test_compare_reports_each_arms_kpi_uplift_and_rows_needed(governed: Client) -> None:
    from modelward.stats.abtest import compare_kpi

    client = governed
    model = deploy_model(client, rows=600)
    run_id = client.registry.get_version("credit-risk", 1).run_id
    client.registry.register(run_id, name="credit-risk")
    client.deployments.set_challenger("credit-scoring", 2, strategy="canary", share=0.5)
    champ = log_traffic(client, model, traffic(200, seed=6), at=DAY1, prefix="a")
    chall = log_traffic(client, model, traffic(200, seed=7), at=DAY1, prefix="b", version=2,
                        arm="challenger")  # fmt: skip
    rng = np.random.default_rng(2)
    a, b = (rng.random(200) < 0.1).astype(int), (rng.random(200) < 0.2).astype(int)
    client.monitoring.ingest_outcomes(
        "credit-scoring", pd.DataFrame({"request_id": champ + chall, "converted": [*a, *b]})
    )
    evidence = client.monitoring.compare("credit-scoring")
    [kpi] = evidence.kpis
    expected = compare_kpi("converted", a.astype(float), b.astype(float)).as_dict()
    # the same statistics on the same rows split by arm; rows arrive in another order, so
    # sums differ in the last bits
    for key in ("uplift", "ci_low", "ci_high", "p_value", "relative_uplift"):
        assert kpi[key] == pytest.approx(expected[key], rel=1e-9)
    assert kpi["required_per_arm"] == expected["required_per_arm"]
    assert kpi["verdict"] == expected["verdict"]
    assert kpi["a"]["n"] == 200 and kpi["uplift"] == pytest.approx(b.mean() - a.mean())
    assert evidence.metrics == []  # no labels: the KPIs alone are the evidence
