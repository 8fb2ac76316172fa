"""Object storage (any fsspec URL, e.g. ``s3://bucket/prefix``) for the artifact store and the
prediction log: open the filesystem, check at workspace open that the bucket exists and the
credentials are accepted, and let DuckDB read Parquet through it.

Credentials come from the usual variables of the filesystem's library (for S3:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``,
``AWS_DEFAULT_REGION`` and ``AWS_ENDPOINT_URL`` for an S3-compatible server such as MinIO).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelward.errors import BackendUnavailable


def is_remote(root: str | Path) -> bool:
    """True for a URL with a scheme other than ``file://`` (a local path is never remote)."""
    text = str(root)
    return isinstance(root, str) and "://" in text and not text.startswith("file://")


def open_fs(url: str, *, what: str = "store") -> tuple[Any, str]:
    """(fsspec filesystem, path inside it) of `url`.

    Raises:
        BackendUnavailable: no fsspec filesystem is installed for the URL's scheme.
    """
    try:
        import fsspec

        fs, base = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise BackendUnavailable(
            f"Cannot open the {what} {url!r}: {exc}. Install the fsspec filesystem for this"
            " scheme (e.g. `pip install 'modelward[s3]'` for s3://)."
        ) from exc
    return fs, str(base).rstrip("/")


def full_url(fs: Any, path: str) -> str:
    """`path` inside `fs` as a URL with the filesystem's scheme (what DuckDB is given)."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return path if protocol in ("file", "local") else f"{protocol}://{path}"


def check_reachable(url: str, *, what: str, setting: str) -> None:
    """List the bucket of `url` once so a missing bucket or refused credentials fail at open,
    with a message naming the bucket and what to do, not at the first write.

    Raises:
        BackendUnavailable: the bucket does not exist, the credentials are refused, or the
            endpoint cannot be reached.
    """
    fs, base = open_fs(url, what=what)
    bucket = base.split("/", 1)[0]
    try:
        fs.invalidate_cache()
        fs.ls(bucket, detail=False)
    except FileNotFoundError:
        raise BackendUnavailable(
            f"The bucket {bucket!r} of the {what} {url!r} does not exist; create it (e.g."
            f" `aws s3 mb s3://{bucket}`) or correct {setting}."
        ) from None
    except PermissionError:
        raise BackendUnavailable(
            f"The {what} {url!r} refused the credentials for bucket {bucket!r}; set"
            " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to a key that may"
            " read and write it."
        ) from None
    except OSError as exc:
        raise BackendUnavailable(
            f"Cannot reach the {what} {url!r} ({type(exc).__name__}: {exc}); check the URL,"
            " AWS_ENDPOINT_URL and the network, then retry."
        ) from None


def check_log_root(url: str) -> None:
    """`check_reachable` for MODELWARD_PREDICTIONS_URL (object stores only)."""
    if is_remote(url) and url.split("://", 1)[0] != "memory":
        check_reachable(url, what="prediction log", setting="MODELWARD_PREDICTIONS_URL")


def duckdb_connect(root: str | Path) -> Any:
    """A DuckDB connection that reads files under `root` (through fsspec when remote)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # never draw on a server's or CLI's stderr
    if is_remote(root):
        fs, _ = open_fs(str(root), what="prediction log")
        con.register_filesystem(fs)
    return con


def glob(root: str | Path, relative: str) -> list[str]:
    """Sorted files matching `relative` under `root` (URLs when remote, paths when local)."""
    if not is_remote(root):
        return sorted(str(p) for p in Path(root).glob(relative))
    fs, base = open_fs(str(root), what="prediction log")
    fs.invalidate_cache()  # other replicas add files: never answer from a stale listing
    return sorted(full_url(fs, p) for p in fs.glob(f"{base}/{relative}"))


def write_parquet(table: Any, root: str, relative: str) -> str:
    """Write an Arrow table to `root`/`relative` on object storage; returns its URL.

    An object becomes visible only when its upload completes, so readers never see a partial
    file (the local writer gets the same from a rename).
    """
    import pyarrow.parquet as pq

    fs, base = open_fs(root, what="prediction log")
    path = f"{base}/{relative}"
    try:
        with fs.open(path, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
    except OSError as exc:
        raise BackendUnavailable(
            f"Cannot write {relative!r} to the prediction log {root!r}"
            f" ({type(exc).__name__}); check the bucket and its credentials."
        ) from exc
    return full_url(fs, path)
