"""Domain results on the wire, for the routes the client contract added: a domain dataclass is
dumped to JSON by its own type hints and read back into the same dataclass, so the remote
client returns exactly what the local one does (no second, drifting copy of each shape)."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def dump(kind: Any, value: Any) -> Any:
    """`value` (of type `kind`, e.g. ``MonitoringWindow`` or ``list[Alert]``) as JSON data."""
    return _adapter(kind).dump_python(value, mode="json")


def load(kind: type[T], data: Any) -> T:
    """The `kind` that `dump(kind, ...)` wrote (datetimes, enums and tuples restored)."""
    wanted: Any = kind  # a type, or an alias such as list[Alert]: both hashable
    adapter: TypeAdapter[Any] = _adapter(wanted)
    found: T = adapter.validate_python(data)
    return found


def dump_obj(kind: Any, value: Any) -> dict[str, Any]:
    """`dump` of one dataclass (a JSON object)."""
    found: dict[str, Any] = dump(kind, value)
    return found


def dump_list(kind: Any, values: Any) -> list[dict[str, Any]]:
    """`dump` of a list of dataclasses, `kind` being the item type."""
    found: list[dict[str, Any]] = dump(list[kind], values)
    return found
