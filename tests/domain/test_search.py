import pytest

from modelward.domain.search import BoolOp, Comparison, OrderBy, parse_filter, parse_order_by
from modelward.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("metrics.auc > 0.8", Comparison("metrics", "auc", ">", 0.8), id="metric"),
        pytest.param("params.C = '1.0'", Comparison("params", "C", "=", "1.0"), id="param"),
        pytest.param('tags.team != "risk"', Comparison("tags", "team", "!=", "risk"), id="tag"),
        pytest.param(
            "attributes.status = 'FINISHED'",
            Comparison("attributes", "status", "=", "FINISHED"),
            id="attribute",
        ),
        pytest.param(
            "metrics.`val loss` <= 1e-3",
            Comparison("metrics", "val loss", "<=", 0.001),
            id="quoted-key",
        ),
        pytest.param(
            "params.model IN ('rf', 'lr')",
            Comparison("params", "model", "in", ("rf", "lr")),
            id="in-list",
        ),
        pytest.param(
            "attr.name LIKE 'base%'",
            Comparison("attributes", "run_name", "like", "base%"),
            id="attribute-alias",
        ),
    ],
)
def test_parse_single_comparison(text: str, expected: Comparison) -> None:
    assert parse_filter(text) == expected


def test_and_binds_tighter_than_or() -> None:
    tree = parse_filter("metrics.a > 1 or metrics.b > 2 and params.c = 'x'")
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert isinstance(tree.parts[1], BoolOp) and tree.parts[1].op == "and"


def test_parentheses_group() -> None:
    tree = parse_filter("(metrics.a > 1 or metrics.b > 2) and params.c = 'x'")
    assert isinstance(tree, BoolOp) and tree.op == "and"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("metrics.auc >", "ends too early", id="truncated"),
        pytest.param("auc > 0.8", "Expected a field", id="no-entity"),
        pytest.param("foo.auc > 0.8", "Unknown field", id="unknown-entity"),
        pytest.param("metrics.auc > 'high'", "compares with a number", id="metric-string"),
        pytest.param("attributes.colour = 'red'", "Unknown attribute", id="unknown-attribute"),
        pytest.param("metrics.auc > 0.8 metrics.f1 > 0.1", "join conditions", id="missing-and"),
        pytest.param("metrics.auc ~ 0.8", "Cannot read", id="bad-operator"),
    ],
)
def test_bad_filters_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        parse_filter(text)


def test_blank_filter_is_none() -> None:
    assert parse_filter("  ") is None


def test_order_by() -> None:
    assert parse_order_by(["metrics.auc DESC", "attributes.start_time"]) == [
        OrderBy("metrics", "auc", True),
        OrderBy("attributes", "start_time", False),
    ]
    with pytest.raises(InvalidInput, match="ASC or DESC"):
        parse_order_by(["metrics.auc sideways"])


def test_parentheses_nest_up_to_the_limit() -> None:
    from modelward.domain.search import MAX_DEPTH

    text = "(" * MAX_DEPTH + "metrics.auc > 0.5" + ")" * MAX_DEPTH
    assert parse_filter(text) == Comparison("metrics", "auc", ">", 0.5)


@pytest.mark.parametrize("depth", [33, 300, 5000])
def test_deeper_parentheses_are_refused_naming_the_position(depth: int) -> None:
    text = "(" * depth + "metrics.auc > 0.5" + ")" * depth
    with pytest.raises(InvalidInput, match="more than 32 deep .at position 32") as raised:
        parse_filter(text)
    assert raised.value.details["position"] == 32


def test_long_flat_chains_are_not_nesting() -> None:
    tree = parse_filter(" and ".join(["metrics.auc > 0.5"] * 2000))
    assert isinstance(tree, BoolOp) and len(tree.parts) == 2000
