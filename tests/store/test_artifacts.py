import hashlib
import uuid
from pathlib import Path

import pytest

from modelward.errors import IntegrityViolation, InvalidInput, NotFound
from modelward.store.artifacts import ArtifactStore


def test_content_addressed_round_trip(storage_root: str) -> None:
    store = ArtifactStore(storage_root)
    store.check()
    sha = store.put_bytes(b"model bytes")
    assert sha == hashlib.sha256(b"model bytes").hexdigest()
    assert store.get_bytes(sha) == b"model bytes"
    assert store.put_bytes(b"model bytes") == sha  # same content, one blob
    assert store.size(sha) == len(b"model bytes")
    assert store.exists(sha) and not store.exists("0" * 64)
    if "://" not in storage_root:
        assert not list(Path(storage_root).rglob(".tmp-*")), "temporaries are renamed into place"


def test_a_tampered_object_is_refused(s3_root: str) -> None:
    import fsspec

    store = ArtifactStore(s3_root)
    sha = store.put_bytes(b"original")
    fs, base = fsspec.core.url_to_fs(s3_root)
    fs.pipe_file(f"{base}/{sha[:2]}/{sha[2:]}", b"tampered")  # someone with bucket access
    with pytest.raises(IntegrityViolation, match="altered"):
        store.get_bytes(sha)


def test_tampered_blob_is_refused(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    sha = store.put_bytes(b"original")
    (tmp_path / sha[:2] / sha[2:]).write_bytes(b"tampered")
    with pytest.raises(IntegrityViolation, match="altered"):
        store.get_bytes(sha)


def test_missing_blob_is_not_found(storage_root: str) -> None:
    with pytest.raises(NotFound, match="missing from the artifact store"):
        ArtifactStore(storage_root).get_bytes("a" * 64)


@pytest.mark.parametrize("address", ["../../etc/passwd", "a" * 63, "Z" * 64, ""])
def test_addresses_cannot_traverse(tmp_path: Path, address: str) -> None:
    with pytest.raises(InvalidInput):
        ArtifactStore(str(tmp_path)).get_bytes(address)


def test_fsspec_memory_url() -> None:
    store = ArtifactStore("memory://modelward-test-artifacts")
    sha = store.put_bytes(b"remote")
    assert store.exists(sha)
    assert store.get_bytes(sha) == b"remote"


@pytest.mark.parametrize("root", ["storage", "memory"])
def test_refs_are_listed_by_prefix(storage_root: str, root: str) -> None:
    memory = f"memory://modelward-test-refs-{uuid.uuid4().hex[:8]}"
    store = ArtifactStore(storage_root if root == "storage" else memory)
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
