"""Replaying failed webhook deliveries through the server: to each delivery's stored target
only (a request that names a URL is refused, nothing is sent), with the monitor permission,
audited; what is shown of a target is its origin."""

from __future__ import annotations

from fastapi.testclient import TestClient

from modelward.client import Client
from modelward.config import Settings
from modelward.monitoring import obligations
from modelward.store.webhooks import http_sender
from tests.monitoring.helpers import deploy_model
from tests.obligations.receiver import receiver
from tests.server.conftest import Team

REPLAY = "/api/v1/monitoring/webhooks/replay"


def test_the_server_replays_stored_deliveries_to_their_stored_targets_only(
    settings: Settings, app_client: TestClient, team: Team
) -> None:
    job = Client(settings)  # the monitoring job, where the webhook is configured
    try:
        deploy_model(job, rows=200)
        with receiver() as hook:
            hook.status = 503
            notify = obligations.kept_notifier(
                lambda payload: http_sender(timeout=5)(hook.url, payload),
                job.backend.uow,  # type: ignore[attr-defined]
                guard=job.backend.guard(),  # type: ignore[attr-defined]
                target=hook.url,
                retries=1,
            )
            assert notify({"deployment": "credit-scoring", "alerts": []})[0] == "failed"
            hook.status = 204
            alice, victor = team.headers("alice"), team.headers("victor")
            # a client may not name where the server posts (SSRF): refused, nothing sent
            for body in ({"webhook": "http://169.254.169.254/"}, {"url": "http://10.0.0.1/"}):
                refused = app_client.post(REPLAY, json=body, headers=alice)
                assert refused.status_code == 422, refused.text
            assert app_client.post(REPLAY, json={}, headers=victor).status_code == 403
            assert hook.received == []
            listed = app_client.get("/api/v1/monitoring/webhooks", headers=alice).json()
            assert [(d["status"], d["target"]) for d in listed] == [("failed", hook.origin)]
            done = app_client.post(REPLAY, json={"deployment": "credit-scoring"}, headers=alice)
            assert done.status_code == 200, done.text
            assert [(d["status"], d["attempts"], d["target"]) for d in done.json()] == [
                ("delivered", 2, hook.origin)
            ]
            assert [path for path, _ in hook.received] == ["/hook/s3cret?token=t0ken"]
            assert "s3cret" not in done.text and "t0ken" not in done.text
            unknown = app_client.post(REPLAY, json={"deployment": "nope"}, headers=alice)
            assert unknown.status_code == 404
        events = job.governance.audit_events(entity_type="deployment", entity_id="credit-scoring")
        [event] = [e for e in events if e.action == "monitoring.webhook_replayed"]
        assert event.actor == "alice" and event.after is not None
        assert event.after["target"] == hook.origin
    finally:
        job.close()
