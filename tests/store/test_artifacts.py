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


@pytest.mark.parametrize("root", ["local", "memory://modelward-test-refs"])
def test_refs_are_listed_by_prefix(tmp_path: Path, root: str) -> None:
    store = ArtifactStore(str(tmp_path) if root == "local" else root)
    one, two = store.put_bytes(b"one"), store.put_bytes(b"two")
    assert store.list_refs("audit-checkpoints") == {}
    store.put_ref(f"audit-checkpoints/{one}", one)
    store.put_ref(f"audit-checkpoints/{two}", two)
    store.put_ref("other/x", one)
    store.put_ref(f"audit-checkpoints/{one}", one)  # idempotent
    assert store.list_refs("audit-checkpoints") == {
        f"audit-checkpoints/{one}": one,
        f"audit-checkpoints/{two}": two,
    }
    assert store.list_refs("other") == {"other/x": one}


@pytest.mark.parametrize("name", ["../escape", "/abs", "a//b", ".hidden", "a/b/c/d/e", ""])
def test_ref_names_cannot_traverse(tmp_path: Path, name: str) -> None:
    store = ArtifactStore(str(tmp_path))
    with pytest.raises(InvalidInput, match="not a ref name"):
        store.put_ref(name, store.put_bytes(b"x"))
    with pytest.raises(InvalidInput):
        store.put_ref("fine", "not-a-sha")
