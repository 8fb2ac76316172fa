"""Monitoring windows: parsing sizes such as ``1d`` and cutting time into complete windows.

Windows are aligned to the Unix epoch in UTC (``1d`` windows start at midnight UTC, ``1h``
windows on the hour), so every run, on any machine, cuts the same windows and a window that was
computed once is recognised by its span.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from modelward.errors import InvalidInput

DEFAULT_WINDOW = "1d"
MAX_WINDOWS_PER_RUN = 1000  # a run catches up at most this many windows (cron runs again)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_window(text: str | int | float | timedelta) -> timedelta:
    """``30s``, ``15m``, ``1h``, ``1d``, ``1w`` (or seconds, or a timedelta) as a timedelta.

    Raises:
        InvalidInput: not a positive duration in those units.
    """
    if isinstance(text, timedelta):
        size = text
    elif isinstance(text, int | float):
        size = timedelta(seconds=float(text))
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(text).lower())
        if match is None:
            raise InvalidInput(f"Window {text!r} is not a duration; use e.g. 1d, 12h, 30m or 1w.")
        size = timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    if size.total_seconds() < 1:
        raise InvalidInput(f"Window {text!r} is shorter than one second.")
    return size


def floor_time(at: datetime, size: timedelta) -> datetime:
    """The start of the epoch-aligned window of `size` holding `at`."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    steps = (aware - _EPOCH) // size
    return _EPOCH + steps * size


def complete_windows(
    *,
    first: datetime,
    now: datetime,
    size: timedelta,
    after: datetime | None = None,
    limit: int = MAX_WINDOWS_PER_RUN,
) -> list[tuple[datetime, datetime]]:
    """The complete windows (end <= now) from the one holding `first`, or from `after`.

    Args:
        first: The earliest logged prediction.
        now: The current time; the window holding it is not complete yet.
        size: Window size.
        after: End of the last computed window; windows start there (catching up).
        limit: At most this many windows (the oldest first).
    """
    start = floor_time(first, size) if after is None else max(after, floor_time(first, size))
    spans: list[tuple[datetime, datetime]] = []
    while start + size <= now and len(spans) < limit:
        spans.append((start, start + size))
        start += size
    return spans
