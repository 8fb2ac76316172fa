"""The evidence pack: what it holds, its regulatory index, and offline verification that fails,
with a clear message, when a file is changed, an audit event dropped, edited or reordered."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from modelward.client import Client
from modelward.client.evidence import verify_pack
from modelward.domain.audit import event_hash
from modelward.errors import InvalidInput
from modelward.governance.audit_verify import read_jsonl
from modelward.governance.pack_format import MANIFEST, sha256
from tests.governance.helpers import Clock, acting_as
from tests.governance.test_findings_waivers import USERS, approved


@pytest.fixture
def team(gov: Client) -> Client:
    with acting_as(gov, "root"):
        for name, roles in USERS.items():
            gov.governance.add_user(name, roles)
    return gov


def promoted(team: Client, clock: Clock) -> tuple[str, int]:
    """A version with a waived finding, promoted to champion, and a checkpoint after it."""
    version = approved(team)
    with acting_as(team, "vera"):
        team.evidence.record_finding(
            version.model,
            version.version,
            title="Drift-prone feature",
            severity="high",
            owner="alice",
            due=clock.now + timedelta(days=20),
        )
    with acting_as(team, "alice"):
        asked = team.evidence.request_waiver(
            version.model,
            version.version,
            item="findings",
            reason="monitored weekly",
            approver_role="risk_manager",
            expires=clock.now + timedelta(days=30),
        )
    with acting_as(team, "rita"):
        team.evidence.approve_waiver(asked.id or 0)
    team.registry.set_alias(version.model, "champion", version.version)
    with acting_as(team, "root"):
        team.governance.checkpoint_audit()
    return version.model, version.version


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes], *, fix_manifest: bool) -> bytes:
    """The pack with `files`; with `fix_manifest`, the manifest rehashed to match (a careful
    forger), so only the audit chain can tell."""
    if fix_manifest:
        manifest = json.loads(files[MANIFEST])
        manifest["files"] = {n: sha256(d) for n, d in files.items() if n != MANIFEST}
        files = {**files, MANIFEST: json.dumps(manifest).encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_pack_holds_every_part_and_verifies(team: Client, clock: Clock, tmp_path: Path) -> None:
    model, number = promoted(team, clock)
    out = tmp_path / "pack.zip"
    pack = team.evidence.pack(model, number, out)
    assert out.read_bytes() == pack.data and pack.anchored and pack.unanchored == 0
    files = unzip(pack.data)
    index = json.loads(files["index.json"])
    status = {name: part["status"] for name, part in index["parts"].items()}
    assert status == pack.parts
    for part in ("assessment", "policy", "model_card", "validation", "findings", "waivers"):
        assert status[part] == "covered", part
    assert status["sign_offs"] == status["gate_decisions"] == status["audit"] == "covered"
    assert status["reproducibility"] == "missing"  # nothing reproduced the run yet
    assert status["deployments"] == "empty"  # never deployed
    sections = {s["key"]: s["coverage"] for s in index["sections"]}
    assert sections["ai_act.art14"] == "covered"  # human oversight: sign-offs and gates
    assert sections["mrm.development"] == "partial"  # no reproduction recorded
    assert set(sections) >= {f"ai_act.art{n}" for n in (9, 10, 11, 12, 13, 14, 15, 17)}
    assert {"gdpr.art22", "gdpr.art30", "mrm.validation", "mrm.monitoring"} <= set(sections)
    html = files["index.html"].decode()
    assert "Art. 9 Risk management system" in html and "<script" not in html
    findings = json.loads(files["parts/findings.json"])
    assert findings[0]["title"] == "Drift-prone feature"
    waivers = json.loads(files["parts/waivers.json"])
    assert waivers[0]["state"] == "active" and waivers[0]["approved_by"] == "rita"
    recorded = json.loads(files["parts/gate/recorded.json"])
    assert [e["action"] for e in recorded] == ["promotion.gate_passed"]
    policy = json.loads(files["parts/policy.json"])
    assert policy["policy_hash"] == json.loads(files[MANIFEST])["policy_hash"]
    events = list(read_jsonl(files["audit/events.jsonl"].decode().splitlines()))
    assert {"finding.recorded", "waiver.approved", "alias.set"} <= {e.action for e in events}
    check = verify_pack(out)
    assert check.ok, check.problems
    assert check.events_checked == len(events) and check.manifest_sha256 == pack.manifest_sha256
    assert "verified" in check.message


def edit_event(files: dict[str, bytes], change: Callable[[list[str]], list[str]]) -> bytes:
    lines = files["audit/events.jsonl"].decode().splitlines(keepends=True)
    return "".join(change(lines)).encode()


def _drop(lines: list[str]) -> list[str]:
    return lines[:2] + lines[3:]


def _swap(lines: list[str]) -> list[str]:
    return [lines[0], lines[2], lines[1], *lines[3:]]


def _rewrite(lines: list[str]) -> list[str]:
    """Edit one event's reason and rehash it (its successor no longer links to it)."""
    record = json.loads(lines[1])
    record["reason"] = "nothing to see"
    events = list(read_jsonl([json.dumps(record)]))
    record["hash"] = event_hash(events[0])
    return [lines[0], json.dumps(record) + "\n", *lines[2:]]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        pytest.param(_drop, "were deleted", id="drop-an-event"),
        pytest.param(_swap, "out of order", id="reorder-events"),
        pytest.param(_rewrite, "edited and rehashed", id="edit-and-rehash"),
    ],
)
def test_a_tampered_audit_slice_fails_even_with_a_rehashed_manifest(
    team: Client,
    clock: Clock,
    tmp_path: Path,
    tamper: Callable[[list[str]], list[str]],
    message: str,
) -> None:
    model, number = promoted(team, clock)
    files = unzip(team.evidence.pack(model, number).data)
    files["audit/events.jsonl"] = edit_event(files, tamper)
    out = tmp_path / "forged.zip"
    out.write_bytes(rezip(files, fix_manifest=True))
    check = verify_pack(out)
    assert not check.ok
    assert any(message in problem for problem in check.problems), check.problems


def test_a_changed_file_fails_naming_it(team: Client, clock: Clock, tmp_path: Path) -> None:
    model, number = promoted(team, clock)
    files = unzip(team.evidence.pack(model, number).data)
    files["parts/findings.json"] = b"[]\n"  # hide the finding
    files["parts/extra.txt"] = b"added"
    out = tmp_path / "changed.zip"
    out.write_bytes(rezip(files, fix_manifest=False))
    check = verify_pack(out)
    assert not check.ok
    assert check.message.startswith("File parts/findings.json was changed")
    assert any(
        "parts/extra.txt is in the pack but not in the manifest" in p for p in check.problems
    )


def test_a_pack_without_checkpoint_is_not_anchored(team: Client, tmp_path: Path) -> None:
    version = approved(team)
    pack = team.evidence.pack(version.model, version.version)
    assert not pack.anchored and pack.parts["audit"] == "missing"
    out = tmp_path / "pack.zip"
    out.write_bytes(pack.data)
    check = verify_pack(out)
    assert not check.ok and "not anchored to any checkpoint" in check.message


def test_events_after_the_checkpoint_are_counted_not_included(
    team: Client, clock: Clock, tmp_path: Path
) -> None:
    model, number = promoted(team, clock)
    with acting_as(team, "bob"):
        team.evidence.update_finding(1, owner="vera")
    pack = team.evidence.pack(model, number)
    assert pack.anchored and pack.unanchored == 1
    out = tmp_path / "pack.zip"
    out.write_bytes(pack.data)
    check = verify_pack(out)
    assert check.ok and "newer than the checkpoint" in check.warnings[0]


def test_not_a_pack(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match="not a zip"):
        verify_pack(junk)
    with pytest.raises(InvalidInput, match="Cannot read"):
        verify_pack(tmp_path / "absent.zip")
