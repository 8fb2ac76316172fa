"""Streaming request bodies to temporary files (never into memory whole), for upload routes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import Request, UploadFile

from modelward.store.private import storage_error

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
            raise storage_error(exc, where="the upload's temporary file") from exc
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
            raise storage_error(exc, where="the upload's temporary file") from exc
        yield handle.name
    finally:
        os.unlink(handle.name)


def chunks(data: Iterator[bytes]) -> Iterator[bytes]:
    """Pass chunks through (a named generator for StreamingResponse)."""
    yield from data
