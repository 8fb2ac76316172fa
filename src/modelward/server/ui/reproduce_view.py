"""The run page's reproducibility section: the code state the run stored (commit, entry point,
the patch of uncommitted changes), its environment lock, its training data stored whole, and
the reproductions recorded for it (who, when, whether the metrics matched within tolerance
and the model bytes were identical).

The page shows results and the command; it never reproduces: a reproduction rebuilds a fresh
virtual environment and runs the run's code, which happens where the code is (the
`modelward runs reproduce` command, `client.tracking.reproduce_run`), never in the server."""

from __future__ import annotations

import json
from typing import Any

from modelward.domain.tracking import ArtifactRef, Run
from modelward.errors import ModelwardError
from modelward.server.deps import Ctx
from modelward.tracking import capture, reproduction, uploads

MAX_SHOWN_BYTES = 256 * 1024  # a lock or code state bigger than this is only linked


def _text(ctx: Ctx, ref: ArtifactRef | None) -> str | None:
    if ref is None or ref.size > MAX_SHOWN_BYTES:
        return None
    try:
        data = b"".join(uploads.read_blob(ctx.artifacts, sha256=ref.sha256))
    except ModelwardError:  # a lost or altered blob: the link says so when followed
        return None
    return data.decode("utf-8", errors="replace")


def reproducibility(ctx: Ctx, run: Run) -> dict[str, Any]:
    """What the template shows: `code` (the stored code.json, parsed), the patch, lock and
    snapshot artifacts, the lock's package lines and the run's reproductions, newest first."""
    by_path = {a.path: a for a in run.artifacts}
    code: dict[str, Any] = {}
    raw = _text(ctx, by_path.get(capture.CODE_STATE))
    if raw:
        try:
            loaded = json.loads(raw)
            code = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            code = {}
    lock_text = _text(ctx, by_path.get(capture.ENV_LOCK))
    lock = [
        line.strip()
        for line in (lock_text or "").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return {
        "code": code,
        "patch": by_path.get(capture.CODE_PATCH),
        "lock_ref": by_path.get(capture.ENV_LOCK),
        "lock": lock,
        "snapshots": [a for a in run.artifacts if a.path.startswith(capture.DATA_PREFIX)],
        "reproductions": reproduction.list_reproductions(ctx.uow(read_only=True), run_id=run.id),
        "command": f"modelward runs reproduce {run.id}",
    }
