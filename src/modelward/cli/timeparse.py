"""Parse dates and times given on the command line."""

from __future__ import annotations

from datetime import UTC, datetime

from modelward.errors import InvalidInput


def parse_when(text: str) -> datetime:
    """ISO date or date-time; naive values are UTC; a bare date means the end of that day."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date; use e.g. 2026-11-28 or 2026-11-28T14:00."
        ) from None
    if len(text) <= 10:
        value = value.replace(hour=23, minute=59, second=59, microsecond=999999)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
