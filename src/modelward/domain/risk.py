"""The 5x5 risk matrix: likelihood x severity -> score -> risk level, and risk assessments.

Pure rules and rendering data only. Suggesting likelihood and severity from risk drivers
lives in `questionnaire.py`; what each level requires lives in `policy.py`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from modelward.errors import InvalidInput


class Likelihood(enum.IntEnum):
    """How likely the harm is, from 1 (rare) to 5 (very likely)."""

    RARE = 1
    UNLIKELY = 2
    POSSIBLE = 3
    LIKELY = 4
    VERY_LIKELY = 5

    @property
    def label(self) -> str:
        """Human name, e.g. "very likely"."""
        return self.name.lower().replace("_", " ")


class Severity(enum.IntEnum):
    """How bad the harm is, from 1 (very low) to 5 (very high)."""

    VERY_LOW = 1
    LOW = 2
    MODERATE = 3
    HIGH = 4
    VERY_HIGH = 5

    @property
    def label(self) -> str:
        """Human name, e.g. "very high"."""
        return self.name.lower().replace("_", " ")


class RiskLevel(enum.StrEnum):
    """Risk level of a score: low 1-3, medium 4-9, high 10-16, severe 20-25."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        """0 for low ... 3 for severe; compare ranks, never the string values."""
        return _RANKS[self]

    def at_least(self, other: RiskLevel) -> bool:
        """True if this level is `other` or worse."""
        return self.rank >= other.rank

    @classmethod
    def from_score(cls, score: int) -> RiskLevel:
        """Level of a likelihood x severity product (1-25).

        Scores 17-19 cannot occur (no product of two numbers from 1 to 5 gives them); they
        count as severe so the function is total.
        """
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 25:
            raise InvalidInput(f"A risk score is 1-25, got {score!r}.", field="score")
        if score <= 3:
            return cls.LOW
        if score <= 9:
            return cls.MEDIUM
        if score <= 16:
            return cls.HIGH
        return cls.SEVERE


_RANKS = {level: rank for rank, level in enumerate(RiskLevel)}

_Scale = TypeVar("_Scale", Likelihood, Severity)


def parse_scale(value: object, scale: type[_Scale], *, field: str) -> _Scale:
    """Read a 1-5 value as `scale`: an int, a digit string or a label ("very likely").

    Raises:
        InvalidInput: naming `field` and the value, with the accepted range and labels.
    """
    if isinstance(value, scale):
        return value
    number: object = value
    if isinstance(value, str):
        text = value.strip().lower().replace("_", " ").replace("-", " ")
        by_label = {member.label: member for member in scale}
        if text in by_label:
            return by_label[text]
        number = int(text) if text.isdigit() else value
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= 5:
        return scale(number)
    labels = ", ".join(f"{member.value} {member.label}" for member in scale)
    raise InvalidInput(
        f"{field} must be 1-5 ({labels}), got {value!r}.", field=field, value=_json_safe(value)
    )


def _json_safe(value: object) -> object:
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)


@dataclass(frozen=True)
class RiskAssessment:
    """One assessment of a registered model's risk; it expires at `expires_at` (None: never)."""

    model: str
    likelihood: Likelihood
    severity: Severity
    rationale: str
    assessed_by: str
    assessed_at: datetime
    expires_at: datetime | None = None
    answers: dict[str, Any] = field(default_factory=dict)  # questionnaire answers, if any

    @property
    def score(self) -> int:
        """likelihood x severity, 1-25."""
        return int(self.likelihood) * int(self.severity)

    @property
    def level(self) -> RiskLevel:
        """The risk level of the score."""
        return RiskLevel.from_score(self.score)

    def is_overdue(self, now: datetime) -> bool:
        """True once `now` reaches the expiry time; an overdue assessment blocks promotion."""
        return self.expires_at is not None and now >= self.expires_at


def assess(
    model: str,
    *,
    likelihood: object,
    severity: object,
    assessed_by: str,
    assessed_at: datetime,
    rationale: str = "",
    answers: Mapping[str, Any] | None = None,
    valid_days: int | Mapping[RiskLevel, int] | None = None,
) -> RiskAssessment:
    """Build a validated assessment.

    Args:
        model: The registered model's name.
        likelihood: 1-5, a Likelihood, or a label such as "likely".
        severity: 1-5, a Severity, or a label such as "very high".
        assessed_by: Who assessed it.
        assessed_at: When (timezone-aware, like every `now` in modelward).
        rationale: Why these values.
        answers: The questionnaire answers the values came from, kept for the record.
        valid_days: Days until the assessment expires: one number, or one per risk level
            (each policy's `assessment_valid_days`); None means it never expires.

    Raises:
        InvalidInput: likelihood or severity outside 1-5, an empty model or assessor, or a
            validity period below one day; the error names the field and the value.
    """
    for name, value in (("model", model), ("assessed_by", assessed_by)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"{name} must be a non-empty name, got {value!r}.", field=name)
    scored = RiskAssessment(
        model=model,
        likelihood=parse_scale(likelihood, Likelihood, field="likelihood"),
        severity=parse_scale(severity, Severity, field="severity"),
        rationale=rationale,
        assessed_by=assessed_by,
        assessed_at=assessed_at,
        answers=dict(answers or {}),
    )
    days = valid_days.get(scored.level) if isinstance(valid_days, Mapping) else valid_days
    if days is None:
        return scored
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidInput(
            f"valid_days must be a whole number of days >= 1, got {days!r}.", field="valid_days"
        )
    return replace(scored, expires_at=assessed_at + timedelta(days=days))


@dataclass(frozen=True)
class MatrixCell:
    """One cell of the 5x5 matrix, as the CLI and the model card draw it."""

    likelihood: Likelihood
    severity: Severity
    score: int
    level: RiskLevel
    marked: bool = False


def render_matrix(*, marked: tuple[object, object] | None = None) -> list[list[MatrixCell]]:
    """The matrix as rows of cells: very likely (5) on top, rare (1) at the bottom.

    Columns run from very low (1) to very high (5) severity. `marked` = (likelihood,
    severity) flags one cell, typically the model's assessment.

    Raises:
        InvalidInput: `marked` is outside 1-5.
    """
    mark = None
    if marked is not None:
        mark = (
            parse_scale(marked[0], Likelihood, field="likelihood"),
            parse_scale(marked[1], Severity, field="severity"),
        )
    return [
        [
            MatrixCell(
                likelihood=likelihood,
                severity=severity,
                score=likelihood * severity,
                level=RiskLevel.from_score(likelihood * severity),
                marked=(likelihood, severity) == mark,
            )
            for severity in Severity
        ]
        for likelihood in reversed(Likelihood)
    ]


def _cell_text(cell: MatrixCell) -> str:
    text = f"{cell.score} {cell.level.value}"
    return f"[{text}]" if cell.marked else text


_LEGEND = "Levels: low 1-3, medium 4-9, high 10-16, severe 20-25 (score = likelihood x severity)."


def render_matrix_text(*, marked: tuple[object, object] | None = None) -> str:
    """Plain-text matrix for the terminal; the marked cell is in [brackets]."""
    rows = render_matrix(marked=marked)
    header = ["likelihood \\ severity"] + [f"{s.label} ({s.value})" for s in Severity]
    lines = [[f"{row[0].likelihood.label} ({row[0].likelihood.value})"] for row in rows]
    for line, row in zip(lines, rows, strict=True):
        line.extend(_cell_text(cell) for cell in row)
    table = [header, *lines]
    widths = [max(len(line[col]) for line in table) for col in range(len(header))]
    text = [
        "  ".join(
            value.ljust(width) if col == 0 else value.rjust(width)
            for col, (value, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in table
    ]
    return "\n".join([*text, _LEGEND])


def render_matrix_markdown(*, marked: tuple[object, object] | None = None) -> str:
    """Markdown table for the model card; the marked cell is bold and in [brackets]."""
    rows = render_matrix(marked=marked)
    header = ["likelihood \\\\ severity"] + [f"{s.label} ({s.value})" for s in Severity]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in rows:
        cells = [f"**{_cell_text(c)}**" if c.marked else _cell_text(c) for c in row]
        label = f"{row[0].likelihood.label} ({row[0].likelihood.value})"
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join([*lines, "", _LEGEND])
