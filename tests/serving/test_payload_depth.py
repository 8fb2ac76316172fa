"""The JSON depth scan: exact on well-formed text, conservative on unclosed brackets, and
blind to brackets inside strings."""

from __future__ import annotations

import json

import pytest

from modelward.errors import InvalidInput
from modelward.serving.payload import check_json_depth, json_depth_exceeds, loads


def nested(depth: int) -> bytes:
    """Objects and arrays alternating, `depth` levels (built as text: json.dumps recurses)."""
    opening = "".join('{"k": ' if level % 2 == 0 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 == 0 else "]" for level in reversed(range(depth)))
    return (opening + "1" + closing).encode()


@pytest.mark.parametrize("depth", [1, 2, 10, 99, 100])
def test_depth_up_to_the_limit_passes(depth: int) -> None:
    assert not json_depth_exceeds(nested(depth), 100)
    assert loads(nested(depth)) == json.loads(nested(depth))


@pytest.mark.parametrize("depth", [101, 1000, 100_000])
def test_deeper_is_refused(depth: int) -> None:
    assert json_depth_exceeds(nested(depth), 100)
    with pytest.raises(InvalidInput, match="nested more than 100 levels"):
        loads(nested(depth))


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        pytest.param(b'["' + b"[" * 500 + b'"]', False, id="brackets-in-a-string"),
        pytest.param(b'["\\"' + b"[" * 500 + b'"]', False, id="after-an-escaped-quote"),
        pytest.param(b'["\\\\", ' + b"[" * 101 + b"]" * 102, True, id="after-an-escaped-backslash"),
        pytest.param(b'["", "", "[[["' + b",[" * 99 + b"]" * 100, False, id="empty-strings"),
        pytest.param(b"[" * 101, True, id="unclosed"),
        pytest.param(b"[]" * 10_000, False, id="wide-and-flat"),
    ],
)
def test_strings_escapes_and_malformed_text(body: bytes, too_deep: bool) -> None:
    assert json_depth_exceeds(body, 100) is too_deep


def test_check_names_the_limit() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_json_depth(nested(70), 64)
    assert raised.value.details["limit"] == 64
