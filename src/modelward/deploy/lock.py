"""A bundle's requirements as a full lock: every package the serving runtime and the model
import, and every package those need (the transitive closure of their declared
dependencies, with markers evaluated for this interpreter and platform), pinned to the
version installed where the bundle is built, which is the version the model was tested with.

With ``MODELWARD_HASH_INDEX`` set to a package index's JSON API (``https://pypi.org/pypi`` or a
mirror of it), each pin also gets the sha256 of every file the index has for that version
(``--hash``, pip's hash-checking mode, as ``pip-compile --generate-hashes`` writes). If any
look-up fails the lock is written without hashes (pip wants all or none) and says so.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterable
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

Digests = Callable[[str, str], list[str]]


def _requirements(name: str, extras: frozenset[str]) -> list[Requirement]:
    try:
        declared = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return []
    found = []
    for line in declared:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
        if req.marker is None or any(req.marker.evaluate(env) for env in environments):
            found.append(req)
    return found


def closure(pins: Iterable[str]) -> dict[str, str]:
    """{canonical name: "name==version"}: the pins given, then every installed dependency.

    A pin given keeps its version; a dependency gets the installed version; a dependency not
    installed here (an optional one whose marker holds elsewhere) is left out.
    """
    locked: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = []
    for line in pins:
        req = Requirement(line)
        locked[canonicalize_name(req.name)] = f"{canonicalize_name(req.name)}{req.specifier}"
        todo.append((req.name, frozenset(req.extras)))
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        key = (canonicalize_name(name), extras)
        if key in seen:
            continue
        seen.add(key)
        for req in _requirements(name, extras):
            canonical = canonicalize_name(req.name)
            if canonical not in locked:
                try:
                    locked[canonical] = f"{canonical}=={metadata.version(req.name)}"
                except metadata.PackageNotFoundError:
                    continue
            todo.append((req.name, frozenset(req.extras)))
    return dict(sorted(locked.items()))


def index_digests(index: str, *, timeout: float = 10.0) -> Digests:
    """sha256 of every file of NAME==VERSION from a JSON API (``INDEX/NAME/VERSION/json``)."""

    def digests(name: str, version: str) -> list[str]:
        url = f"{index.rstrip('/')}/{name}/{version}/json"
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https)
            files = json.loads(response.read())["urls"]
        return sorted({str(f["digests"]["sha256"]) for f in files})

    return digests


def lock_lines(pins: Iterable[str], digests: Digests | None = None) -> tuple[list[str], bool]:
    """(requirements.txt lines, hashed?): the full lock, with --hash lines when `digests` (or
    MODELWARD_HASH_INDEX) gives every pin's files."""
    locked = closure(pins)
    index = os.environ.get("MODELWARD_HASH_INDEX")
    if digests is None and index:
        digests = index_digests(index)
    if digests is None:
        return list(locked.values()), False
    lines = []
    try:
        for name, pin in locked.items():
            found = digests(name, pin.partition("==")[2])
            if not found:
                return list(locked.values()), False
            hashes = " ".join(f"--hash=sha256:{d}" for d in found)
            lines.append(f"{pin} {hashes}")
    except (OSError, ValueError, KeyError):  # offline, unknown version, odd answer
        return list(locked.values()), False
    return lines, True
