"""Workspace files readable by their owner only: folders 0700, files 0600, whatever the umask.

Also the one place that turns a failed write into the domain error that names its cause (disk
full, permission denied). Nothing here knows what the files hold.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from modelward.errors import BackendUnavailable, InsufficientStorage

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str | os.PathLike[str]) -> Path:
    """`mkdir -p path`, each folder it creates made 0700 (existing folders are left alone).

    Raises:
        InsufficientStorage: the disk is full.
        BackendUnavailable: the folder cannot be created (permissions, read-only disk).
    """
    target = Path(path)
    missing = []
    current = target
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it first
            continue
        except OSError as exc:
            raise storage_error(exc, where=folder) from exc
        os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask; chmod's is not
    return target


def restrict(path: str | os.PathLike[str], mode: int = FILE_MODE) -> None:
    """Set `mode` on `path` if it exists and is ours (best effort: a shared file is left)."""
    try:
        os.chmod(path, mode)
    except OSError:
        pass


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Create `path` empty with mode 0600 if it does not exist; make it 0600 if it does.

    Raises:
        InsufficientStorage: the disk is full.
        BackendUnavailable: the file cannot be created.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDONLY, FILE_MODE)
    except OSError as exc:
        raise storage_error(exc, where=Path(path)) from exc
    os.close(fd)
    restrict(path)


def write_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically (temporary file + rename), the file 0600.

    Raises:
        InsufficientStorage: the disk is full.
        BackendUnavailable: the file cannot be written.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, FILE_MODE)  # an older temporary file may have had another mode
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise storage_error(exc, where=target) from exc


def storage_error(exc: OSError, *, where: object) -> BackendUnavailable:
    """The domain error for a failed write to `where`: 507 for a full disk, else 503.

    Only the file's name goes into the message (it reaches API clients): not its folder.
    """
    name = Path(str(where)).name or str(where)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InsufficientStorage(
            f"No space left on the workspace's disk to write {name!r}: free disk space (or raise"
            " the quota) on the workspace's volume, then retry."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BackendUnavailable(
            f"Permission denied writing {name!r} in the workspace: the server's user must own the"
            " workspace folder and it must not be read-only."
        )
    return BackendUnavailable(
        f"Cannot write {name!r} in the workspace ({exc.strerror or type(exc).__name__}); check"
        " the workspace's disk and retry."
    )
