"""The 5x5 risk matrix, risk assessments and their expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelward.domain.risk import (
    Likelihood,
    RiskLevel,
    Severity,
    assess,
    render_matrix,
    render_matrix_markdown,
    render_matrix_text,
)
from modelward.errors import InvalidInput

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

# Expected level per cell: rows are likelihood 1 (rare) .. 5, columns severity 1 .. 5.
# The "rare" row is 1, 2, 3, 4, 5 (the printed matrix's 5 and 6 there are misprints).
LEVELS = [
    ["low", "low", "low", "medium", "medium"],
    ["low", "medium", "medium", "medium", "high"],
    ["low", "medium", "medium", "high", "high"],
    ["medium", "medium", "high", "high", "severe"],
    ["medium", "high", "high", "severe", "severe"],
]
CELLS = [
    pytest.param(
        likelihood,
        severity,
        likelihood * severity,
        RiskLevel(LEVELS[likelihood - 1][severity - 1]),
        id=f"L{likelihood}-S{severity}-{LEVELS[likelihood - 1][severity - 1]}",
    )
    for likelihood in range(1, 6)
    for severity in range(1, 6)
]


def make_assessment(likelihood: object = 3, severity: object = 3, **overrides: object):
    arguments: dict[str, object] = {
        "likelihood": likelihood,
        "severity": severity,
        "assessed_by": "rita",
        "assessed_at": NOW,
        "rationale": "customer-facing churn scores",
    }
    arguments.update(overrides)
    return assess("churn", **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(("likelihood", "severity", "score", "level"), CELLS)
def test_every_cell_of_the_matrix(
    likelihood: int, severity: int, score: int, level: RiskLevel
) -> None:
    assessment = make_assessment(likelihood, severity)
    assert (assessment.score, assessment.level) == (score, level)


@pytest.mark.parametrize(("likelihood", "severity", "score", "level"), CELLS)
def test_rendered_matrix_agrees_with_assessments(
    likelihood: int, severity: int, score: int, level: RiskLevel
) -> None:
    cell = render_matrix()[5 - likelihood][severity - 1]
    assert (cell.likelihood, cell.severity, cell.score, cell.level) == (
        likelihood,
        severity,
        score,
        level,
    )


@pytest.mark.parametrize(
    ("score", "level"),
    [
        pytest.param(1, RiskLevel.LOW, id="1-low"),
        pytest.param(3, RiskLevel.LOW, id="3-low-top"),
        pytest.param(4, RiskLevel.MEDIUM, id="4-medium-bottom"),
        pytest.param(9, RiskLevel.MEDIUM, id="9-medium-top"),
        pytest.param(10, RiskLevel.HIGH, id="10-high-bottom"),
        pytest.param(16, RiskLevel.HIGH, id="16-high-top"),
        pytest.param(20, RiskLevel.SEVERE, id="20-severe-bottom"),
        pytest.param(25, RiskLevel.SEVERE, id="25-severe-top"),
    ],
)
def test_level_boundaries(score: int, level: RiskLevel) -> None:
    assert RiskLevel.from_score(score) is level


@pytest.mark.parametrize(
    "score",
    [
        pytest.param(0, id="zero"),
        pytest.param(26, id="above-25"),
        pytest.param(True, id="bool"),
        pytest.param(2.0, id="float"),
    ],
)
def test_bad_score_is_refused(score: object) -> None:
    with pytest.raises(InvalidInput, match="risk score"):
        RiskLevel.from_score(score)  # type: ignore[arg-type]


def test_levels_order_by_rank_not_by_name() -> None:
    assert [level.rank for level in RiskLevel] == [0, 1, 2, 3]
    assert RiskLevel.SEVERE.at_least(RiskLevel.HIGH)
    assert not RiskLevel.LOW.at_least(RiskLevel.MEDIUM)


@pytest.mark.parametrize(
    ("likelihood", "severity", "expected"),
    [
        pytest.param("likely", "very high", (4, 5), id="labels"),
        pytest.param("very_likely", "very-low", (5, 1), id="label-spellings"),
        pytest.param("2", " 3 ", (2, 3), id="digit-strings"),
        pytest.param(Likelihood.RARE, Severity.MODERATE, (1, 3), id="enums"),
    ],
)
def test_assess_accepts_numbers_labels_and_enums(
    likelihood: object, severity: object, expected: tuple[int, int]
) -> None:
    assessment = make_assessment(likelihood, severity)
    assert (int(assessment.likelihood), int(assessment.severity)) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("likelihood", 0, id="likelihood-0"),
        pytest.param("likelihood", 6, id="likelihood-6"),
        pytest.param("likelihood", -1, id="likelihood-negative"),
        pytest.param("likelihood", 2.5, id="likelihood-float"),
        pytest.param("likelihood", True, id="likelihood-bool"),
        pytest.param("likelihood", "often", id="likelihood-unknown-label"),
        pytest.param("likelihood", None, id="likelihood-none"),
        pytest.param("severity", 0, id="severity-0"),
        pytest.param("severity", 7, id="severity-7"),
        pytest.param("severity", "catastrophic", id="severity-unknown-label"),
    ],
)
def test_out_of_range_names_field_and_value(field: str, value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_assessment(**{field: value})
    assert caught.value.message.startswith(f"{field} must be 1-5")
    assert repr(value) in caught.value.message
    assert caught.value.details["field"] == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"assessed_by": ""}, "assessed_by", id="no-assessor"),
        pytest.param({"valid_days": 0}, "valid_days", id="zero-validity"),
        pytest.param({"valid_days": True}, "valid_days", id="bool-validity"),
    ],
)
def test_other_bad_input_names_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_assessment(**overrides)
    assert caught.value.details["field"] == field


def test_assessment_without_validity_never_expires() -> None:
    assessment = make_assessment()
    assert assessment.expires_at is None
    assert not assessment.is_overdue(NOW + timedelta(days=10_000))


@pytest.mark.parametrize(
    ("at", "overdue"),
    [
        pytest.param(NOW + timedelta(days=364), False, id="day-before"),
        pytest.param(NOW + timedelta(days=365) - timedelta(seconds=1), False, id="second-before"),
        pytest.param(NOW + timedelta(days=365), True, id="at-expiry"),
        pytest.param(NOW + timedelta(days=400), True, id="long-after"),
    ],
)
def test_is_overdue_from_the_expiry_moment(at: datetime, overdue: bool) -> None:
    assessment = make_assessment(valid_days=365)
    assert assessment.expires_at == NOW + timedelta(days=365)
    assert assessment.is_overdue(at) is overdue


def test_validity_per_level_follows_the_assessed_level() -> None:
    per_level = {RiskLevel.LOW: 730, RiskLevel.HIGH: 180}
    low = make_assessment(1, 1, valid_days=per_level)
    high = make_assessment(4, 3, valid_days=per_level)
    medium = make_assessment(2, 2, valid_days=per_level)
    assert low.expires_at == NOW + timedelta(days=730)
    assert high.expires_at == NOW + timedelta(days=180)
    assert medium.expires_at is None


def test_answers_are_kept_as_a_copy() -> None:
    answers = {"exposure": "external"}
    assessment = make_assessment(answers=answers)
    answers["exposure"] = "internal"
    assert assessment.answers == {"exposure": "external"}


def test_render_matrix_marks_exactly_one_cell() -> None:
    rows = render_matrix(marked=("likely", 3))
    marked = [cell for row in rows for cell in row if cell.marked]
    assert [(cell.likelihood, cell.severity, cell.score) for cell in marked] == [(4, 3, 12)]
    assert [row[0].likelihood for row in rows] == [5, 4, 3, 2, 1]
    assert [cell.severity for cell in rows[0]] == [1, 2, 3, 4, 5]


def test_render_matrix_without_mark_marks_nothing() -> None:
    assert not any(cell.marked for row in render_matrix() for cell in row)


def test_render_matrix_refuses_a_bad_mark() -> None:
    with pytest.raises(InvalidInput, match="severity must be 1-5"):
        render_matrix(marked=(3, 9))


def test_text_matrix_brackets_the_marked_cell() -> None:
    text = render_matrix_text(marked=(3, 4))
    lines = text.splitlines()
    assert lines[0].startswith("likelihood \\ severity")
    possible = next(line for line in lines if line.startswith("possible (3)"))
    assert "[12 high]" in possible
    assert text.count("[") == 1
    rare = next(line for line in lines if line.startswith("rare (1)"))
    assert rare.split()[2:] == ["1", "low", "2", "low", "3", "low", "4", "medium", "5", "medium"]


def test_markdown_matrix_bolds_the_marked_cell() -> None:
    text = render_matrix_markdown(marked=(5, 5))
    lines = text.splitlines()
    assert lines[1] == "|---|---|---|---|---|---|"
    assert lines[2].endswith("| **[25 severe]** |")
    assert text.count("**") == 2
