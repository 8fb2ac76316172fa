"""Small HTML tables for notebooks (`_repr_html_`), made with the standard library only.

Jupyter shows an object's `_repr_html_()` instead of its repr; runs, validation reports and
governance statuses use these helpers so a data scientist sees a readable table in a cell.
Every value is escaped: names and messages come from users.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

_STYLE = "border-collapse:collapse;font-family:sans-serif;font-size:13px"
_CELL = "border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top"


def _cells(values: Sequence[object], tag: str) -> str:
    return "".join(f'<{tag} style="{_CELL}">{escape(str(v))}</{tag}>' for v in values)


def table(
    title: str,
    rows: Iterable[Sequence[object]],
    *,
    header: Sequence[str] = (),
    subtitle: str = "",
) -> str:
    """An HTML table under a bold title (and an optional line of text)."""
    parts = [f"<div><strong>{escape(title)}</strong>"]
    if subtitle:
        parts.append(f"<div>{escape(subtitle)}</div>")
    parts.append(f'<table style="{_STYLE}">')
    if header:
        parts.append(f"<tr>{_cells(header, 'th')}</tr>")
    parts.extend(f"<tr>{_cells(row, 'td')}</tr>" for row in rows)
    parts.append("</table></div>")
    return "".join(parts)


def mark(passed: bool | None) -> str:
    """A check mark for passed, a cross for failed, a dash for informational."""
    return "—" if passed is None else ("✓" if passed else "✗")
