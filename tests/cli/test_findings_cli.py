"""`modelward governance findings | waive | evidence` and `modelward audit verify-pack` as a
user drives them: exit codes and one-line messages."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelward.cli.main import app
from modelward.client import Client
from modelward.config import Settings
from tests.governance.helpers import acting_as, fill_card, register, store_report

runner = CliRunner()


def invoke(home: Path | None, *args: str, user: str = "alice") -> tuple[int, str, str]:
    env = {"COLUMNS": "200", "MODELWARD_USER": user, "MODELWARD_PROTECTED_ALIASES": "champion"}
    prefix = ["--home", str(home)] if home is not None else []
    result = runner.invoke(app, [*prefix, *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def home(sqlite_settings: Settings) -> Path:
    """A medium-risk version whose gate passes (no users: everyone holds every role, but
    nobody approves what they built or asked for)."""
    client = Client(sqlite_settings.model_copy(update={"protected_aliases": "champion"}))
    version = register(client)
    store_report(client, version)
    with acting_as(client, "rita"):
        client.governance.assess(version.model, likelihood=3, severity=2)
    fill_card(client, version)
    with acting_as(client, "bob"):
        client.governance.approve(version.model, version.version, role="validator")
    client.close()
    return Path(sqlite_settings.home)


def day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def test_findings_waivers_and_the_gate(home: Path) -> None:
    code, out, _ = invoke(home, "governance", "status", "credit-risk", "1")
    assert code == 0
    code, out, _ = invoke(
        home, "governance", "findings", "add", "credit-risk", "1", "--title", "Thin files",
        "--severity", "high", "--owner", "alice", "--due", day(30), user="val",
    )  # fmt: skip
    assert code == 0 and "Finding 1 (high) recorded on credit-risk v1" in out
    code, out, _ = invoke(home, "governance", "status", "credit-risk", "1")
    assert code == 5 and "[ ] findings: 1 open high/critical finding(s)" in out
    code, _, err = invoke(
        home, "governance", "findings", "add", "credit-risk", "1", "--title", "x",
        "--severity", "huge", "--owner", "a", "--due", day(1),
    )  # fmt: skip
    assert code == 2 and "Unknown severity 'huge'" in err and len(err.strip().splitlines()) == 1
    code, out, _ = invoke(
        home, "governance", "waive", "request", "credit-risk", "1", "--item", "findings",
        "--reason", "manual review", "--approver-role", "risk_manager", "--expires", day(20),
    )  # fmt: skip
    assert code == 0 and "Waiver 1 of 'findings'" in out
    code, _, err = invoke(home, "governance", "waive", "approve", "1")
    assert code == 6 and "alice asked for waiver 1 and may not approve it" in err
    code, out, _ = invoke(home, "governance", "waive", "approve", "1", user="rita")
    assert code == 0 and "approved by rita" in out
    code, out, _ = invoke(home, "governance", "status", "credit-risk", "1")
    assert code == 0 and "[x] findings: waived until" in out
    code, out, _ = invoke(home, "governance", "waive", "list", "--json")
    assert code == 0 and json.loads(out)[0]["state"] == "active"
    code, out, _ = invoke(home, "governance", "findings", "list", "credit-risk", "--json")
    assert code == 0 and json.loads(out)[0]["title"] == "Thin files"
    code, out, _ = invoke(home, "governance", "findings", "alerts", "--within-days", "30")
    assert code == 0 and "waiver_expiring: waiver 1 of 'findings'" in out
    code, _, _ = invoke(home, "governance", "findings", "alerts", "--within-days", "30", "--check")
    assert code == 10
    code, _, _ = invoke(home, "governance", "findings", "alerts", "--within-days", "1", "--check")
    assert code == 0
    code, out, _ = invoke(home, "governance", "waive", "revoke", "1", "--reason", "not in place")
    assert code == 0 and "revoked" in out
    code, _, _ = invoke(home, "governance", "status", "credit-risk", "1")
    assert code == 5


def test_evidence_pack_and_offline_verification(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = tmp_path / "pack.zip"
    code, out, _ = invoke(
        home, "governance", "evidence", "credit-risk", "1", "-o", str(pack), "--checkpoint"
    )
    assert code == 0 and "Manifest sha256" in out and "reproducibility" in out
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no workspace here, and none is made
    code, out, _ = invoke(None, "audit", "verify-pack", str(pack))
    assert code == 0 and out.startswith("Evidence pack of credit-risk v1 verified")
    assert list(elsewhere.iterdir()) == []
    with zipfile.ZipFile(pack) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["parts/sign_offs.json"] = b"{}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    forged = tmp_path / "forged.zip"
    forged.write_bytes(buffer.getvalue())
    code, out, _ = invoke(None, "audit", "verify-pack", str(forged))
    assert code == 7 and out.startswith("File parts/sign_offs.json was changed")
    code, _, err = invoke(None, "audit", "verify-pack", str(tmp_path / "none.zip"))
    assert code == 2 and "Cannot read" in err
