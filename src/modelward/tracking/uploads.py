"""Use-cases of remote clients that send files: content-addressed blobs, models described by a
client (bytes uploaded first, then the description), datasets and run artifacts as files.

The server streams uploads to temporary files and calls these; they never trust a path or a
hash from the client: blobs are addressed by the sha256 computed here.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from typing import Any

from modelward.domain.names import check_name
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.domain.tracking import ArtifactRef, DatasetRef
from modelward.errors import InvalidInput, NotFound
from modelward.tracking import service

CHUNK = 1024 * 1024


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def may_upload(uow: UnitOfWork, *, guard: Guard) -> None:
    """Check, before a byte is read, that the actor may upload (the register permission).

    Raises:
        PermissionDenied: the actor may not register runs and models.
    """
    with uow:
        guard.require(uow, Action.REGISTER, subject="blob upload")


def store_blob(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    path: str | os.PathLike[str],
    expected_sha256: str,
) -> tuple[str, int]:
    """Store an uploaded file content-addressed; returns (sha256, size).

    Raises:
        InvalidInput: the file's sha256 is not `expected_sha256` (a corrupted upload).
        PermissionDenied: the actor may not register runs and models.
    """
    may_upload(uow, guard=guard)
    sha = file_sha256(path)
    if sha != expected_sha256.lower():
        raise InvalidInput(
            f"The uploaded bytes hash to {sha[:12]}..., not {expected_sha256[:12]}...; the upload"
            " was corrupted or the address is wrong. Retry the upload.",
            field="sha256",
        )
    stored = artifacts.put_file(str(path))
    return stored, os.path.getsize(path)


def read_blob(artifacts: ArtifactStore, *, sha256: str) -> Iterator[bytes]:
    """The bytes of a blob in chunks, verified against their address before the first chunk.

    Raises:
        NotFound: no blob with this address.
        IntegrityViolation: the stored bytes do not match their address.
    """
    data = artifacts.get_bytes(sha256)
    return (data[i : i + CHUNK] for i in range(0, len(data), CHUNK))


def run_artifact(uow: UnitOfWork, *, run_id: str, path: str) -> ArtifactRef:
    """The artifact recorded under `path` in a run (looked up in the record, not on disk).

    Raises:
        NotFound: no such run, or no artifact at that path.
    """
    with uow:
        found = [a for a in uow.tracking.list_artifacts(run_id) if a.path == path]
        if not found:
            uow.tracking.run_status(run_id)
            raise NotFound(f"Run {run_id!r} has no artifact {path!r}.")
    return found[0]


def log_model_description(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    run_id: str,
    name: str,
    meta: dict[str, Any],
) -> ArtifactRef:
    """Record a model a client serialized: its bytes were uploaded as a blob already, `meta` is
    the description `flavors.describe` made (flavor, signature, environment, model_sha256).

    Raises:
        InvalidInput: a bad name or description.
        NotFound: no such run, or the model bytes were not uploaded first.
        AlreadyExists: the run already has an artifact called `name`.
    """
    check_name(name, what="model artifact")
    service.check_writable(uow, guard=guard, run_id=run_id)
    model_sha = meta.get("model_sha256")
    if not isinstance(model_sha, str) or not isinstance(meta.get("flavor"), str):
        raise InvalidInput("A model description needs 'model_sha256' and 'flavor'.", field="meta")
    if not artifacts.exists(model_sha):
        raise NotFound(
            f"Model bytes {model_sha[:12]}... were not uploaded; PUT them to"
            f" /api/v1/blobs/{model_sha} first."
        )
    meta_bytes = json.dumps(meta, sort_keys=True, default=str).encode()
    return service.log_artifact_bytes(
        uow, artifacts, guard=guard, run_id=run_id, path=name, data=meta_bytes, kind="model"
    )


def log_dataset_file(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    run_id: str,
    path: str,
    name: str,
    role: str,
    source: str | None,
    guard: Guard,
) -> DatasetRef:
    """Fingerprint, profile and sample an uploaded Parquet file and link it to a run.

    Raises:
        InvalidInput: the file is not Parquet, or a bad name or role.
        NotFound: no such run.
    """
    service.check_writable(uow, guard=guard, run_id=run_id)  # before the file is read
    frame = read_parquet(path)
    prepared = service.prepare_dataset(frame, name=name, role=role, source=source)
    return service.log_dataset(uow, artifacts, guard=guard, run_id=run_id, prepared=prepared)


def read_parquet(path: str) -> Any:
    """A DataFrame from an uploaded Parquet file.

    Raises:
        InvalidInput: the file is not readable Parquet.
    """
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for bad files
        raise InvalidInput(
            "The uploaded file is not a readable Parquet file; send the data as Parquet"
            " (DataFrame.to_parquet).",
            field="file",
        ) from exc
