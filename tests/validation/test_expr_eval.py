"""Row conditions evaluated on DataFrames agree with pandas' own `DataFrame.eval` (used here,
in the test only, as the reference on trusted expressions), with explicit missing-value rules
and clear errors instead of crashes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.domain.expr import And, Column, Compare, Constant, Membership, Not, Or, parse
from modelward.errors import InvalidInput
from modelward.validation.expr_eval import evaluate_mask

ROWS = 300
REGIONS = ["north", "south", "east", "west"]


def make_frame(rows: int = ROWS, *, seed: int = 0) -> pd.DataFrame:
    """Numbers with and without gaps, text with and without gaps, a flag, a spaced name."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000, 12_000, rows).round(-3)  # repeats, for ==
    income[rng.random(rows) < 0.1] = np.nan
    segment = rng.choice(np.array(["retail", "sme", None], dtype=object), rows)
    return pd.DataFrame(
        {
            "income": income,
            "debt": rng.normal(10_000, 4_000, rows).round(-2),
            "age": rng.integers(18, 80, rows),
            "region": rng.choice(REGIONS, rows),
            "segment": segment,
            "vip": rng.random(rows) < 0.2,
            "monthly income": rng.integers(1_000, 9_000, rows).astype(float),
        }
    )


FRAME = make_frame()


def reference(frame: pd.DataFrame, text: str) -> np.ndarray:
    """pandas' answer for a trusted expression (the test's oracle, never used in src)."""
    return frame.eval(text).to_numpy(dtype=bool)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("age < 25 and region == 'west'", id="and"),
        pytest.param("age < 25 & region == 'west' | vip", id="pandas-operators"),
        pytest.param("income > 50000", id="numbers-with-gaps"),
        pytest.param("income != 50000", id="not-equal-with-gaps"),
        pytest.param("not (income > 50000)", id="not-with-gaps"),
        pytest.param("30 <= age < 50", id="chained"),
        pytest.param("income > debt", id="two-columns"),
        pytest.param("region in ['north', 'east']", id="in"),
        pytest.param("region not in ('north',)", id="not-in"),
        pytest.param("age in [18, 19, 20.0]", id="in-numbers"),
        pytest.param("region == ['north', 'east']", id="equals-list"),
        pytest.param("income != [50000, 60000]", id="not-equals-list-with-gaps"),
        pytest.param("segment == 'sme'", id="text-with-gaps"),
        pytest.param("segment != 'sme'", id="text-not-equal-with-gaps"),
        pytest.param("segment not in ['retail']", id="text-not-in-with-gaps"),
        pytest.param("region < 'p'", id="text-order"),
        pytest.param("vip", id="flag"),
        pytest.param("not vip and age >= 60", id="not-flag"),
        pytest.param("vip == True or age > 70", id="flag-equals"),
        pytest.param("`monthly income` >= 5000.5", id="backquoted"),
        pytest.param("(age < 30 or age > 60) and not (region == 'north' or vip)", id="nested"),
        pytest.param("~(age > 40) & (income < 40000)", id="tilde"),
        pytest.param("age > -1e3 and income <= 1e5", id="exponents"),
    ],
)
def test_mask_equals_pandas_on_trusted_expressions(text: str) -> None:
    mask = evaluate_mask(parse(text), FRAME)
    expected = reference(FRAME, text)
    assert mask.dtype == bool and mask.shape == (ROWS,)
    assert mask.tolist() == expected.tolist()
    assert 0 < mask.sum() < ROWS, "the generated data makes the condition matter"


# -- random conditions over the generated frame, compared with pandas --------------------

numbers = st.one_of(
    st.integers(-100, 100_000), st.floats(-1e5, 1e5, allow_nan=False).map(lambda x: round(x, 2))
).map(Constant)
texts = st.sampled_from([*REGIONS, "retail", "sme", "zzz", ""]).map(Constant)
comparison_ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
numeric_columns = st.sampled_from(["income", "debt", "age", "monthly income"]).map(Column)
leaves = st.one_of(
    st.builds(Compare, numeric_columns, comparison_ops, numbers),
    st.builds(Compare, numbers, comparison_ops, numeric_columns),
    st.builds(Compare, numeric_columns, comparison_ops, numeric_columns),
    st.builds(Compare, st.just(Column("region")), comparison_ops, texts),
    st.builds(Compare, st.just(Column("segment")), st.sampled_from(["==", "!="]), texts),
    st.builds(
        Membership,
        numeric_columns,
        st.lists(numbers, min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
    st.builds(
        Membership,
        st.sampled_from([Column("region"), Column("segment")]),
        st.lists(texts, min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
    st.just(Column("vip")),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        st.lists(inner, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(conditions)
def test_random_conditions_agree_with_pandas(tree) -> None:  # type: ignore[no-untyped-def]
    text = str(tree)
    assert evaluate_mask(parse(text), FRAME).tolist() == reference(FRAME, text).tolist()


# -- missing values --------------------------------------------------------------------------

GAPS = pd.DataFrame(
    {
        "x": [1.0, np.nan, 3.0],
        "s": ["a", None, "c"],
        "n": pd.array([1, None, 3], dtype="Int64"),
        "t": pd.array(["a", None, "c"], dtype="string"),
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("x == 1", [True, False, False], id="equal-is-false-on-missing"),
        pytest.param("x != 1", [False, True, True], id="not-equal-is-true-on-missing"),
        pytest.param("x < 5", [True, False, True], id="order-is-false-on-missing"),
        pytest.param("s < 'b'", [True, False, False], id="text-order-is-false-on-missing"),
        pytest.param("n >= 1", [True, False, True], id="nullable-int"),
        pytest.param("n != 3", [True, True, False], id="nullable-int-not-equal"),
        pytest.param("t == 'c'", [False, False, True], id="string-dtype"),
        pytest.param("t > 'a'", [False, False, True], id="string-dtype-order"),
        pytest.param("x in [1, None]", [True, True, False], id="none-in-list-matches-missing"),
        pytest.param("s in ['a', None]", [True, True, False], id="none-in-text-list"),
        pytest.param("x not in [1]", [False, True, True], id="not-in-is-true-on-missing"),
        pytest.param("x is null", [False, True, False], id="is-null"),
        pytest.param("s is not null and t is not null", [True, False, True], id="is-not-null"),
        pytest.param("x > n", [False, False, False], id="two-columns-with-gaps"),
    ],
)
def test_missing_values(text: str, expected: list[bool]) -> None:
    assert evaluate_mask(parse(text), GAPS).tolist() == expected


# -- other column types ------------------------------------------------------------------


def test_dates_compare_with_quoted_dates() -> None:
    frame = pd.DataFrame({"when": pd.to_datetime(["2024-01-05", None, "2024-03-01"])})
    assert evaluate_mask(parse("when >= '2024-02-01'"), frame).tolist() == [False, False, True]
    assert evaluate_mask(parse("when in ['2024-01-05']"), frame).tolist() == [True, False, False]
    for bad in ("when > 'someday'", "when == ''", "when in [20240105]", "when > 3"):
        with pytest.raises(InvalidInput, match="is not a date|with 3 \\(numbers\\)"):
            evaluate_mask(parse(bad), frame)


def test_timezone_mismatch_is_invalid_input() -> None:
    frame = pd.DataFrame({"when": pd.to_datetime(["2024-01-05"]).tz_localize("UTC")})
    assert evaluate_mask(parse("when > '2024-01-01T00:00Z'"), frame).tolist() == [True]
    with pytest.raises(InvalidInput, match="cannot be compared"):
        evaluate_mask(parse("when > '2024-01-01'"), frame)


def test_categorical_columns_compare_by_value() -> None:
    frame = pd.DataFrame({"grade": pd.Categorical(["a", "b", None, "c"])})
    assert evaluate_mask(parse("grade == 'b'"), frame).tolist() == [False, True, False, False]
    assert evaluate_mask(parse("grade in ['a', 'c']"), frame).tolist() == [True, False, False, True]


def test_large_integers_are_compared_exactly() -> None:
    frame = pd.DataFrame({"id": np.array([2**53, 2**53 + 1], dtype=np.int64)})
    # as floats both would equal 2**53: the comparison must stay on integers
    assert evaluate_mask(parse(f"id == {2**53 + 1}"), frame).tolist() == [False, True]
    assert evaluate_mask(parse(f"id < {2**70}"), frame).tolist() == [True, True]


def test_non_string_column_labels_are_reachable_by_backquotes() -> None:
    frame = pd.DataFrame({0: [1, 5], "b": [2, 2]})
    assert evaluate_mask(parse("`0` > b"), frame).tolist() == [False, True]


def test_empty_frame_gives_an_empty_mask() -> None:
    assert evaluate_mask(parse("age > 3 and region == 'n'"), FRAME.head(0)).tolist() == []


# -- errors, never crashes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "planet == 'mars'",
            "refers to column 'planet', which the data does not have; its columns are 'income'",
            id="unknown-column-lists-available",
        ),
        pytest.param("region > 3", "column 'region' (text) with 3 (numbers)", id="text-vs-number"),
        pytest.param(
            "age == '30'", "column 'age' (numbers) with '30' (text)", id="number-vs-quoted"
        ),
        pytest.param("age > region", "column 'age' (numbers) with column 'region'", id="columns"),
        pytest.param("region in ['north', 1]", "the list holds 1", id="list-mismatch"),
        pytest.param("age in ['x']", "the list holds 'x'", id="number-list-mismatch"),
        pytest.param("age", "column 'age' is not True/False", id="bare-number-column"),
        pytest.param("not region", "column 'region' is not True/False", id="not-text-column"),
    ],
)
def test_bad_comparison_is_invalid_input(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        evaluate_mask(parse(text), FRAME, label="Slice 'x' expression")
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"Slice 'x' expression {str(parse(text))!r}")


def test_mixed_columns_allow_equality_but_not_order() -> None:
    frame = pd.DataFrame({"m": [1, "a", None, 2.5]})
    assert evaluate_mask(parse("m == 'a'"), frame).tolist() == [False, True, False, False]
    assert evaluate_mask(parse("m != 1"), frame).tolist() == [False, True, True, True]
    with pytest.raises(InvalidInput, match="mixed values"):
        evaluate_mask(parse("m < 2"), frame)


def test_cells_holding_lists_are_invalid_input_not_a_crash() -> None:
    frame = pd.DataFrame({"tags": [["a"], np.array(["b", "c"]), None]})
    with pytest.raises(InvalidInput, match="column 'tags' and 'a' cannot be compared with =="):
        evaluate_mask(parse("tags == 'a'"), frame)
    assert evaluate_mask(parse("tags in ['a']"), frame).tolist() == [False, False, False]
    assert evaluate_mask(parse("tags is null"), frame).tolist() == [False, False, True]


def test_duplicate_column_names_are_invalid_input() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InvalidInput, match="more than one column named 'a'"):
        evaluate_mask(parse("a > 0"), frame)
