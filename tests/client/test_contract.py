"""The client contract: every method of every namespace Protocol (`client/contract.py`) gives
the same result locally (services over a workspace) and remotely (a real uvicorn server over
another workspace), on the same scenario.

`test_every_protocol_method_is_exercised` introspects the Protocols: a method added to a
Protocol without a call in the scenario below fails the suite, so nothing joins the contract
without a local-and-remote comparison.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelward import errors
from modelward.client import Client, contract
from modelward.config import Settings
from modelward.domain.privacy import Reproduction
from modelward.domain.tracking import Metric
from modelward.governance.policies import dump_policies
from modelward.server.app import create_app
from tests.builders import applicants, fitted_classifier
from tests.monitoring.helpers import DAY1, DAY2, DAY3, FEATURES, log_traffic, traffic
from tests.obligations.receiver import Receiver, receiver
from tests.server.conftest import make_team
from tests.serving.server import serve_in_thread

# Two workspaces and a real uvicorn server: end to end, so slow.
pytestmark = pytest.mark.slow

NAMESPACES: dict[str, type[Any]] = {
    "tracking": contract.TrackingAPI,
    "registry": contract.RegistryAPI,
    "validation": contract.ValidationAPI,
    "governance": contract.GovernanceAPI,
    "deployments": contract.DeploymentsAPI,
    "monitoring": contract.MonitoringAPI,
    "evidence": contract.EvidenceAPI,
    "graph": contract.GraphAPI,
    "guardrails": contract.GuardrailsAPI,
    "data": contract.DataProtectionAPI,
}
# Values that differ between two workspaces by nature: ids, hashes of what holds ids or times,
# tokens, durations. Timestamps are dropped by type (see `norm`).
VOLATILE = {
    "id",
    "subject_ref",  # a keyed hash: each workspace has its own key
    "run_id",
    "job_id",
    "experiment_id",
    "parent_run_id",
    "token",
    "seconds",
    "address",
    "hash",
    "prev_hash",
    "last_hash",
    "last_seq",
    "seq",
    "gate_event_seq",
    "evidence_id",
    "evidence_sha256",
    "artifact_sha256",
    "meta_sha256",
    "sha256",
    "reference",
    "entry_point",
    "git_commit",
    "git_dirty",
    "environment_id",
    "path",
    "output",
    "token_id",
    "token_hash",  # the server never sends a token's hash
    "data",  # an evidence pack's bytes hold hashes and ids
    "manifest_sha256",
}


def protocol_members(protocol: type[Any]) -> set[str]:
    """The public methods and properties a Protocol declares."""
    return {
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property))
    }


def norm(value: Any) -> Any:
    """`value` as plain data to compare across workspaces: dataclasses as dicts, timestamps
    and VOLATILE keys dropped, enums as values, paths as their names.

    Floats are rounded to 9 decimals: both sides compute them with the same code on the same
    data, so they agree to the last bit; the rounding only keeps a difference in the 15th
    digit (a JSON round trip of a computed, not stored, value) from failing the comparison.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            str(k): norm(v)
            for k, v in value.items()
            if str(k) not in VOLATILE and not isinstance(v, datetime)
        }
    if isinstance(value, list | tuple):
        return [norm(v) for v in value if not isinstance(v, datetime)]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return value.name
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else round(float(value), 9)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def refusal(call: Callable[[], Any]) -> tuple[str, str]:
    """The error class and its whole message (for rules both faces must word alike)."""
    try:
        call()
    except errors.ModelwardError as exc:
        return type(exc).__name__, str(exc)
    return "ok", ""


def outcome(call: Callable[[], Any]) -> Any:
    """The normalized result, or the error class and its details (errors are results too)."""
    try:
        return ("ok", norm(call()))
    except errors.ModelwardError as exc:
        details = getattr(exc, "details", {})
        return ("error", type(exc).__name__, norm(details.get("missing")))


class Recorder:
    """A namespace that writes down which members the scenario used."""

    def __init__(self, target: Any, namespace: str, seen: set[tuple[str, str]]) -> None:
        self._target, self._namespace, self._seen = target, namespace, seen

    def __getattr__(self, name: str) -> Any:
        self._seen.add((self._namespace, name))
        return getattr(self._target, name)


class World:
    """One workspace seen as several users, locally or through a server; a frozen clock."""

    def __init__(self, mode: str, root: Path, seen: set[tuple[str, str]]) -> None:
        self.mode, self.root, self.seen = mode, root, seen
        self.settings = Settings(
            home=root / ".modelward",
            artifact_url=str(root / "artifacts"),
            user="alice",
            flush_interval=0.2,
            protected_aliases="",
            protected_environments="",
        )
        self.team = make_team(self.settings)
        self._stack = ExitStack()
        self._clients: dict[str, Client] = {}
        self.url = ""
        self.app: Any = None
        if mode == "remote":
            self.app = create_app(self.settings)
            self.url = self._stack.enter_context(serve_in_thread(self.app))
        self.now = DAY3
        self.receiver: Receiver = Receiver(url="")

    def client(self, user: str = "alice") -> Client:
        if user not in self._clients:
            if self.mode == "remote":
                update = {"server_url": self.url, "token": self.team.tokens[user]}
            else:
                update = {"user": user}
            made = Client(self.settings.model_copy(update=update))
            if self.mode == "local":
                made.backend.clock = lambda: self.now  # type: ignore[attr-defined]
            self._clients[user] = made
        return self._clients[user]

    def job(self) -> Client:
        """A monitoring job on the workspace's own machine (a local client, as alice), where
        the webhook is configured: it runs monitoring and posts the alerts."""
        if "job" not in self._clients:
            made = Client(self.settings)
            made.backend.clock = lambda: self.now  # type: ignore[attr-defined]
            self._clients["job"] = made
        return self._clients["job"]

    def as_(self, user: str, namespace: str) -> Any:
        return Recorder(getattr(self.client(user), namespace), namespace, self.seen)

    def freeze(self, when: datetime) -> None:
        self.now = when
        if self.app is not None:
            self.app.state.platform.clock = lambda: self.now

    def close(self) -> None:
        for made in self._clients.values():
            made.close()
        self._stack.close()


def tracking_scenario(w: World, out: dict[str, Any]) -> dict[str, Any]:
    t = w.as_("alice", "tracking")
    frame = applicants(120, seed=0)
    model, features = fitted_classifier(frame)
    runs = []
    for c in (0.5, 1.0):
        run = t.start_run(experiment="credit", name=f"C={c}", tags={"team": "risk"})
        t.log_batch(run.id, params={"C": c}, metrics=[Metric("loss", 1.0 / c, 0, 0)], tags={"k": 1})
        t.heartbeat(run.id)
        out["dataset"] = t.log_dataset(run.id, frame, name="train", role="training")
        model_ref = t.log_model(run.id, model, input_example=features.head(3))
        notes = t.log_artifact(run.id, "notes.txt", b"hello")
        t.end_run(run.id, metrics=[Metric("auc", 0.7 + c / 10, 0, 0)])
        runs.append(run.id)
    out["runs"], out["model"], out["features"] = runs, model, features
    return {
        "run": norm(t.get_run(runs[1])),
        "model_ref": norm(model_ref),
        "notes": norm(notes),
        "notes_bytes": t.read_artifact(runs[1], "notes.txt").decode(),
        "dataset": norm(out["dataset"]),
        "history": norm(t.metric_history(runs[0], "loss")),
        "search": [r.name for r in t.search_runs(filter="metrics.auc > 0.75")],
        "experiments": sorted(e.name for e in t.list_experiments()),
        "diff": norm(t.diff_runs(runs[0], runs[1]).sections),
        "reaped": t.reap_stale_runs(),
    }


def registry_scenario(w: World, out: dict[str, Any]) -> dict[str, Any]:
    r = w.as_("alice", "registry")
    made = r.create_model("credit-risk", description="default risk", tags={"team": "risk"})
    v1 = r.register(out["runs"][0], name="credit-risk")
    r.register(out["runs"][1], name="credit-risk", description="better")
    r.set_alias("credit-risk", "champion", 1, reason="first")
    r.set_alias("credit-risk", "staging", 2)
    deleted = r.delete_alias("credit-risk", "staging", reason="done")
    loaded = r.load_model("models:/credit-risk@champion")
    card = r.model_card("credit-risk", 1)
    meta = r.version_meta("credit-risk", 1)
    return {
        "made": norm(made),
        "v1": norm(v1),
        "model": norm(r.get_model("credit-risk")),
        "models": [m.name for m in r.list_models(search="credit")],
        "versions": norm(r.list_versions("credit-risk")),
        "version": norm(r.get_version("credit-risk", 2)),
        "latest": r.resolve("models:/credit-risk/latest").version,
        "deleted": norm(deleted),
        "history": [(e.alias, e.version) for e in r.alias_history("credit-risk")],
        "at_now": r.alias_at("credit-risk", "champion", datetime.now(UTC) + timedelta(days=1)),
        "at_2000": r.alias_at("credit-risk", "champion", datetime(2000, 1, 1, tzinfo=UTC)),
        "staging_now": r.alias_at("credit-risk", "staging", datetime.now(UTC)),
        "predictions": norm(loaded.predict_proba(out["features"].head(5)).tolist()),
        "card": card.splitlines()[0],
        "meta": (meta["flavor"], meta["signature"]),
    }


def validation_scenario(w: World, out: dict[str, Any]) -> dict[str, Any]:
    v = w.as_("alice", "validation")
    found = v.validate(
        "models:/credit-risk/2",
        applicants(120, seed=3),
        target="default",
        against="champion",
        config={"metrics": {"min_roc_auc": 0.5}},
    )
    latest = v.latest("credit-risk", 2)
    records = v.list("credit-risk")
    html = v.html(records[0])
    return {
        "passed": found.record.passed,
        "checks": sorted((c.name, c.passed) for c in found.report.checks),
        "latest": latest.record.passed,
        "records": [(r.model, r.version, r.passed) for r in records],
        "html": ("<html" in html.lower(), "credit-risk" in html),
    }


def governance_scenario(w: World, out: dict[str, Any]) -> dict[str, Any]:
    g, vera, rita = (w.as_(u, "governance") for u in ("alice", "vera", "rita"))
    answers = {
        "exposure": "internal",
        "automated": False,
        "affects_people": False,
        "regulation": [],
        "financial_impact": "low",
        "outage_impact": "minor",
        "data_change": "stable",
        "maintainers": 2,
    }
    result: dict[str, Any] = {
        "policies": dump_policies(g.policies),
        "protected": (g.protected_aliases, g.protected_environments),
        "suggest": norm(g.suggest(answers)),
        "assess": norm(g.assess("credit-risk", likelihood=1, severity=1, rationale="small")),
        "assessment": norm(g.assessment("credit-risk")),
        "assessments": len(g.assessment_history("credit-risk")),
        "card_field": (
            g.set_card_field("credit-risk", 2, "intended_use", "scoring"),
            g.set_card_field("credit-risk", 2, "intended_use", "credit scoring"),
        ),
        "card": g.model_card("credit-risk", 2).splitlines()[0],
        "card_html": "<html" in g.model_card("credit-risk", 2, html=True).lower(),
    }
    review, moved = g.request_review("credit-risk", 2, comment="please")
    # v1 has no validation report: a review of it is refused the same way on both faces
    result["review_without_report"] = outcome(lambda: g.request_review("credit-risk", 1))
    result["review"] = (norm(review), norm(moved))
    result["auto_promote"] = norm(g.auto_promote("credit-risk", 2))
    result["approve"] = norm(vera.approve("credit-risk", 2, role="validator", comment="fine"))
    result["reject"] = norm(rita.reject("credit-risk", 1, role="risk_manager", comment="old"))
    result["status"] = norm(g.status("credit-risk", 2))
    result["gate"] = outcome(lambda: g.check_promotion("credit-risk", 2))
    result["gate_v1"] = outcome(lambda: g.check_promotion("credit-risk", 1))
    result["add_user"] = norm(g.add_user("mallory", ["viewer"]))
    result["users"] = sorted((u.name, tuple(u.roles)) for u in g.users())
    result["whoami"] = norm(g.whoami())
    victor = w.as_("victor", "governance")
    issued = victor.issue_token("victor", label="laptop", expires_days=7)
    mine = victor.tokens()
    result["issued"] = (issued.startswith("mw_"), len(issued))
    result["tokens"] = sorted((t.user, t.label) for t in g.tokens(user="victor"))
    newest = max(mine, key=lambda t: t.id)
    result["revoke_token"] = norm(g.revoke_token(newest.id))
    result["revoke_user"] = outcome(lambda: g.revoke_user("mallory"))
    result["require_server"] = g.require_server()
    dataset = out["dataset"].dataset_id
    result["tag"] = norm(g.tag_column(dataset, "income", personal=True, legal_basis="contract"))
    result["tags"] = norm(g.column_tags(dataset))
    # the closed list of GDPR Art. 6(1) bases, worded alike by both faces
    result["bad_basis"] = refusal(
        lambda: g.tag_column(dataset, "age", personal=True, legal_basis="because we can")
    )
    result["lineage"] = norm(g.lineage(dataset=dataset))
    result["checkpoint"] = norm(g.checkpoint_audit())
    result["checkpoints"] = len(g.checkpoints())
    result["verify"] = norm(g.verify_audit())
    events = g.audit_events(entity_type="model", limit=5)
    result["events"] = [(e.action, e.entity_id) for e in events]
    exported = "".join(g.export_audit("jsonl")).splitlines()
    result["export"] = sorted(json.loads(exported[0]))
    result["inventory"] = norm(g.inventory())
    result["inventory_filtered"] = [  # as the CLI passes them: None means no filter
        r.model for r in g.inventory(risk="low", stage=None, overdue=False, owner=None)
    ]
    return result


def deployments_scenario(w: World, out: dict[str, Any]) -> dict[str, Any]:
    d = w.as_("alice", "deployments")
    created = d.create(
        "scoring",
        model_uri="models:/credit-risk@champion",
        environment="staging",
        unseen_categories="reject",
        allow_missing=True,
        max_body_bytes=2_000_000,
        reason="go",
    )
    challenger = d.set_challenger("scoring", 2, strategy="canary", share=0.5, reason="try")
    out["explanations"] = {
        "set": outcome(lambda: d.set_explanations("scoring", top=3, reason="reasons")),
        "unknown_request": outcome(lambda: d.explain("no-such-request", deployment="scoring")),
    }
    source = w.root / "to-score.parquet"
    applicants(50, seed=9)[FEATURES].to_parquet(source)
    scored = d.score(
        "models:/credit-risk/1", source, w.root / "scored.parquet", deployment="nightly"
    )
    bundle = d.package("models:/credit-risk/1", w.root / "bundle", environment="staging")
    manifest = json.loads((bundle.path / "bundle.json").read_text())
    out["scored"] = scored
    return {
        "created": norm(created),
        "challenger": norm(challenger),
        "get": norm(d.get("scoring")),
        "list": [x.name for x in d.list()],
        "history": norm(d.history("scoring")),
        "score": (scored.rows, scored.engine, scored.logged, scored.output.name),
        "scored": norm(pd.read_parquet(scored.output).to_dict("list")),
        "logged": len(d.read_predictions("nightly")),
        "missing_source": outcome(
            lambda: d.score("models:/credit-risk/1", w.root / "missing.csv", w.root / "x.parquet")
        ),
        "bundle": norm(bundle),
        "bundle_files": sorted(p.name for p in bundle.path.iterdir()),
        "manifest": (manifest["model"], manifest["version"], manifest["environment"]),
    }


def later_deployment_changes(w: World) -> dict[str, Any]:
    d = w.as_("alice", "deployments")
    return {
        "promote": norm(d.promote("scoring", reason="won")),
        "rollback": norm(d.rollback("scoring", reason="oops")),
        "clear": norm(d.clear_challenger("scoring", reason="done")),
        "kill": norm(d.kill("scoring", fallback={"label": 0}, reason="incident")),
        "revive": norm(d.revive("scoring", reason="fixed")),
    }


def monitoring_scenario(w: World, out: dict[str, Any]) -> dict[str, Any]:
    m = w.as_("alice", "monitoring")
    model = out["model"]
    client = w.client("alice")
    settings = client.settings
    day1 = traffic(150, seed=1)
    day2 = traffic(150, seed=2, income_shift=40_000)
    ids1 = log_traffic(client, model, day1, at=DAY1, prefix="a", deployment="scoring")
    ids2 = log_traffic(client, model, day2, at=DAY2, prefix="b", deployment="scoring")
    ids3 = log_traffic(
        client, model, traffic(150, seed=3), at=DAY2, prefix="c", deployment="scoring",
        version=2, arm="challenger",
    )  # fmt: skip
    assert settings.resolved_predictions_dir().exists()
    labels = pd.DataFrame(
        {
            "request_id": [*ids1, *ids2, *ids3],
            "label": [*day1["default"], *day2["default"], *traffic(150, seed=3)["default"]],
        }
    )
    ingested = m.ingest_labels("scoring", labels, id_column="request_id", label_column="label")
    run = m.run("scoring", window="1d")
    again = m.run_all(window="1d")
    alerts = m.alerts(deployment="scoring")
    acknowledged = m.acknowledge(alerts[-1].id, comment="seen") if alerts else None
    latest = m.latest_labelled_window("scoring")
    rows = m.labelled_rows("scoring", features=FEATURES, target="default", end=latest.start)
    report = m.report("scoring", w.root / "report.html")
    evidence = m.compare("scoring", start=DAY1, end=DAY3)
    return {
        "project": m.project.path is None,
        "options": norm(m.options(window="12h")),
        "ingested": norm(ingested),
        "run": norm(run),
        "again": norm(again),
        "alerts": norm(alerts),
        "open": norm(m.open_alerts("credit-risk")),
        "acknowledged": norm(acknowledged),
        "windows": norm(m.windows("scoring")),
        "latest": norm(latest),
        "rows": norm(rows.drop(columns="ts").to_dict("list")),
        "status": norm(m.status("scoring")),
        "report": ("scoring" in report, (w.root / "report.html").exists()),
        "evidence": norm(evidence),
        "explanations": out.get("explanations"),
        "context": outcome(
            lambda: m.ingest_context(
                "scoring", pd.DataFrame({"request_id": ids1[:4], "gender": ["f", "m", "f", "m"]})
            )
        ),
        "outcomes": outcome(
            lambda: m.ingest_outcomes(
                "scoring", pd.DataFrame({"request_id": ids1[:4], "clicked": [1, 0, 1, 1]})
            )
        ),
        "figures": outcome(lambda: m.figures("scoring")),
        "purged": outcome(lambda: m.purge_context("scoring", retention_days=3_650)),
        "purge_bound": outcome(lambda: m.purge_context("scoring", retention_days=100_000)),
        "obligations": outcome(lambda: m.obligations("credit-risk")),
        "webhooks": webhook_scenario(w, out),
    }


def webhook_scenario(w: World, out: dict[str, Any]) -> dict[str, Any]:
    """The monitoring job posts a new window's alerts to a webhook that is down; the
    deliveries are kept with their target; once it is back, the face replays them: locally,
    and through the server, to the stored target only (a client names no URL)."""
    m, job, hook = w.as_("alice", "monitoring"), w.job(), w.receiver
    w.freeze(DAY3 + timedelta(days=2))
    drifted = traffic(150, seed=4, income_shift=40_000)
    log_traffic(job, out["model"], drifted, at=DAY3, prefix="d", deployment="scoring")
    hook.status = 503
    ran = job.monitoring.run("scoring", window="1d", webhook=hook.url)
    failed = m.webhooks(failed_only=True)
    hook.status, hook.received[:] = 204, []
    replayed = m.replay_webhooks(deployment="scoring")
    found = {
        "alerted": len(ran.alerts),
        "failed": norm(failed),
        "replayed": norm(replayed),
        "received": [path for path, _ in hook.received],
        "again": outcome(lambda: m.replay_webhooks()),  # nothing failed is left
        "kept": norm(m.webhooks()),
    }
    w.freeze(DAY3)
    return found


def evidence_scenario(w: World) -> dict[str, Any]:
    vera, alice, rita = (w.as_(u, "evidence") for u in ("vera", "alice", "rita"))
    made = vera.record_finding(
        "credit-risk", 2, title="Thin files", severity="high", owner="alice",
        due=DAY3 + timedelta(days=3), detail="AUC 0.58 below 3 trades",
    )  # fmt: skip
    updated = vera.update_finding(made.id, severity="critical", due=DAY3 + timedelta(days=4))
    asked = alice.request_waiver(
        "credit-risk", 2, item="findings", reason="manual review",
        approver_role="risk_manager", expires=DAY3 + timedelta(days=5),
    )  # fmt: skip
    approved = rita.approve_waiver(asked.id, comment="one week")
    spare = alice.request_waiver(
        "credit-risk", 2, item="findings", reason="spare",
        approver_role="risk_manager", expires=DAY3 + timedelta(days=2),
    )  # fmt: skip
    revoked = alice.revoke_waiver(spare.id, reason="not needed")
    pack = alice.pack("credit-risk", 2, w.root / "pack.zip")
    check = alice.verify_pack(w.root / "pack.zip")
    w.freeze(DAY3 + timedelta(days=4, hours=12))  # the finding is overdue, the waiver expiring
    alerts = norm(alice.alerts(within_days=10))
    w.freeze(DAY3)
    return {
        "made": norm(made),
        "updated": norm(updated),
        "approved": norm(approved),
        "revoked": norm(revoked),
        "refused": outcome(lambda: alice.approve_waiver(spare.id)),
        "findings": norm(alice.findings("credit-risk")),
        "open": norm(alice.findings(open_only=True)),
        "waivers": norm(alice.waivers("credit-risk", 2)),
        "alerts": alerts,
        "alerts_bound": refusal(lambda: alice.alerts(within_days=-1)),
        "pack": (pack.model, pack.version, pack.parts, pack.anchored),
        "check": (check.ok, check.problems, check.model, check.version),
    }


def graph_scenario(w: World) -> dict[str, Any]:
    w.as_("alice", "registry").create_model("pricing", description="downstream of credit-risk")
    g, rails = w.as_("alice", "graph"), w.as_("alice", "guardrails")
    declared = g.declare("pricing", "models:/credit-risk@champion", reason="uses its score")
    spec = rails.set("scoring", {"max_ood": 0.999, "canary": {"max_error_rate": 0.1}})
    result = {
        "declared": norm(declared),
        "cycle": outcome(lambda: g.declare("credit-risk", "models:/pricing/latest")),
        "graph": norm(g.graph("credit-risk")),
        "impact": norm(g.impact("credit-risk")),
        "ack": norm(g.acknowledge("credit-risk", 1, downstream="pricing", comment="checked")),
        "acks": norm(g.acknowledgements("credit-risk", 1)),
        "spec": norm(spec),
        "get": norm(rails.get("scoring")),
        "clear": norm(rails.clear("scoring", reason="done")),
        "cleared": norm(rails.get("scoring")),
        "bad_spec": outcome(lambda: rails.set("scoring", {"max_ood": 2})),
    }
    result["removed"] = norm(g.remove(declared.id, reason="gone"))
    return result


def data_scenario(w: World, out: dict[str, Any]) -> dict[str, Any]:
    """Data protection of `scoring` (its logs hold `income`, tagged personal), erasure,
    maintenance, and a run's reproduction record."""
    dp, t = w.as_("alice", "data"), w.as_("alice", "tracking")
    run_id = out["runs"][0]
    found = {
        "default": outcome(lambda: dp.pseudonymised_columns("scoring")),
        "bad_basis": outcome(lambda: dp.protect("scoring", legal_basis="because")),
        "missing": outcome(lambda: dp.protection("scoring")),
        "protect": outcome(
            lambda: dp.protect(
                "scoring", legal_basis="f", retention_days=400, subject_column="age", note="x"
            )
        ),
        "protection": outcome(lambda: dp.protection("scoring")),
        "protections": outcome(dp.protections),
        "inventory": outcome(dp.inventory),
        "pseudonymised": outcome(lambda: dp.pseudonymised_columns("scoring")),
        "erase": outcome(lambda: dp.erase("no such person", columns=["age"])),
        "maintenance": outcome(lambda: dp.maintenance(compact=False)),
        "artifact": outcome(lambda: t.read_artifact(run_id, "notes.txt")),
        "no_artifact": outcome(lambda: t.read_artifact(run_id, "nope.txt")),
        "record": outcome(
            lambda: t.record_reproduction(
                Reproduction(
                    run_id=run_id,
                    reproduced_run_id=None,
                    metrics_match=True,
                    model_identical=True,
                    metric_diffs={"auc": [0.75, 0.75]},
                    tolerance=1e-9,
                    environment="current",
                    actor="alice",
                    created_at=w.now,
                    detail="same",
                )
            )
        ),  # fmt: skip
        "reproductions": outcome(lambda: t.reproductions(run_id)),
    }
    # later scenarios log as before: the tags alone decide again (nothing pseudonymised
    # but the tagged income)
    dp.protect("scoring", legal_basis="f", retention_days=400, personal_columns=["income"])
    return found


def by_design(w: World) -> dict[str, Any]:
    """What differs by design: custom metric callables run only in the caller's process."""
    v = w.as_("alice", "validation")
    custom = outcome(
        lambda: v.validate(
            "models:/credit-risk/2",
            applicants(60, seed=3),
            target="default",
            custom_metrics={"half": lambda y_true, y_pred, y_proba: 0.5},
        )
    )
    return {"custom_metrics": custom[0] if custom[0] == "ok" else custom[1]}


def require_server_scenario(w: World) -> dict[str, Any]:
    g = w.as_("alice", "governance")
    return {"previous": g.set_require_server(True), "now": g.require_server()}


def scenario(w: World) -> dict[str, Any]:
    out: dict[str, Any] = {}
    w.freeze(DAY3)
    return {
        "tracking": tracking_scenario(w, out),
        "registry": registry_scenario(w, out),
        "validation": validation_scenario(w, out),
        "governance": governance_scenario(w, out),
        "deployments": deployments_scenario(w, out),
        "monitoring": monitoring_scenario(w, out),
        "data": data_scenario(w, out),
        "deployments_later": later_deployment_changes(w),
        "evidence": evidence_scenario(w),
        "graph": graph_scenario(w),
        "by_design": by_design(w),
        # last: once on, a workspace takes writes only through its server (and locally, only
        # the server may turn it off again)
        "require_server": require_server_scenario(w),
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The scenario's results in both modes, and the members each mode used (run once)."""
    root = tmp_path_factory.mktemp("contract")
    found: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)  # no modelward.yaml: both read the same (empty) project
        for name in [k for k in os.environ if k.startswith("MODELWARD_")]:
            patch.delenv(name)
        with receiver() as hook:  # one webhook for both: the same target on both sides
            found["receiver_origin"] = hook.origin
            for mode in ("local", "remote"):
                seen: set[tuple[str, str]] = set()
                world = World(mode, root / mode, seen)
                world.receiver = hook
                try:
                    found[mode] = scenario(world)
                finally:
                    world.close()
                found[f"{mode}_seen"] = seen
    yield found


def differences(local: Any, remote: Any, where: str = "") -> list[str]:
    """Where two normalized results differ (each path with both values)."""
    if isinstance(local, dict) and isinstance(remote, dict):
        found = []
        for key in sorted(set(local) | set(remote)):
            found += differences(local.get(key), remote.get(key), f"{where}.{key}")
        return found
    if isinstance(local, list) and isinstance(remote, list) and len(local) == len(remote):
        found = []
        for i, (a, b) in enumerate(zip(local, remote, strict=True)):
            found += differences(a, b, f"{where}[{i}]")
        return found
    return [] if local == remote else [f"{where}: local {local!r} != remote {remote!r}"]


def test_local_and_remote_give_the_same_results(results: dict[str, Any]) -> None:
    local, remote = dict(results["local"]), dict(results["remote"])
    assert local.pop("by_design") == {"custom_metrics": "ok"}
    assert remote.pop("by_design") == {"custom_metrics": "InvalidInput"}
    assert not differences(local, remote), "\n".join(differences(local, remote))
    # the scenario is meaningful: it promoted, scored, alerted and compared
    assert local["registry"]["at_now"] == 1 and local["registry"]["at_2000"] is None
    assert local["deployments"]["score"][:3] == (50, "pandas", True)
    assert "bundle.json" in local["deployments"]["bundle_files"]
    assert local["monitoring"]["ingested"]["stored"] == 450
    assert local["monitoring"]["run"]["computed"] and local["monitoring"]["alerts"]
    assert local["monitoring"]["acknowledged"]["acknowledged_by"] == "alice"
    assert local["monitoring"]["evidence"]["rows"] > 0
    hooks = local["monitoring"]["webhooks"]
    assert hooks["alerted"] and len(hooks["failed"]) >= 1
    assert {(d["status"], d["attempts"]) for d in hooks["replayed"]} == {("delivered", 4)}
    origin = results["receiver_origin"]
    assert {d["target"] for d in hooks["kept"]} == {origin}  # no secret path shown
    assert hooks["received"] == ["/hook/s3cret?token=t0ken"] * len(hooks["failed"])
    assert hooks["again"] == ("ok", [])
    assert local["governance"]["bad_basis"][0] == "InvalidInput"
    assert "legal_obligation (6(1)(c))" in local["governance"]["bad_basis"][1]
    assert local["governance"]["verify"]["ok"] is True
    assert local["evidence"]["check"][0] is True and local["evidence"]["pack"][3] is True
    assert [a["kind"] for a in local["evidence"]["alerts"]] == [
        "finding_overdue",
        "waiver_expiring",
    ]
    assert local["evidence"]["alerts_bound"] == (
        "InvalidInput",
        "within_days must be between 0 and 3650 (days ahead to warn of expiring waivers), got -1.",
    )
    assert local["graph"]["impact"]["models"] == ["pricing"]
    assert local["graph"]["cycle"][:2] == ("error", "Conflict")
    # every Protocol member was used in both modes
    assert results["local_seen"] == results["remote_seen"]


def test_every_protocol_method_is_exercised(results: dict[str, Any]) -> None:
    declared = {(ns, m) for ns, proto in NAMESPACES.items() for m in protocol_members(proto)}
    assert len(declared) > 80
    unused = sorted(declared - results["remote_seen"])
    assert not unused, f"add these to the local-and-remote scenario: {unused}"
