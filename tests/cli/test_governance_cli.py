"""`modelward governance | audit | inventory | users` as a user drives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from modelward.cli.main import app
from modelward.client import Client
from modelward.config import Settings
from tests.governance.helpers import register, store_report

runner = CliRunner()


def invoke(home: Path, *args: str, user: str = "alice") -> tuple[int, str, str]:
    env = {"COLUMNS": "200", "MODELWARD_USER": user, "MODELWARD_PROTECTED_ALIASES": "champion"}
    result = runner.invoke(app, ["--home", str(home), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ws(sqlite_settings: Settings) -> tuple[Path, Client]:
    client = Client(sqlite_settings.model_copy(update={"protected_aliases": "champion"}))
    version = register(client)
    store_report(client, version)
    return sqlite_settings.home, client


def one_line(err: str) -> bool:
    return err.startswith("Error: ") and len(err.strip().splitlines()) == 1


def test_assess_matrix_and_bad_input(ws: tuple[Path, Client], tmp_path: Path) -> None:
    home, _ = ws
    code, out, _ = invoke(
        home,
        "governance",
        "assess",
        "credit-risk",
        "--likelihood",
        "3",
        "--severity",
        "2",
        "--rationale",
        "internal",
    )
    assert code == 0 and "medium risk (likelihood 3 x severity 2 = 6)" in out
    code, out, _ = invoke(home, "governance", "matrix", "credit-risk")
    assert code == 0 and "[6 medium]" in out
    code, out, err = invoke(
        home, "governance", "assess", "credit-risk", "--likelihood", "6", "--severity", "2"
    )
    assert code == 2 and one_line(err) and "likelihood must be 1-5" in err
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "exposure: external\nautomated: yes\naffects_people: yes\nregulation: [credit]\n"
        "financial_impact: high\noutage_impact: minor\ndata_change: seasonal\nmaintainers: 1\n"
    )
    code, out, _ = invoke(
        home, "governance", "assess", "credit-risk", "--questionnaire", str(answers)
    )
    assert code == 0 and "Suggested likelihood" in out and "risk (likelihood" in out
    code, out, _ = invoke(home, "governance", "history", "credit-risk", "--json")
    assert code == 0 and len(json.loads(out)) == 2


def test_status_sign_offs_and_promotion(ws: tuple[Path, Client]) -> None:
    home, _ = ws
    invoke(home, "governance", "assess", "credit-risk", "--likelihood", "3", "--severity", "2")
    code, out, _ = invoke(home, "governance", "status", "credit-risk", "1")
    assert code == 5 and "[ ] sign_off.validator" in out
    code, out, _ = invoke(home, "governance", "status", "credit-risk", "1", "--json")
    status = json.loads(out)
    assert code == 5 and status["allowed"] is False and "card.intended_use" in status["missing"]
    code, _, err = invoke(home, "models", "alias", "set", "credit-risk", "champion", "1")
    assert code == 5 and one_line(err) and "cannot be promoted (medium risk)" in err
    code, _, err = invoke(home, "governance", "approve", "credit-risk", "1", "--role", "validator")
    assert code == 6 and one_line(err) and "may not approve" in err
    code, _, err = invoke(
        home, "governance", "approve", "credit-risk", "1", "--role", "boss", user="bob"
    )
    assert code == 2 and one_line(err)
    code, out, _ = invoke(
        home,
        "governance",
        "approve",
        "credit-risk",
        "1",
        "--role",
        "validator",
        "--comment",
        "ok",
        user="bob",
    )
    assert code == 0 and "bob approved credit-risk v1 as validator" in out
    code, _, err = invoke(
        home, "governance", "approve", "credit-risk", "1", "--role", "validator", user="bob"
    )
    assert code == 4 and one_line(err)
    for field in ("intended_use", "limitations", "training_data"):
        code, _, _ = invoke(
            home, "governance", "card-set", "credit-risk", "1", "--field", field, "--value", "text"
        )
        assert code == 0
    code, out, _ = invoke(home, "governance", "status", "credit-risk", "1")
    assert code == 0 and "may be promoted" in out
    code, out, _ = invoke(home, "models", "alias", "set", "credit-risk", "champion", "1")
    assert code == 0 and "credit-risk@champion -> v1" in out
    code, out, _ = invoke(
        home,
        "governance",
        "reject",
        "credit-risk",
        "1",
        "--role",
        "risk_manager",
        "--comment",
        "too late",
        user="carol",
    )
    assert code == 0 and "carol rejected credit-risk v1 as risk_manager" in out


def test_request_review_auto_promotes_low_risk(ws: tuple[Path, Client]) -> None:
    home, _ = ws
    invoke(home, "governance", "assess", "credit-risk", "--likelihood", "1", "--severity", "2")
    invoke(
        home,
        "governance",
        "card-set",
        "credit-risk",
        "0",
        "--field",
        "intended_use",
        "--value",
        "triage",
    )
    code, out, _ = invoke(home, "governance", "request-review", "credit-risk", "1")
    assert code == 0 and "credit-risk@champion -> v1" in out


def test_policy_show(ws: tuple[Path, Client]) -> None:
    home, _ = ws
    code, out, _ = invoke(home, "governance", "policy", "show", "high")
    assert code == 0 and "1 validator, 1 risk_manager" in out
    code, out, _ = invoke(home, "governance", "policy", "show", "--json")
    assert code == 0 and [p["level"] for p in json.loads(out)] == [
        "low",
        "medium",
        "high",
        "severe",
    ]
    code, _, err = invoke(home, "governance", "policy", "show", "extreme")
    assert code == 2 and one_line(err)


def test_tag_data_and_lineage(ws: tuple[Path, Client]) -> None:
    home, client = ws
    data = client.tracking.get_run(client.registry.get_version("credit-risk", 1).run_id or "")
    dataset = data.datasets[0].dataset_id
    code, out, _ = invoke(
        home,
        "governance",
        "tag-data",
        dataset[:12],
        "income",
        "--personal",
        "--legal-basis",
        "contract",
    )
    assert code == 0 and "legal basis: contract" in out
    code, out, _ = invoke(home, "governance", "tags", "--json")
    assert code == 0 and json.loads(out)[0]["legal_basis"] == "contract"
    code, out, _ = invoke(home, "governance", "lineage", "--dataset", dataset[:12], "--json")
    assert code == 0 and [(e["model"], e["version"]) for e in json.loads(out)] == [
        ("credit-risk", 1)
    ]
    code, out, _ = invoke(home, "governance", "lineage", "--column", "income")
    assert code == 0 and "credit-risk" in out
    code, _, err = invoke(home, "governance", "tag-data", "abcdef123", "income")
    assert code == 3 and one_line(err)


def test_audit_verify_export_and_tampering(ws: tuple[Path, Client], tmp_path: Path) -> None:
    home, client = ws
    code, out, _ = invoke(home, "audit", "verify", "--checkpoint")
    assert code == 0 and "intact" in out and "Checkpoint of event" in out
    out_file = tmp_path / "trail.jsonl"
    code, out, _ = invoke(home, "audit", "export", "--format", "jsonl", "-o", str(out_file))
    assert code == 0 and len(out_file.read_text().splitlines()) == 3
    csv_file = tmp_path / "trail.csv"
    code, out, _ = invoke(home, "audit", "export", "--format", "csv", "-o", str(csv_file))
    assert code == 0 and "Wrote 3 audit event(s)" in out
    code, _, err = invoke(home, "audit", "export", "--format", "xml", "-o", str(csv_file))
    assert code == 2 and one_line(err)
    code, out, _ = invoke(home, "audit", "checkpoints", "--json")
    assert code == 0 and json.loads(out)[0]["seq"] == 2
    with client.backend.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET reason = 'x' WHERE seq = 2"))
    code, _, err = invoke(home, "audit", "verify")
    assert code == 7 and one_line(err) and "Audit event 2 was edited" in err


def test_inventory_and_users(ws: tuple[Path, Client]) -> None:
    home, _ = ws
    invoke(home, "governance", "assess", "credit-risk", "--likelihood", "4", "--severity", "4")
    code, out, _ = invoke(home, "inventory", "--risk", "high", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["model"] == "credit-risk" and rows[0]["stage"] == "validated"
    code, out, _ = invoke(home, "inventory")
    assert code == 0 and "1 model(s)" in out
    code, _, err = invoke(home, "inventory", "--stage", "shipped")
    assert code == 2 and one_line(err)
    code, out, _ = invoke(home, "users", "whoami")
    assert code == 0 and "single-user" in out
    code, out, _ = invoke(home, "users", "add", "bob", "--role", "validator")
    assert code == 0 and "bob holds validator" in out
    code, out, _ = invoke(home, "users", "list", "--json")
    assert code == 0 and {u["name"] for u in json.loads(out)} == {"alice", "bob"}
    code, _, err = invoke(home, "users", "add", "eve", "--role", "admin", user="eve")
    assert code == 6 and one_line(err)
    code, _, err = invoke(home, "users", "add", "zed", "--role", "wizard")
    assert code == 2 and one_line(err)


def test_model_card_markdown_and_html(ws: tuple[Path, Client], tmp_path: Path) -> None:
    home, _ = ws
    invoke(home, "governance", "assess", "credit-risk", "--likelihood", "2", "--severity", "2")
    code, out, _ = invoke(home, "models", "card", "credit-risk", "1")
    assert code == 0 and "## Risk" in out and "**[4 medium]**" in out
    target = tmp_path / "card.html"
    code, out, _ = invoke(home, "models", "card", "credit-risk", "1", "--html", "-o", str(target))
    assert code == 0 and target.read_text().startswith("<!doctype html>")
