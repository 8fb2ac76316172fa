"""The evidence pack's file format: writing the zip (manifest, index, HTML page) and checking
one offline, with nothing but the zip (no workspace, no server).

Layout::

    manifest.json        format, model, version, every other file's sha256, the audit slice
    index.json           each part (covered / empty / missing) and each regulatory section
    index.html           the same for people
    parts/...            the evidence, one file per part (JSON or Markdown)
    audit/events.jsonl   a contiguous slice of the audit chain, ending at a checkpoint
    audit/checkpoint.json  the checkpoint's stored bytes (their sha256 is its address)

What verification proves: every file is the one the manifest lists; the audit slice is an
unbroken hash chain from its first event's predecessor to the checkpoint's event, whose hash
the checkpoint recorded. Whoever holds the checkpoint's address (the workspace's
`modelward audit checkpoints`, or the artifact store) can tell that the slice is the trail
that was anchored. The manifest itself is not signed: compare its sha256 (printed by
`verify-pack` and by the command that built the pack) with the one you were given.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelward.domain.audit import canonical_json
from modelward.errors import InvalidInput
from modelward.governance.audit_verify import Checkpoint, read_jsonl, verify_chain

PACK_FORMAT = "modelward-evidence-pack/1"
MANIFEST = "manifest.json"
EVENTS = "audit/events.jsonl"
CHECKPOINT = "audit/checkpoint.json"


def sha256(data: bytes) -> str:
    """Hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def dumps(value: Any) -> bytes:
    """Readable, stable JSON bytes (sorted keys, indented)."""
    return (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode()


def write_zip(files: Mapping[str, bytes], manifest: Mapping[str, Any], *, at: datetime) -> bytes:
    """The zip of `files` plus `manifest.json` (with every file's sha256 added).

    Entries are written in name order with the time `at`, so equal content zips equal.
    """
    listed = dict(manifest) | {
        "files": {name: sha256(data) for name, data in sorted(files.items())}
    }
    stamp = (at.year, at.month, at.day, at.hour, at.minute, at.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted({**files, MANIFEST: dumps(listed)}.items()):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def index_html(index: Mapping[str, Any]) -> bytes:
    """The human-readable index page (escaped; no script, no external resource)."""
    e = html.escape
    title = f"Evidence pack: {index['model']} v{index['version']}"
    rows = "".join(
        f"<tr><td>{e(name)}</td><td class='{e(p['status'])}'>{e(p['status'])}</td>"
        f"<td>{e(p['description'])}</td><td>{e(', '.join(p['files']))}</td></tr>"
        for name, p in index["parts"].items()
    )
    sections = "".join(
        f"<tr><td>{e(s['framework'])}</td><td>{e(s['title'])}</td>"
        f"<td class='{e(s['coverage'])}'>{e(s['coverage'])}</td><td>"
        + ", ".join(f"{e(part)} ({e(state)})" for part, state in s["parts"].items())
        + "</td></tr>"
        for s in index["sections"]
    )
    audit = index["audit"]
    anchor = (
        f"anchored to checkpoint {e(str(audit['checkpoint_address']))} (event {audit['last_seq']})"
        if audit["anchored"]
        else "NOT anchored to a checkpoint: run 'modelward audit checkpoint' and rebuild"
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;margin:.5rem 0}}td,th{{border:1px solid #ccc;padding:.25rem .5rem}}
.covered{{background:#dcfce7}}.partial,.empty{{background:#fef9c3}}.missing{{background:#fee2e2}}
</style></head><body>
<h1>{e(title)}</h1>
<p>Built {e(index["built_at"])} by {e(index["built_by"])} · risk level {e(str(index["risk_level"]))}
· policy hash <code>{e(index["policy_hash"])}</code></p>
<p>Audit trail: events {audit["first_seq"]} to {audit["last_seq"]}, {anchor}.
{audit["unanchored"]} event(s) about this model are newer than the checkpoint.</p>
<p>Check this pack offline: <code>modelward audit verify-pack PACK.zip</code>.</p>
<h2>Regulatory map</h2>
<p>Our reading of the provisions, pointing at the evidence; not legal advice.</p>
<table><tr><th>Framework</th><th>Section</th><th>Coverage</th><th>Parts</th></tr>{sections}</table>
<h2>Parts</h2>
<table><tr><th>Part</th><th>Status</th><th>What</th><th>Files</th></tr>{rows}</table>
</body></html>
"""
    return page.encode()


@dataclass(frozen=True)
class PackCheck:
    """The outcome of `verify_pack`: ok, or every problem found (one sentence each)."""

    ok: bool
    problems: tuple[str, ...]
    model: str | None = None
    version: int | None = None
    files_checked: int = 0
    events_checked: int = 0
    checkpoint_seq: int | None = None
    checkpoint_address: str | None = None
    manifest_sha256: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        """One line: what was verified, or the first problem (and how many more)."""
        if self.ok:
            return (
                f"Evidence pack of {self.model} v{self.version} verified: {self.files_checked}"
                f" file(s) match the manifest, {self.events_checked} audit event(s) chain to"
                f" checkpoint {str(self.checkpoint_address)[:12]} (event {self.checkpoint_seq})."
            )
        more = f" ({len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
        return self.problems[0] + more


def _read_zip(data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist()}
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidInput("This is not an evidence pack: the file is not a zip archive.") from exc


def _manifest(files: Mapping[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in files:
        raise InvalidInput("This is not an evidence pack: it has no manifest.json.")
    try:
        manifest = json.loads(files[MANIFEST])
    except ValueError as exc:
        raise InvalidInput("The pack's manifest.json is not JSON; the pack is damaged.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
        raise InvalidInput(f"This is not an evidence pack of format {PACK_FORMAT}.")
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("audit"), dict):
        raise InvalidInput("The pack's manifest lists no files or no audit slice; it is damaged.")
    return manifest


def _file_problems(files: Mapping[str, bytes], listed: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, digest in sorted(listed.items()):
        if name not in files:
            problems.append(f"File {name} listed in the manifest is missing from the pack.")
        elif sha256(files[name]) != digest:
            problems.append(
                f"File {name} was changed: its sha256 is {sha256(files[name])[:12]}, the manifest"
                f" says {str(digest)[:12]}."
            )
    for name in sorted(set(files) - set(listed) - {MANIFEST}):
        problems.append(f"File {name} is in the pack but not in the manifest: it was added.")
    return problems


def _checkpoint(files: Mapping[str, bytes], audit: Mapping[str, Any]) -> tuple[Checkpoint, str]:
    """The checkpoint the slice ends at, and its address; InvalidInput naming the problem."""
    address = audit.get("checkpoint_address")
    if not address or CHECKPOINT not in files:
        raise InvalidInput(
            "The audit slice is not anchored to any checkpoint, so it cannot be verified;"
            " run 'modelward audit checkpoint' and build the pack again."
        )
    raw = files[CHECKPOINT]
    if sha256(raw) != address:
        raise InvalidInput(
            f"audit/checkpoint.json does not hash to the checkpoint address {str(address)[:12]}:"
            " the checkpoint was altered."
        )
    try:
        return Checkpoint.from_dict(json.loads(raw)), str(address)
    except ValueError as exc:
        raise InvalidInput("audit/checkpoint.json is not a checkpoint.") from exc


def _chain_problems(files: Mapping[str, bytes], audit: Mapping[str, Any]) -> tuple[list[str], int]:
    """Problems with the audit slice and how many events were verified."""
    try:
        checkpoint, _ = _checkpoint(files, audit)
        first, last = int(audit["first_seq"]), int(audit["last_seq"])
        start = Checkpoint(first - 1, str(audit["start_prev_hash"]), checkpoint.at)
        events = list(read_jsonl(files.get(EVENTS, b"").decode("utf-8").splitlines()))
    except (InvalidInput, KeyError, TypeError, ValueError) as exc:
        return [str(exc) or "The manifest's audit section is damaged."], 0
    problems = []
    if checkpoint.seq != last:
        problems.append(
            f"The audit slice ends at event {last} but its checkpoint recorded event"
            f" {checkpoint.seq}."
        )
    result = verify_chain(events, checkpoints=[checkpoint], start=start)
    if not result.ok:
        problems.append(result.message)
    elif result.last_seq != last:
        problems.append(
            f"The audit slice should run to event {last} but ends at event {result.last_seq}."
        )
    return problems, result.checked


def verify_pack(data: bytes) -> PackCheck:
    """Check an evidence pack offline: files against the manifest, the audit slice's chain,
    and its link to the checkpoint.

    Raises:
        InvalidInput: not a zip, or not an evidence pack (no or a malformed manifest).
    """
    files = _read_zip(data)
    manifest = _manifest(files)
    audit = manifest["audit"]
    problems = _file_problems(files, manifest["files"])
    chain, checked = _chain_problems(files, audit)
    problems += chain
    warnings = []
    unanchored = int(audit.get("unanchored", 0) or 0)
    if unanchored:
        warnings.append(
            f"{unanchored} audit event(s) about this model are newer than the checkpoint and are"
            " not in the slice; checkpoint the trail and rebuild the pack to include them."
        )
    return PackCheck(
        ok=not problems,
        problems=tuple(problems),
        model=manifest.get("model"),
        version=manifest.get("version"),
        files_checked=len(manifest["files"]),
        events_checked=checked,
        checkpoint_seq=audit.get("last_seq"),
        checkpoint_address=audit.get("checkpoint_address"),
        manifest_sha256=sha256(files[MANIFEST]),
        warnings=tuple(warnings),
    )


def canonical_line(record: Mapping[str, Any]) -> str:
    """One JSON line of the audit slice (as `audit_verify.export_jsonl` writes it)."""
    return canonical_json(dict(record)) + "\n"
