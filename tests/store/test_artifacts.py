import hashlib
from pathlib import Path

import pytest

from modelward.errors import IntegrityViolation, InvalidInput, NotFound
from modelward.store.artifacts import ArtifactStore


def test_content_addressed_round_trip(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    sha = store.put_bytes(b"model bytes")
    assert sha == hashlib.sha256(b"model bytes").hexdigest()
    assert store.get_bytes(sha) == b"model bytes"
    assert store.put_bytes(b"model bytes") == sha  # same content, one blob
    assert store.size(sha) == len(b"model bytes")
    assert not list(tmp_path.rglob(".tmp-*")), "temporary files are renamed into place"


def test_tampered_blob_is_refused(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    sha = store.put_bytes(b"original")
    (tmp_path / sha[:2] / sha[2:]).write_bytes(b"tampered")
    with pytest.raises(IntegrityViolation, match="altered"):
        store.get_bytes(sha)


def test_missing_blob_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        ArtifactStore(str(tmp_path)).get_bytes("a" * 64)


@pytest.mark.parametrize("address", ["../../etc/passwd", "a" * 63, "Z" * 64, ""])
def test_addresses_cannot_traverse(tmp_path: Path, address: str) -> None:
    with pytest.raises(InvalidInput):
        ArtifactStore(str(tmp_path)).get_bytes(address)


def test_fsspec_memory_url() -> None:
    store = ArtifactStore("memory://modelward-test-artifacts")
    sha = store.put_bytes(b"remote")
    assert store.exists(sha)
    assert store.get_bytes(sha) == b"remote"
