"""A viewer is refused every write, through every face, and nothing changes.

The list of writes is derived, not written by hand: from the OpenAPI document of the running
server (every POST/PUT/PATCH/DELETE) and from the service layer (every public service
function that commits a transaction). A new write the tables below do not cover fails the
suite, so no write can ship without a test that a viewer cannot use it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from modelward.cli.main import app as cli_app
from tests.builders import applicants
from tests.security.conftest import Served, snapshot

# Writes that only read (POST for a body): a viewer may use them.
READS = {
    ("POST", "/api/v1/runs/search"),
    # asks the server to do now what it does every minute by itself: end runs whose process
    # died (by its own timeout); no caller chooses what changes
    ("POST", "/api/v1/runs/reap"),
}

SHA = "a" * 64
PARQUET = applicants(rows=20).to_parquet()
LABELS = pd.DataFrame({"request_id": ["r-1"], "label": [1]}).to_parquet()


def request_for(method: str, path: str, served: Served) -> dict[str, Any]:
    """A well-formed request for each write operation, so that only permission can refuse it.

    Raises:
        KeyError: a write operation with no entry; add one (and so the viewer test for it).
    """
    run = served.run_id
    table: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/runs"): {"json": {"experiment": "credit"}},
        ("POST", "/api/v1/runs/{run_id}/batch"): {"json": {"params": {"x": "1"}}},
        ("POST", "/api/v1/runs/{run_id}/end"): {"json": {"status": "FINISHED"}},
        ("PUT", "/api/v1/blobs/{sha256}"): {"content": b"bytes"},
        ("POST", "/api/v1/runs/{run_id}/artifacts"): {
            "content": b"notes",
            "params": {"path": "notes.txt"},
        },
        ("POST", "/api/v1/runs/{run_id}/models"): {
            "json": {"name": "model", "meta": {"model_sha256": SHA, "flavor": "sklearn"}}
        },
        ("POST", "/api/v1/runs/{run_id}/datasets"): {
            "files": {"file": ("d.parquet", PARQUET, "application/octet-stream")},
            "data": {"name": "train"},
        },
        ("POST", "/api/v1/models"): {"json": {"name": "stolen"}},
        ("POST", "/api/v1/models/{name}/versions"): {"json": {"run_id": run}},
        ("PUT", "/api/v1/models/{name}/aliases/{alias}"): {"json": {"version": 2}},
        ("POST", "/api/v1/models/{name}/aliases/{alias}/delete"): {"json": {"reason": "because"}},
        ("POST", "/api/v1/validations"): {
            "files": {"file": ("v.parquet", PARQUET, "application/octet-stream")},
            "data": {"model_uri": "models:/credit-risk/1", "target": "default"},
        },
        ("POST", "/api/v1/governance/models/{model}/assessment"): {
            "json": {"likelihood": 1, "severity": 1, "rationale": "x"}
        },
        ("POST", "/api/v1/governance/models/{model}/versions/{version}/review"): {
            "json": {"comment": "x"}
        },
        ("POST", "/api/v1/governance/models/{model}/versions/{version}/sign-offs"): {
            "json": {"role": "validator", "decision": "approve", "comment": "ok"}
        },
        ("POST", "/api/v1/users"): {"json": {"name": "mallory", "roles": ["admin"]}},
        ("POST", "/api/v1/tokens"): {"json": {"user": "alice"}},
        ("POST", "/api/v1/deployments"): {
            "json": {
                "name": "rogue",
                "environment": "production",
                "model_uri": "models:/credit-risk/2",
            }
        },
        ("PUT", "/api/v1/deployments/{name}/challenger"): {
            "json": {"version": 2, "strategy": "canary", "share": 0.5}
        },
        ("POST", "/api/v1/deployments/{name}/challenger/clear"): {"json": {}},
        ("POST", "/api/v1/deployments/{name}/promote"): {"json": {}},
        ("POST", "/api/v1/deployments/{name}/rollback"): {"json": {}},
        ("POST", "/api/v1/deployments/{name}/kill"): {"json": {}},
        ("POST", "/api/v1/deployments/{name}/revive"): {"json": {}},
        ("PUT", "/api/v1/deployments/{name}/explanations"): {"json": {"top": 3}},
        ("POST", "/api/v1/explanations"): {"json": {"request_id": "r1"}},
        ("POST", "/api/v1/monitoring/alerts/{alert_id}/ack"): {"json": {"comment": "x"}},
        ("POST", "/api/v1/runs/{run_id}/heartbeat"): {},
        ("POST", "/api/v1/tokens/{token_id}/revoke"): {},
        ("POST", "/api/v1/users/{name}/revoke"): {},
        ("PUT", "/api/v1/workspace/require-server"): {"json": {"require_server": False}},
        # the client contract's routes (client/contract.py)
        ("POST", "/api/v1/governance/models/{model}/versions/{version}/auto-promote"): {},
        ("PUT", "/api/v1/governance/models/{model}/card-fields/{field}"): {
            "json": {"version": 1, "value": "forged"}
        },
        ("PUT", "/api/v1/governance/datasets/{dataset}/columns/{column}/tag"): {
            "json": {"personal": False, "note": "not personal, says the viewer"}
        },
        ("POST", "/api/v1/audit/checkpoints"): {},
        ("POST", "/api/v1/deployments/bundles"): {"json": {"model_uri": "models:/credit-risk/1"}},
        ("POST", "/api/v1/deployments/batch-scores"): {
            "files": {"file": ("s.parquet", PARQUET, "application/octet-stream")},
            "data": {"model_uri": "models:/credit-risk/1"},
        },
        ("POST", "/api/v1/monitoring/deployments/{deployment}/labels"): {
            "files": {"file": ("l.parquet", LABELS, "application/octet-stream")},
        },
        ("POST", "/api/v1/monitoring/deployments/{deployment}/runs"): {"json": {}},
        ("POST", "/api/v1/monitoring/deployments/{deployment}/context"): {
            "files": {"file": ("c.parquet", LABELS, "application/octet-stream")},
        },
        ("POST", "/api/v1/monitoring/deployments/{deployment}/outcomes"): {
            "files": {"file": ("o.parquet", LABELS, "application/octet-stream")},
        },
        ("POST", "/api/v1/monitoring/deployments/{deployment}/context/purge"): {
            "json": {"retention_days": 30}
        },
        ("POST", "/api/v1/monitoring/alerts/{alert_id}/acknowledge"): {"json": {"comment": "x"}},
        ("POST", "/api/v1/monitoring/deployments/{deployment}/comparisons"): {"json": {}},
        ("POST", "/api/v1/monitoring/webhooks/replay"): {"json": {"deployment": "scoring"}},
        # findings, waivers and evidence (governance/findings.py)
        ("POST", "/api/v1/governance/models/{model}/versions/{version}/findings"): {
            "json": {
                "title": "forged",
                "severity": "low",
                "owner": "victor",
                "due": "2030-01-01T00:00:00+00:00",
            }
        },
        ("PATCH", "/api/v1/governance/findings/{finding_id}"): {
            "json": {"status": "withdrawn", "resolution": "says the viewer"}
        },
        ("POST", "/api/v1/governance/models/{model}/versions/{version}/waivers"): {
            "json": {
                "item": "findings",
                "reason": "x",
                "approver_role": "risk_manager",
                "expires": "2030-01-01T00:00:00+00:00",
            }
        },
        ("POST", "/api/v1/governance/waivers/{waiver_id}/approve"): {"json": {}},
        ("POST", "/api/v1/governance/waivers/{waiver_id}/revoke"): {"json": {"reason": "x"}},
        # the model graph and guardrails (issue 15)
        ("POST", "/api/v1/graph/dependencies"): {
            "json": {"model": "credit-risk", "upstream_uri": "models:/other/1"}
        },
        ("DELETE", "/api/v1/graph/dependencies/{dependency_id}"): {},
        ("POST", "/api/v1/graph/acknowledgements"): {
            "json": {"upstream": "credit-risk", "version": 1, "downstream": "other"}
        },
        ("PUT", "/api/v1/deployments/{name}/guardrails"): {"json": {"spec": {"max_ood": 0.5}}},
        ("DELETE", "/api/v1/deployments/{name}/guardrails"): {},
        # data protection and reproducibility (issue 16)
        ("PUT", "/api/v1/deployments/{deployment}/data-protection"): {
            "json": {"legal_basis": "6(1)(b)", "retention_days": 1}
        },
        ("POST", "/api/v1/data/erase"): {"json": {"subject": "C-1", "columns": ["income"]}},
        ("POST", "/api/v1/data/maintenance"): {"json": {}},
        ("POST", "/api/v1/runs/{run_id}/reproductions"): {
            "json": {
                "metrics_match": True,
                "model_identical": True,
                "tolerance": 0.0,
                "environment": "current",
            }
        },
    }
    spec = dict(table[(method, path)])
    values = {
        "run_id": run,
        "sha256": SHA,
        "name": "scoring"
        if "/deployments/" in path
        else ("alice" if "/users/" in path else "credit-risk"),
        "model": "credit-risk",
        "version": "1",
        "alias": "champion",
        "alert_id": "1",
        "token_id": "1",
        "field": "intended_use",
        "dataset": "a" * 12,
        "column": "income",
        "deployment": "scoring",
        "finding_id": "1",
        "waiver_id": "1",
        "dependency_id": "1",
    }
    spec["url"] = path.format(**values)
    return spec


def write_operations(served: Served) -> list[tuple[str, str]]:
    with served.client("victor") as http:
        document = http.get("/openapi.json").json()
    found = []
    for path, operations in document["paths"].items():
        for method in operations:
            key = (method.upper(), path)
            if method in ("post", "put", "patch", "delete") and key not in READS:
                found.append(key)
    return sorted(found)


def test_every_write_in_the_openapi_document_refuses_a_viewer(served: Served) -> None:
    before = snapshot(served.settings)
    writes = write_operations(served)
    assert len(writes) >= 25
    missing = [w for w in writes if _has_no_entry(w, served)]
    assert not missing, f"add these writes to request_for() and check them: {missing}"
    answered = {}
    with served.client("victor") as http:
        for method, path in writes:
            spec = request_for(method, path, served)
            response = http.request(method, **spec)
            answered[(method, path)] = (response.status_code, response.text[:200])
    wrong = {k: v for k, v in answered.items() if v[0] != 403}
    assert not wrong, f"a viewer was not refused with 403: {wrong}"
    assert all("permission_denied" in text for _, text in answered.values())
    assert snapshot(served.settings) == before  # nothing changed but the recorded refusals
    with served.client("alice") as http:
        verdict = http.get("/api/v1/audit/verify").json()
        denials = http.get("/api/v1/audit/events", params={"limit": 500}).json()
    assert verdict["ok"] is True
    refused = [e for e in denials if e["action"] == "access.denied" and e["actor"] == "victor"]
    # each refusal is on the record (a sign-off in a role you do not hold is refused by the
    # sign-off rules, which need not consult the role table first)
    assert len(refused) >= len(writes) - 1


def _has_no_entry(write: tuple[str, str], served: Served) -> bool:
    try:
        request_for(*write, served)
    except KeyError:
        return True
    return False


def test_the_same_writes_are_refused_from_the_cli(served: Served) -> None:
    """The CLI in remote mode goes through the same server: exit 6, one line, no traceback."""
    env = {
        "MODELWARD_SERVER_URL": served.url,
        "MODELWARD_TOKEN": served.team.tokens["victor"],
    }
    before = snapshot(served.settings)
    commands = [
        ["models", "alias", "set", "credit-risk", "champion", "2"],
        ["models", "alias", "delete", "credit-risk", "champion", "--reason", "x"],
        ["deploy", "create", "rogue", "--model", "models:/credit-risk/2", "--env", "production"],
        ["deploy", "promote", "scoring"],
        ["deploy", "kill", "scoring"],
    ]
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(cli_app, command, env=env)
        assert result.exit_code == 6, (command, result.output)
        assert "Traceback" not in result.output
    assert snapshot(served.settings) == before


SERVICE_PACKAGES = (
    "modelward.tracking",
    "modelward.registry",
    "modelward.validation",
    "modelward.governance",
    "modelward.deploy",
    "modelward.serving",
    "modelward.monitoring",
)
# Service functions that commit but take the acting identity another way, each with why.
# Shrink this list: every entry is a write checked outside the Guard.
CHECKED_WITHOUT_GUARD = {
    # the workspace records which policies are in force (actor "modelward"), on no request
    "modelward.governance.policy_audit.record_policy_in_force",
    # authentication bookkeeping: a sign-in proves its identity with a token, sign-out ends
    # the caller's own session, and a token's last use is noted when it authenticates
    "modelward.governance.tokens.start_session",
    "modelward.governance.tokens.end_session",
    "modelward.governance.tokens.record_use",
    # the server's own housekeeping: runs whose process died are marked FAILED
    "modelward.tracking.service.reap_stale_runs",
}


@functools.cache
def service_writes() -> dict[str, inspect.Signature]:
    """Every public service function whose body commits a transaction."""
    found = {}
    for package_name in SERVICE_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{info.name}")
            for name, function in inspect.getmembers(module, inspect.isfunction):
                if name.startswith("_") or function.__module__ != module.__name__:
                    continue
                source = inspect.getsource(function)
                nested = [
                    inspect.getsource(f)
                    for f in vars(module).values()
                    if inspect.isfunction(f) and f.__name__.startswith("_") and f.__name__ in source
                ]
                if ".commit()" in source or any(".commit()" in text for text in nested):
                    found[f"{module.__name__}.{name}"] = inspect.signature(function)
    return found


def test_every_service_write_takes_the_guard() -> None:
    writes = service_writes()
    assert len(writes) >= 20
    unguarded = sorted(
        name
        for name, signature in writes.items()
        if "guard" not in signature.parameters and name not in CHECKED_WITHOUT_GUARD
    )
    assert not unguarded, f"these service writes take no Guard: {unguarded}"
    for name, signature in writes.items():
        if "guard" in signature.parameters:
            parameter = signature.parameters["guard"]
            assert parameter.default is inspect.Parameter.empty, f"{name}: guard has a default"
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name


@pytest.mark.parametrize("name", sorted(CHECKED_WITHOUT_GUARD))
def test_the_exceptions_still_commit(name: str) -> None:
    """An exception whose function stopped writing (or was removed) must leave the list."""
    assert name in service_writes()


def test_a_viewer_sees_figures_not_logged_records(served: Served) -> None:
    """Logged inputs may hold personal data: reading them takes the monitor permission."""
    with served.client("victor") as http:
        records = http.get("/api/v1/deployments/scoring/predictions")
        rows = http.get(
            "/api/v1/monitoring/deployments/scoring/labelled-rows",
            params={"target": "default", "features": ["income"]},
        )
    assert records.status_code == 403, records.text
    assert rows.status_code == 403, rows.text
    with served.client("alice") as http:
        assert http.get("/api/v1/deployments/scoring/predictions").status_code == 200
