"""Deterministic skops files: the same fitted model gives the same bytes in every process.

skops names objects by their memory address (``"__id__"`` in ``schema.json`` and the array
files ``<id>.npy``) and stamps every zip entry with the current time, so two saves of one
model differ. Reproducibility compares model bytes, so we renumber the addresses in order of
first appearance (references keep pointing at the same object: the mapping is one-to-one)
and write the entries sorted, with a fixed time.
"""

from __future__ import annotations

import io
import re
import zipfile

_ID = re.compile(rb'"__id__": (\d+)|"(\d+)\.npy"')
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SCHEMA = "schema.json"


def canonical(data: bytes) -> bytes:
    """The skops file `data` with addresses renumbered and a fixed layout."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = {info.filename: source.read(info) for info in source.infolist()}
    schema = entries.get(SCHEMA)
    if schema is None:
        return data
    numbers: dict[bytes, bytes] = {}
    for match in _ID.finditer(schema):
        found = match.group(1) or match.group(2)
        numbers.setdefault(found, str(len(numbers) + 1).encode())

    def renumber(match: re.Match[bytes]) -> bytes:
        if match.group(1) is not None:
            return b'"__id__": ' + numbers[match.group(1)]
        return b'"' + numbers[match.group(2)] + b'.npy"'

    renamed = {SCHEMA: _ID.sub(renumber, schema)}
    for name, content in entries.items():
        if name.endswith(".npy") and name[:-4].encode() in numbers:
            renamed[numbers[name[:-4].encode()].decode() + ".npy"] = content
        elif name != SCHEMA:
            renamed[name] = content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as target:
        for name in sorted(renamed):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o600 << 16
            target.writestr(info, renamed[name])
    return out.getvalue()
