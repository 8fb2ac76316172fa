"""Content-addressed artifact store: blobs named by their sha256, written atomically
(temporary file + rename), verified on every read. A local folder or any fsspec URL.

Local folders are 0700 and blobs 0600. A full disk is InsufficientStorage (507); a store that
refuses or cannot be reached is BackendUnavailable (503).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from modelward.errors import BackendUnavailable, IntegrityViolation, InvalidInput, NotFound
from modelward.store import objectstore
from modelward.store.private import private_dir, storage_error

_HEX = set("0123456789abcdef")
_REF_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
REFS = "refs"  # named pointers live in ROOT/refs/, beside the two-hex-digit blob folders


def _check_sha(sha256: str) -> str:
    # Addresses are the only path component callers control: no traversal is possible.
    if len(sha256) != 64 or not set(sha256) <= _HEX:
        raise InvalidInput(f"{sha256!r} is not a sha256 artifact address (64 hex digits).")
    return sha256


def _check_ref(name: str) -> str:
    # Ref names become paths: only plain segments, so no traversal and no hidden files.
    parts = name.split("/")
    if not 1 <= len(parts) <= 4 or not all(_REF_SEGMENT.fullmatch(part) for part in parts):
        raise InvalidInput(
            f"{name!r} is not a ref name; use up to four '/'-separated segments of letters,"
            " digits, '.', '_' and '-'."
        )
    return name


class ArtifactStore:
    """Implements ``modelward.domain.ports.ArtifactStore``.

    Layout: ``ROOT/ab/cdef...`` for a blob whose sha256 is ``abcdef...``; named refs (small
    text files holding a sha256) under ``ROOT/refs/NAME``, so some blobs (audit checkpoints)
    can be found by listing, without the database.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._local = "://" not in root or root.startswith("file://")
        self._fs: Any = None
        if self._local:
            self._path = Path(root.removeprefix("file://"))
        else:
            try:
                import fsspec

                self._fs, self._base = fsspec.core.url_to_fs(root)
            except (ImportError, ValueError) as exc:
                raise BackendUnavailable(
                    f"Cannot open the artifact store {root!r}: {exc}. Install the fsspec"
                    " filesystem for this scheme (e.g. s3fs for s3://)."
                ) from exc

    def check(self) -> None:
        """Fail now, not at the first write, when an object store's bucket is missing or its
        credentials are refused (see `objectstore.check_reachable`). Local folders and
        in-memory stores need no check."""
        if not self._local and self.root.split("://", 1)[0] not in ("memory", "file"):
            objectstore.check_reachable(
                self.root, what="artifact store", setting="MODELWARD_ARTIFACT_URL"
            )

    def _local_path(self, sha256: str) -> Path:
        return self._path / sha256[:2] / sha256[2:]

    def _remote_path(self, sha256: str) -> str:
        return f"{self._base.rstrip('/')}/{sha256[:2]}/{sha256[2:]}"

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if self.exists(sha):
            return sha
        if self._local:
            self._write_local(self._local_path(sha), data)
        else:
            try:
                # Object stores make a single PUT visible atomically.
                self._fs.pipe_file(self._remote_path(sha), data)
            except OSError as exc:  # PermissionError, ConnectionError, a missing bucket...
                raise self._unavailable(exc) from exc
        return sha

    def _write_local(self, target: Path, data: bytes) -> None:
        private_dir(target.parent)
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")  # mode 0600
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise storage_error(exc, where=f"artifact {target.name[:10]}") from exc
            raise

    def _unavailable(self, exc: OSError) -> BackendUnavailable:
        if isinstance(exc, PermissionError):
            return BackendUnavailable(
                f"The artifact store {self.root!r} refused access; check its credentials and"
                " permissions."
            )
        return BackendUnavailable(
            f"Cannot reach the artifact store {self.root!r} ({type(exc).__name__}); check the"
            " URL, the network and the store's credentials, then retry."
        )

    def put_file(self, path: str | os.PathLike[str]) -> str:
        return self.put_bytes(Path(path).read_bytes())

    def get_bytes(self, sha256: str) -> bytes:
        _check_sha(sha256)
        try:
            if self._local:
                data = self._local_path(sha256).read_bytes()
            else:
                data = self._fs.cat_file(self._remote_path(sha256))
        except FileNotFoundError:
            raise NotFound(
                f"Artifact {sha256[:12]}... is missing from the artifact store {self.root!r}."
            ) from None
        except OSError as exc:
            raise self._unavailable(exc) from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise IntegrityViolation(
                f"Artifact {sha256[:12]}... in {self.root!r} has been altered (its content hashes"
                f" to {actual[:12]}...); refusing to use it. Restore it from a backup.",
                expected=sha256,
                actual=actual,
            )
        return data

    def exists(self, sha256: str) -> bool:
        _check_sha(sha256)
        if self._local:
            return self._local_path(sha256).exists()
        return bool(self._fs.exists(self._remote_path(sha256)))

    def delete(self, sha256: str) -> bool:
        """Remove a blob (data-protection erasure and retention); False when it was absent."""
        _check_sha(sha256)
        try:
            if self._local:
                path = self._local_path(sha256)
                existed = path.exists()
                path.unlink(missing_ok=True)
                return existed
            if not self._fs.exists(self._remote_path(sha256)):
                return False
            self._fs.rm_file(self._remote_path(sha256))
            return True
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def size(self, sha256: str) -> int:
        _check_sha(sha256)
        if self._local:
            return self._local_path(sha256).stat().st_size
        return int(self._fs.size(self._remote_path(sha256)))

    def put_ref(self, name: str, sha256: str) -> None:
        _check_ref(name)
        data = _check_sha(sha256).encode()
        if self._local:
            target = self._path / REFS / name
            private_dir(target.parent)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        else:
            self._fs.pipe_file(f"{self._base.rstrip('/')}/{REFS}/{name}", data)

    def list_refs(self, prefix: str) -> dict[str, str]:
        _check_ref(prefix)
        found: dict[str, str] = {}
        if self._local:
            folder = self._path / REFS / prefix
            if not folder.is_dir():
                return found
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith(".tmp-"):
                    name = path.relative_to(self._path / REFS).as_posix()
                    found[name] = path.read_bytes().decode("utf-8", "replace").strip()
            return found
        base = f"{self._base.rstrip('/')}/{REFS}/"
        try:
            paths = self._fs.find(base + prefix)
        except FileNotFoundError:
            return found
        for path in sorted(paths):
            name = str(path).split(f"/{REFS}/", 1)[-1]
            if not name.rsplit("/", 1)[-1].startswith(".tmp-"):
                found[name] = self._fs.cat_file(path).decode("utf-8", "replace").strip()
        return found
