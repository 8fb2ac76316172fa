"""The pseudonymisation key: 32 random bytes in a 0600 file, made on first use.

The key never leaves this process: it is not logged, not sent to clients, not stored in the
metadata database (whoever reads the database must not be able to test guesses against the
pseudonyms in the prediction log).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from modelward.errors import IntegrityViolation
from modelward.store.private import private_dir, storage_error, write_private

KEY_BYTES = 32


def pseudonym_key(path: str | os.PathLike[str]) -> bytes:
    """The key in `path`, made (randomly, 0600) when the file does not exist.

    Raises:
        IntegrityViolation: the file is shorter than 16 bytes (a truncated key would make
            pseudonyms that no longer match the ones already logged).
        BackendUnavailable: the file cannot be read or written.
    """
    target = Path(path)
    if not target.exists():
        private_dir(target.parent)
        write_private(target, secrets.token_bytes(KEY_BYTES))
    try:
        key = target.read_bytes().strip()
    except OSError as exc:
        raise storage_error(exc, where=target) from exc
    if len(key) < 16:
        raise IntegrityViolation(
            f"The pseudonymisation key file {target.name!r} holds fewer than 16 bytes; restore"
            " it from your backup (a new key would not match the pseudonyms already logged)."
        )
    return key
