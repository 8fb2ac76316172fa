"""Streaming request bodies to temporary files (never into memory whole), for upload routes."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import Request, UploadFile

from modelward.errors import BackendUnavailable, InsufficientStorage

CHUNK = 1024 * 1024


@asynccontextmanager
async def spooled_body(request: Request, *, suffix: str = "") -> AsyncIterator[str]:
    """The raw request body in a temporary file (removed afterwards); yields its path."""
    handle = tempfile.NamedTemporaryFile(prefix="mw-upload-", suffix=suffix, delete=False)
    try:
        try:
            with handle:
                async for chunk in request.stream():
                    handle.write(chunk)
        except OSError as exc:  # a full temporary disk: 507, not a 500
            raise _spool_error(exc) from exc
        yield handle.name
    finally:
        os.unlink(handle.name)


@asynccontextmanager
async def spooled_file(upload: UploadFile, *, suffix: str = "") -> AsyncIterator[str]:
    """A multipart file field in a temporary file (removed afterwards); yields its path."""
    handle = tempfile.NamedTemporaryFile(prefix="mw-upload-", suffix=suffix, delete=False)
    try:
        try:
            with handle:
                while chunk := await upload.read(CHUNK):
                    handle.write(chunk)
        except OSError as exc:
            raise _spool_error(exc) from exc
        yield handle.name
    finally:
        os.unlink(handle.name)


def _spool_error(exc: OSError) -> BackendUnavailable:
    # A full temporary disk is 507 (the client may retry later), any other failure 503.
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InsufficientStorage(
            "No space left on the server's temporary disk to receive the upload; retry later or"
            " ask the operator to free space (TMPDIR)."
        )
    return BackendUnavailable(
        f"The server could not spool the upload ({exc.strerror or type(exc).__name__}); retry."
    )


def chunks(data: Iterator[bytes]) -> Iterator[bytes]:
    """Pass chunks through (a named generator for StreamingResponse)."""
    yield from data
