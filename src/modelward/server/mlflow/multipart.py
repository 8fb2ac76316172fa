"""Multipart uploads through the `mlflow-artifacts` proxy, as MLflow 3's client does them with
``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true`` for files of at least
``MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE`` bytes:

1. ``POST /mpu/create/DIR`` (authenticated, the run's owner) with the file's name and part count
   answers an upload id and one URL per part;
2. the client PUTs each part to its URL *without* its credentials (MLflow treats them as
   presigned storage URLs), so each URL carries its own proof: an HMAC of the upload id, part
   number and expiry under the server's secret, valid for `PART_URL_SECONDS`;
3. ``POST /mpu/complete/DIR`` (authenticated) joins the parts in order and records the file
   through the same service as a single PUT (owner-only, RUNNING runs, content-addressed);
   ``/mpu/abort/DIR`` throws the parts away.

Parts wait in ``<home>/mlflow-uploads/<upload id>/`` (shared by the server's workers on one
host); uploads left unfinished are removed once their URLs have long expired.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from modelward.errors import InvalidInput, NotFound, PermissionDenied
from modelward.server.deps import Ctx, CtxDep, Platform, PlatformDep
from modelward.server.mlflow.artifacts import land, locate
from modelward.server.mlflow.protocol import MlflowRoute, number, request_fields, text
from modelward.server.uploads import _spool_error as spool_error
from modelward.store.private import private_dir
from modelward.tracking import service

Fields = Annotated[dict[str, Any], Depends(request_fields)]
router = APIRouter(route_class=MlflowRoute, include_in_schema=False)
PART_URL_SECONDS = 3600  # how long a part's URL may be used (MLflow uploads parts at once)
MAX_PARTS = 10_000  # as S3
MANIFEST = "upload.json"
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _root(platform: Platform) -> Path:
    return private_dir(Path(platform.settings.home) / "mlflow-uploads")


def _signature(secret: bytes, upload_id: str, part: int, expires: int) -> str:
    message = f"mlflow-part:{upload_id}:{part}:{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _target(path: str, local_file: str) -> str:
    """The artifact path the file lands at: the URL's directory and the file's own name (MLflow
    sends the client's local path; only its last part is used)."""
    name = re.split(r"[\\/]", local_file.strip())[-1]
    if name in ("", ".", ".."):
        raise InvalidInput(f"{local_file!r} does not name a file.")
    return f"{path.strip('/')}/{name}"


def _folder(platform: Platform, upload_id: str) -> tuple[Path, dict[str, Any]]:
    """The upload's folder and manifest.

    Raises:
        NotFound: no such upload (never started, completed, aborted or swept away).
    """
    if not _UPLOAD_ID.match(upload_id):
        raise NotFound(f"No multipart upload {upload_id!r}.")
    folder = _root(platform) / upload_id
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise NotFound(
            f"No multipart upload {upload_id!r}: it was completed, aborted or has expired;"
            " upload the file again."
        ) from None
    return folder, manifest


def _sweep(root: Path, now: float) -> None:
    """Remove uploads whose part URLs expired more than `PART_URL_SECONDS` ago."""
    for folder in root.iterdir():
        try:
            expires = json.loads((folder / MANIFEST).read_text())["expires"]
        except (OSError, ValueError, KeyError, TypeError):
            expires = folder.stat().st_mtime + PART_URL_SECONDS
        if float(expires) + PART_URL_SECONDS < now:
            shutil.rmtree(folder, ignore_errors=True)


@router.post("/mpu/create/{path:path}")
def create(path: str, fields: Fields, request: Request, ctx: CtxDep) -> dict[str, Any]:
    target = _target(path, text(fields, "path"))
    run_id, _, _ = locate(target)
    parts = number(fields, "num_parts", default=1)
    if not 1 <= parts <= MAX_PARTS:
        raise InvalidInput(f"num_parts must be between 1 and {MAX_PARTS}, got {parts}.")
    service.check_writable(ctx.uow(), guard=ctx.guard(), run_id=run_id)
    root = _root(ctx.platform)
    now = time.time()
    _sweep(root, now)
    upload_id = secrets.token_urlsafe(24)
    expires = int(now) + PART_URL_SECONDS
    folder = root / upload_id
    folder.mkdir(mode=0o700)
    manifest = {"actor": ctx.actor, "target": target, "num_parts": parts, "expires": expires}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    base = str(request.base_url).rstrip("/") + request.url.path.split("/mpu/create/", 1)[0]
    credentials = [
        {
            "url": f"{base}/mpu/part/{upload_id}/{n}?expires={expires}"
            f"&signature={_signature(ctx.platform.secret, upload_id, n, expires)}",
            "part_number": n,
            "headers": {},
        }
        for n in range(1, parts + 1)
    ]
    return {"upload_id": upload_id, "credentials": credentials}


@router.put("/mpu/part/{upload_id}/{part}")
async def upload_part(
    upload_id: str,
    part: int,
    request: Request,
    platform: PlatformDep,
    expires: int = 0,
    signature: str = "",
) -> Response:
    """One part, authorized by its URL's signature (MLflow sends no credentials here)."""
    expected = _signature(platform.secret, upload_id, part, expires)
    if not hmac.compare_digest(expected, signature) or expires < time.time():
        raise PermissionDenied(
            "This part URL is not valid (wrong signature, or expired): start the upload again."
        )
    folder, manifest = _folder(platform, upload_id)
    if not 1 <= part <= int(manifest["num_parts"]):
        raise InvalidInput(f"Upload {upload_id!r} has parts 1 to {manifest['num_parts']}.")
    partial = folder / f"part-{part}.tmp"
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as handle:
            async for chunk in request.stream():
                digest.update(chunk)
                handle.write(chunk)
        os.replace(partial, folder / f"part-{part}")
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise spool_error(exc) from exc
    return Response(b"{}", media_type="application/json", headers={"ETag": digest.hexdigest()})


def _assemble(ctx: Ctx, folder: Path, manifest: dict[str, Any], listed: Any) -> None:
    count = int(manifest["num_parts"])
    numbers = sorted(int(p.get("part_number", 0)) for p in listed or [] if isinstance(p, dict))
    if numbers != list(range(1, count + 1)):
        raise InvalidInput(
            f"Complete the upload with its {count} parts numbered 1 to {count}, got {numbers}."
        )
    missing = [n for n in numbers if not (folder / f"part-{n}").is_file()]
    if missing:
        raise InvalidInput(f"Parts {missing} were not uploaded; upload them, then complete.")
    joined = folder / "joined"
    with open(joined, "wb") as out:
        for n in numbers:
            with open(folder / f"part-{n}", "rb") as piece:
                shutil.copyfileobj(piece, out, 1024 * 1024)
    land(ctx, manifest["target"], str(joined))


def _pending(ctx: Ctx, path: str, fields: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """The upload to complete or abort, once the caller is known to be the run's writer."""
    target = _target(path, text(fields, "path"))
    run_id, _, _ = locate(target)
    service.check_writable(ctx.uow(), guard=ctx.guard(), run_id=run_id)
    folder, manifest = _folder(ctx.platform, text(fields, "upload_id"))
    if manifest["target"] != target:
        raise InvalidInput(f"Upload {fields['upload_id']!r} is for {manifest['target']!r}.")
    return folder, manifest


@router.post("/mpu/complete/{path:path}")
async def complete(path: str, fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    folder, manifest = await run_in_threadpool(_pending, ctx, path, fields)
    # recorded through the services: only the run's owner, while it runs
    await run_in_threadpool(_assemble, ctx, folder, manifest, fields.get("parts"))
    shutil.rmtree(folder, ignore_errors=True)
    return {}


@router.post("/mpu/abort/{path:path}")
def abort(path: str, fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    folder, _ = _pending(ctx, path, fields)
    shutil.rmtree(folder, ignore_errors=True)
    return {}
