"""The evidence pack of one model version: everything an auditor asks for, in one zip that
`pack_format.verify_pack` checks offline.

A read: it changes nothing (so a viewer may build one). The audit slice runs from the first
event about the model to the newest checkpoint, so every event in it is anchored; events
about the model after that checkpoint are counted in the index ("unanchored"): checkpoint
the trail first (`modelward governance evidence --checkpoint`) to include them.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.governance import CheckpointRecord
from modelward.domain.policy import PolicySet, policy_as_dict
from modelward.domain.ports import ArtifactStore, UnitOfWork
from modelward.domain.registry import ModelVersion
from modelward.domain.regulatory import PARTS, coverage_index
from modelward.errors import IntegrityViolation, InvalidInput, NotFound
from modelward.governance import card, service
from modelward.governance.audit_verify import event_record
from modelward.governance.pack_format import (
    CHECKPOINT,
    EVENTS,
    PACK_FORMAT,
    canonical_line,
    dumps,
    index_html,
    sha256,
    write_zip,
)

COVERED, EMPTY, MISSING = "covered", "empty", "missing"
GATE_ACTIONS = ("promotion.gate_passed", "gate.refused")


def jsonable(value: Any) -> Any:
    """Dataclasses, enums, datetimes, tuples and mappings as plain JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class EvidencePack:
    """A built pack: the zip's bytes, the manifest's sha256, and each part's status."""

    model: str
    version: int
    data: bytes
    manifest_sha256: str
    parts: dict[str, str]
    anchored: bool
    unanchored: int


class _Pack:
    """Files and part statuses as they are collected."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.status: dict[str, str] = {}
        self.where: dict[str, list[str]] = {}

    def add(self, part: str, status: str, name: str, content: Any) -> None:
        path = f"parts/{name}"
        self.files[path] = content if isinstance(content, bytes) else dumps(jsonable(content))
        self.status[part] = status
        self.where.setdefault(part, []).append(path)


def _about(event: AuditEvent, model: str, names: Collection[str]) -> bool:
    """True for an event about the model, one of its versions, runs or deployments."""
    entity = event.entity_id
    return entity == model or entity.startswith(f"{model}/") or entity in names


def _registry_parts(
    pack: _Pack,
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    target: ModelVersion,
    policies: PolicySet,
    policy_hash: str,
    now: datetime,
) -> None:
    model, number = target.model, target.version
    with uow:
        assessment = uow.governance.find_assessment(model)
        history = uow.governance.list_assessments(model)
        policy, decision = service.decide(uow, target, policies=policies, now=now)
        reports = uow.validation.list_reports(model, number)
        findings = uow.findings.list_findings(model=model, version=number)
        waivers = uow.findings.list_waivers(model=model, version=number)
        requests = uow.governance.list_review_requests(model, number)
        sign_offs = uow.governance.list_sign_offs(model, number)
        fields = uow.governance.card_fields(model, number)
    pack.add(
        "assessment",
        COVERED if assessment else MISSING,
        "assessment.json",
        {
            "current": assessment,
            "level": assessment.level if assessment else None,
            "history": history,
        },
    )
    policy_doc = {
        "level": policy.level,
        "policy": policy_as_dict(policy),
        "policy_hash": policy_hash,
    }
    pack.add("policy", COVERED, "policy.json", policy_doc)
    text = card.model_card(uow, artifacts, model=model, version=number, policies=policies)
    pack.add("model_card", COVERED if fields else MISSING, "model_card.md", text.encode())
    pack.add("validation", COVERED if reports else MISSING, "validation/reports.json", reports)
    for record in reports:
        try:
            stored = artifacts.get_bytes(record.report_sha256)
        except (NotFound, IntegrityViolation):
            continue  # the index lists the record; the full report is not in the store
        pack.add("validation", COVERED, f"validation/report-{record.id}.json", stored)
    pack.add("findings", COVERED if findings else EMPTY, "findings.json", findings)
    states = [{**jsonable(w), "state": w.state(now).value} for w in waivers]
    pack.add("waivers", COVERED if waivers else EMPTY, "waivers.json", states)
    sign_doc = {"review_requests": requests, "sign_offs": sign_offs}
    pack.add("sign_offs", COVERED if sign_offs else MISSING, "sign_offs.json", sign_doc)
    pack.add("gate_decisions", COVERED, "gate/current.json", {"at": now, "decision": decision})


def _operations_parts(pack: _Pack, uow: UnitOfWork, target: ModelVersion) -> list[str]:
    """Deployments, monitoring, lineage, reproducibility; returns the names events may carry
    (deployments and the training run)."""
    model, number = target.model, target.version
    with uow:
        deployments = [d for d in uow.deployments.list_deployments() if d.model == model]
        history = {d.name: uow.deployments.list_configs(d.name) for d in deployments}
        serving = [
            d.name
            for d in deployments
            if any(number in (c.champion, c.challenger) for c in history[d.name])
        ]
        windows = {name: uow.monitoring.list_windows(name, with_series=False) for name in serving}
        alerts = {name: uow.monitoring.list_alerts(deployment=name) for name in serving}
        run = uow.tracking.get_run(target.run_id) if target.run_id else None
        environment = (
            uow.tracking.get_environment(run.environment_id) if run and run.environment_id else None
        )
        tags = [  # own tags, then inherited ones (their dataset_id names where they were set)
            tag
            for ref in (run.datasets if run else ())
            for tag in [
                *uow.governance.list_column_tags(ref.dataset_id),
                *uow.governance.inherited_column_tags(ref.dataset_id),
            ]
        ]
        personal = uow.governance.personal_data_uses(model, number)
    deployed = [d for d in deployments if d.name in serving]
    pack.add(
        "deployments",
        COVERED if deployed else EMPTY,
        "deployments.json",
        [{"deployment": d, "history": history[d.name]} for d in deployed],
    )
    monitored = any(windows.values())
    pack.add(
        "monitoring",
        COVERED if monitored else (MISSING if deployed else EMPTY),
        "monitoring.json",
        {name: {"windows": windows[name], "alerts": alerts[name]} for name in serving},
    )
    lineage = {
        "version": target,
        "run": run,
        "environment": environment,
        "column_tags": tags,
        "personal_data": personal,
    }
    pack.add("lineage", COVERED if run else MISSING, "lineage.json", lineage)
    return [*serving, *([run.id] if run else [])]


def _reproducibility(pack: _Pack, events: list[AuditEvent], target: ModelVersion) -> None:
    """Whatever reproduction results the trail holds (recorded by `runs reproduce`)."""
    found = [event_record(e) for e in events if "reproduc" in e.action]
    status = COVERED if found else MISSING
    note = "" if found else f"no reproduction of run {target.run_id} is recorded"
    pack.add("reproducibility", status, "reproducibility.json", {"results": found, "note": note})


def _relevant_events(uow: UnitOfWork, model: str, names: Collection[str]) -> list[AuditEvent]:
    with uow:
        return [e for e in uow.audit.iter_events() if _about(e, model, names)]


def _audit_slice(
    pack: _Pack,
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    relevant: list[AuditEvent],
) -> dict[str, Any]:
    """audit/events.jsonl from the first relevant event to the newest checkpoint."""
    with uow:
        checkpoints = uow.governance.list_checkpoints()
    anchor, raw = _newest_readable(checkpoints, artifacts)
    first = relevant[0].seq if relevant else None
    if anchor is None or first is None or first > anchor.seq:
        pack.files[EVENTS] = b""
        return {
            "first_seq": None,
            "last_seq": None,
            "start_prev_hash": None,
            "checkpoint_address": None,
            "unanchored": len(relevant),
            "relevant_seqs": [],
        }
    lines, start_prev = [], ""
    with uow:
        for event in uow.audit.iter_events():
            if event.seq < first:
                continue
            if event.seq > anchor.seq:
                break
            start_prev = start_prev or event.prev_hash
            lines.append(canonical_line(event_record(event)))
    pack.files[EVENTS] = "".join(lines).encode()
    pack.files[CHECKPOINT] = raw
    return {
        "first_seq": first,
        "last_seq": anchor.seq,
        "start_prev_hash": start_prev,
        "checkpoint_address": anchor.address,
        "checkpoint_at": anchor.at.isoformat(),
        "unanchored": sum(1 for e in relevant if e.seq > anchor.seq),
        "relevant_seqs": [e.seq for e in relevant if e.seq <= anchor.seq],
    }


def _newest_readable(
    checkpoints: list[CheckpointRecord], artifacts: ArtifactStore
) -> tuple[CheckpointRecord | None, bytes]:
    for record in reversed(checkpoints):
        try:
            return record, artifacts.get_bytes(record.address)
        except (NotFound, IntegrityViolation):
            continue
    return None, b""


def build_pack(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    model: str,
    version: int,
    policies: PolicySet,
    policy_hash: str,
    now: datetime,
    actor: str,
) -> EvidencePack:
    """The evidence pack of MODEL VERSION (see the module docstring).

    Raises:
        NotFound: no such version.
    """
    with uow:
        target = uow.registry.get_version(model, version)
    pack = _Pack()
    _registry_parts(pack, uow, artifacts, target, policies, policy_hash, now)
    names = _operations_parts(pack, uow, target)
    relevant = _relevant_events(uow, model, names)
    gate_events = [
        event_record(e)
        for e in relevant
        if e.action in GATE_ACTIONS and e.entity_id == f"{model}/{version}"
    ]
    pack.add("gate_decisions", COVERED, "gate/recorded.json", gate_events)
    _reproducibility(pack, relevant, target)
    audit = _audit_slice(pack, uow, artifacts, relevant)
    anchored = audit["checkpoint_address"] is not None
    pack.status["audit"] = COVERED if anchored else MISSING
    pack.where["audit"] = [EVENTS, CHECKPOINT] if anchored else [EVENTS]
    return _finish(pack, target, audit, policy_hash=policy_hash, now=now, actor=actor)


def _finish(
    pack: _Pack,
    target: ModelVersion,
    audit: dict[str, Any],
    *,
    policy_hash: str,
    now: datetime,
    actor: str,
) -> EvidencePack:
    level = json.loads(pack.files["parts/assessment.json"]).get("level")
    present = {part: status != MISSING for part, status in pack.status.items()}
    index = {
        "model": target.model,
        "version": target.version,
        "built_at": now.isoformat(),
        "built_by": actor,
        "risk_level": level,
        "policy_hash": policy_hash,
        "parts": {
            part: {
                "status": pack.status.get(part, MISSING),
                "description": description,
                "files": pack.where.get(part, []),
            }
            for part, description in PARTS.items()
        },
        "sections": coverage_index(present),
        "audit": {
            "first_seq": audit["first_seq"],
            "last_seq": audit["last_seq"],
            "anchored": audit["checkpoint_address"] is not None,
            "checkpoint_address": audit["checkpoint_address"],
            "unanchored": audit["unanchored"],
        },
    }
    pack.files["index.json"] = dumps(index)
    pack.files["index.html"] = index_html(index)
    manifest = {
        "format": PACK_FORMAT,
        "model": target.model,
        "version": target.version,
        "built_at": now.isoformat(),
        "built_by": actor,
        "policy_hash": policy_hash,
        "audit": audit,
    }
    data = write_zip(pack.files, manifest, at=now)
    digest = _manifest_digest(data)
    return EvidencePack(
        target.model,
        target.version,
        data,
        digest,
        {part: pack.status.get(part, MISSING) for part in PARTS},
        audit["checkpoint_address"] is not None,
        int(audit["unanchored"]),
    )


def _manifest_digest(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sha256(archive.read("manifest.json"))


def read_pack(data: bytes) -> EvidencePack:
    """The summary of a built pack's bytes (how the HTTP client rebuilds `EvidencePack`).

    Raises:
        InvalidInput: not an evidence pack.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            index = json.loads(archive.read("index.json"))
            digest = sha256(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InvalidInput("This is not an evidence pack (no index.json or manifest).") from exc
    return EvidencePack(
        str(index["model"]),
        int(index["version"]),
        data,
        digest,
        {part: str(p["status"]) for part, p in index["parts"].items()},
        bool(index["audit"]["anchored"]),
        int(index["audit"]["unanchored"]),
    )
