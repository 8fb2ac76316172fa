import math

import pytest

from modelward.domain.names import (
    check_alias,
    check_key,
    check_metric_value,
    check_name,
    check_param_value,
    check_version,
)
from modelward.domain.registry import ModelUri, parse_model_uri
from modelward.errors import InvalidInput


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("a/b", id="slash"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("tab\there", id="control-character"),
        pytest.param(" padded", id="leading-space"),
        pytest.param("..", id="dot-dot"),
        pytest.param("x" * 300, id="too-long"),
        pytest.param(3, id="not-a-string"),
    ],
)
def test_bad_names_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput, match="model"):
        check_name(bad, what="model")


def test_good_name_passes() -> None:
    assert check_name("credit-risk v2", what="model") == "credit-risk v2"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "abc", None])
def test_metric_values_must_be_finite_numbers(value: object) -> None:
    with pytest.raises(InvalidInput, match="auc"):
        check_metric_value("auc", value)


def test_numpy_scalars_are_numbers() -> None:
    import numpy as np

    assert check_metric_value("auc", np.float32(0.5)) == 0.5


def test_param_values() -> None:
    assert check_param_value("C", 1.0) == "1.0"
    with pytest.raises(InvalidInput, match="finite"):
        check_param_value("C", math.nan)


@pytest.mark.parametrize("bad", ["", "1abc", "has space", "latest", "a" * 80])
def test_bad_aliases(bad: str) -> None:
    with pytest.raises(InvalidInput):
        check_alias(bad)


def test_keys_allow_grouping_but_not_traversal() -> None:
    assert check_key("train/loss", what="metric") == "train/loss"
    with pytest.raises(InvalidInput):
        check_key("../etc", what="metric")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        pytest.param("models:/credit/3", ModelUri("credit", version=3), id="version"),
        pytest.param("models:/credit@champion", ModelUri("credit", alias="champion"), id="alias"),
        pytest.param("models:/credit/latest", ModelUri("credit"), id="latest"),
    ],
)
def test_parse_model_uri(uri: str, expected: ModelUri) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(
    "uri", ["credit/3", "models:/", "models:/credit/0", "models:/credit/x", "models:/a/b/c"]
)
def test_bad_model_uris(uri: str) -> None:
    with pytest.raises(InvalidInput):
        parse_model_uri(uri)


def test_versions_are_positive() -> None:
    assert check_version("4") == 4
    with pytest.raises(InvalidInput):
        check_version(0)


URL_AND_INVISIBLE = [
    pytest.param("what?", "'?'", id="question-mark"),
    pytest.param("a#b", "'#'", id="hash"),
    pytest.param("100%", "'%'", id="percent"),
    pytest.param("a\x00b", "control character", id="nul"),
    pytest.param("a\x1bb", "control character", id="escape"),
    pytest.param("a\x85b", "control character", id="c1-next-line"),
    pytest.param("invoice\u202egpj.exe", "control character", id="right-to-left-override"),
    pytest.param("a\u202ab", "control character", id="left-to-right-embedding"),
    pytest.param("a\u2066b", "control character", id="left-to-right-isolate"),
    pytest.param("a\u2069b", "control character", id="pop-directional-isolate"),
    pytest.param("a\u200eb", "control character", id="left-to-right-mark"),
    pytest.param("a\u200fb", "control character", id="right-to-left-mark"),
]


@pytest.mark.parametrize(
    "what", ["model", "experiment", "run", "deployment", "user", "dataset", "model artifact"]
)
@pytest.mark.parametrize(("bad", "fragment"), URL_AND_INVISIBLE)
def test_names_refuse_url_special_and_invisible_characters(
    what: str, bad: str, fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment) as raised:
        check_name(bad, what=what)
    assert f"The {what} name" in str(raised.value)


@pytest.mark.parametrize("what", ["param", "metric", "tag", "dataset role", "artifact path"])
@pytest.mark.parametrize(("bad", "fragment"), URL_AND_INVISIBLE)
def test_keys_refuse_url_special_and_invisible_characters(
    what: str, bad: str, fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=f"The {what} key"):
        check_key(bad, what=what)


@pytest.mark.parametrize("bad", ["what?", "a#b", "a%b", "a\u202eb", "a/b"])
def test_aliases_refuse_them_too(bad: str) -> None:
    with pytest.raises(InvalidInput, match="alias"):
        check_alias(bad)


@pytest.mark.parametrize(
    "good", ["credit risk", "Kreditrisiko-Ü", "信用リスク", "a+b=c & d", "x.y_z"]
)
def test_names_with_spaces_and_letters_of_any_script_pass(good: str) -> None:
    assert check_name(good, what="model") == good
