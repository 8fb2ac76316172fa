"""The row-condition language: what parses to which tree, what is refused and where."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.domain.expr import (
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Column,
    Compare,
    Constant,
    IsNull,
    Membership,
    Not,
    Or,
    parse,
    referenced_columns,
)
from modelward.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        pytest.param("age < 25", Compare(Column("age"), "<", Constant(25)), id="compare-int"),
        pytest.param(
            "age < 25 and housing == 'rent'",
            And(
                (
                    Compare(Column("age"), "<", Constant(25)),
                    Compare(Column("housing"), "==", Constant("rent")),
                )
            ),
            id="and",
        ),
        pytest.param(
            "`monthly income` >= -1.5e3",
            Compare(Column("monthly income"), ">=", Constant(-1500.0)),
            id="backquoted-name-negative-exponent",
        ),
        pytest.param(
            "25 > age", Compare(Constant(25), ">", Column("age")), id="constant-on-the-left"
        ),
        pytest.param(
            "income > debt", Compare(Column("income"), ">", Column("debt")), id="two-columns"
        ),
        pytest.param(
            "18 <= age < 65",
            And(
                (
                    Compare(Constant(18), "<=", Column("age")),
                    Compare(Column("age"), "<", Constant(65)),
                )
            ),
            id="chained",
        ),
        pytest.param(
            "region in ['north', \"south\", None,]",
            Membership(Column("region"), (Constant("north"), Constant("south"), Constant(None))),
            id="in-list-trailing-comma",
        ),
        pytest.param(
            "code not in (1, 2.5)",
            Membership(Column("code"), (Constant(1), Constant(2.5)), negated=True),
            id="not-in-tuple",
        ),
        pytest.param(
            "region == ['north']",
            Membership(Column("region"), (Constant("north"),)),
            id="equals-list-is-in",
        ),
        pytest.param(
            "region != ['north']",
            Membership(Column("region"), (Constant("north"),), negated=True),
            id="not-equals-list-is-not-in",
        ),
        pytest.param("x is null", IsNull(Column("x")), id="is-null"),
        pytest.param("x is not None", IsNull(Column("x"), negated=True), id="is-not-none"),
        pytest.param("vip", Column("vip"), id="bare-boolean-column"),
        pytest.param("not vip", Not(Column("vip")), id="not"),
        pytest.param(
            "a == 1 or b == 2 and c == 3",
            Or(
                (
                    Compare(Column("a"), "==", Constant(1)),
                    And(
                        (
                            Compare(Column("b"), "==", Constant(2)),
                            Compare(Column("c"), "==", Constant(3)),
                        )
                    ),
                )
            ),
            id="and-binds-tighter-than-or",
        ),
        pytest.param(
            "(a == 1 | b == 2) & ~flag",
            And(
                (
                    Or(
                        (
                            Compare(Column("a"), "==", Constant(1)),
                            Compare(Column("b"), "==", Constant(2)),
                        )
                    ),
                    Not(Column("flag")),
                )
            ),
            id="pandas-style-operators",
        ),
        pytest.param(
            "flag == true and other != False",
            And(
                (
                    Compare(Column("flag"), "==", Constant(True)),
                    Compare(Column("other"), "!=", Constant(False)),
                )
            ),
            id="booleans",
        ),
        pytest.param(
            r"name == 'it\'s a \"q\"\n'",
            Compare(Column("name"), "==", Constant('it\'s a "q"\n')),
            id="string-escapes",
        ),
        pytest.param(
            "`odd``name` == 1", Compare(Column("odd`name"), "==", Constant(1)), id="doubled-tick"
        ),
        pytest.param("`and` == 1", Compare(Column("and"), "==", Constant(1)), id="keyword-column"),
    ],
)
def test_valid_expression_parses_to_its_tree(text: str, tree: object) -> None:
    assert parse(text) == tree


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param(
            "age<25 & housing=='rent'", "age < 25 and housing == 'rent'", id="spacing-and-amp"
        ),
        pytest.param("18 <= age < 65", "18 <= age and age < 65", id="chained"),
        pytest.param("x in (1, 'a', None)", "x in [1, 'a', None]", id="tuple-as-list"),
        pytest.param("~(a > .5)", "not (a > 0.5)", id="tilde"),
        pytest.param("`monthly income` > 1e3", "`monthly income` > 1000.0", id="backquotes"),
        pytest.param("a and (b or c) and (d and e)", "a and (b or c) and (d and e)", id="parens"),
        pytest.param("(a or b) or c", "(a or b) or c", id="nested-or-kept"),
        pytest.param('s == "it\'s"', "s == 'it\\'s'", id="quotes"),
        pytest.param("x is not null", "x is not null", id="is-not-null"),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    assert str(parse(text)) == canonical
    assert parse(canonical) == parse(text)


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        pytest.param(
            "@pd.io.common.os.system('touch /tmp/pwned')",
            0,
            "local variable",
            id="at-variable-exploit",
        ),
        pytest.param("__import__('os')", 10, "calling '__import__'", id="dunder-import-call"),
        pytest.param("age.__class__", 3, "attribute access", id="attribute"),
        pytest.param("df.query", 2, "attribute access", id="df-query"),
        pytest.param("len(name) > 3", 3, "calling 'len'", id="call"),
        pytest.param("tags[0] == 'a'", 4, "subscripts", id="subscript"),
        pytest.param("age + 1 > 25", 4, "arithmetic", id="plus"),
        pytest.param("age - 1 > 25", 4, "arithmetic", id="minus"),
        pytest.param("age * 2 > 25", 4, "arithmetic", id="times"),
        pytest.param("age = 25", 4, "use '=='", id="single-equals"),
        pytest.param("age < 25;", 8, "not allowed", id="semicolon"),
        pytest.param("age <", 5, "ends where a column name", id="truncated"),
        pytest.param("(age < 25", 9, "')' to close", id="unclosed-paren"),
        pytest.param("age < 25)", 8, "expected and, or or the end", id="extra-paren"),
        pytest.param("name == 'abc", 8, "never closed", id="unclosed-string"),
        pytest.param(r"name == 'a\q'", 10, "unknown escape", id="bad-escape"),
        pytest.param("`monthly income > 3", 0, "never closed", id="unclosed-backquote"),
        pytest.param("`` == 1", 0, "cannot be empty", id="empty-backquote"),
        pytest.param("25 < 30", 3, "column on one side", id="two-constants"),
        pytest.param("25", 0, "constant alone", id="bare-constant"),
        pytest.param("x == None", 2, "'is null'", id="equals-none"),
        pytest.param("x in other", 5, "[list]", id="in-column"),
        pytest.param("x in [other]", 6, "constants only", id="list-of-columns"),
        pytest.param("'a' in [1]", 0, "must be a column", id="in-constant"),
        pytest.param("x is 3", 5, "null or not null", id="is-value"),
        pytest.param("3 == [3]", 0, "must be a column", id="constant-equals-list"),
        pytest.param("x < [3]", 4, "a column name or a constant", id="order-against-list"),
        pytest.param("x > 1e999", 4, "too large", id="infinite"),
        pytest.param("x > 0x1f", 4, "not a number", id="hex"),
        pytest.param("a and or b", 6, "a column name or a constant", id="or-after-and"),
        pytest.param("lambda: 1", 6, "not allowed", id="lambda"),
        pytest.param("x > 1 if y else 2", 6, "expected and, or", id="conditional"),
    ],
)
def test_invalid_expression_names_the_position(text: str, position: int, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(text, label="Slice 'x' expression")
    message = str(caught.value)
    assert caught.value.details["position"] == position
    assert f"at character {position}" in message and reason in message
    assert message.startswith("Slice 'x' expression") and "and / or / not" in message


def test_the_message_shows_the_offending_token() -> None:
    with pytest.raises(InvalidInput, match=r"at character 0 \('@'\)"):
        parse("@pd.io.common.os.system('touch /tmp/pwned')")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("(" * 1_000 + "a" + ")" * 1_000, id="1000-parens"),
        pytest.param("(" * 999 + "a" + ")" * 999, id="999-parens-under-the-length-limit"),
        pytest.param("not " * 499 + "a", id="499-nots"),
        pytest.param("~" * 1_999 + "a", id="1999-tildes"),
    ],
)
def test_deep_nesting_is_invalid_input_not_recursion_error(text: str) -> None:
    with pytest.raises(InvalidInput, match="nests deeper than|characters long"):
        parse(text)


def test_nesting_up_to_the_limit_parses() -> None:
    assert parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == Column("a")
    with pytest.raises(InvalidInput, match=f"nests deeper than {MAX_DEPTH}") as caught:
        parse("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    assert caught.value.details["position"] == MAX_DEPTH


def test_length_limit() -> None:
    at_limit = "a == '" + "x" * (MAX_LENGTH - 7) + "'"
    assert len(parse(at_limit).right.value) == MAX_LENGTH - 7  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="2,001 characters long; the limit is 2,000"):
        parse(at_limit + " ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param("   ", "is empty", id="blank"),
        pytest.param(None, "must be a string", id="not-a-string"),
    ],
)
def test_empty_or_missing_text(text: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse(text)  # type: ignore[arg-type]


def test_referenced_columns() -> None:
    tree = parse("(`monthly income` > debt or region in ['n']) and not vip and x is null")
    assert referenced_columns(tree) == {"monthly income", "debt", "region", "vip", "x"}


def test_constants_of_different_types_are_different() -> None:
    assert Constant(1) != Constant(1.0) != Constant(True)
    assert parse("x == 1") != parse("x == 1.0") != parse("x == True")
    assert len({Constant(1), Constant(1.0), Constant(True)}) == 3


# -- round trip: the canonical text parses back to the same tree ---------------------------

names = st.text(min_size=1, max_size=12)
constants = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=12),
).map(Constant)
columns = names.map(Column)
comparisons = st.one_of(
    st.builds(Compare, columns, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), constants),
    st.builds(Compare, constants, st.sampled_from(["==", "<"]), columns),
    st.builds(Compare, columns, st.sampled_from(["!=", ">="]), columns),
)
memberships = st.builds(
    Membership,
    columns,
    st.lists(st.one_of(constants, st.just(Constant(None))), max_size=4).map(tuple),
    st.booleans(),
)
leaves = st.one_of(columns, comparisons, memberships, st.builds(IsNull, columns, st.booleans()))
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        st.lists(inner, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_canonical_text_parses_back_to_the_same_tree(tree) -> None:  # type: ignore[no-untyped-def]
    text = str(tree)
    assert parse(text) == tree
    assert str(parse(text)) == text
