"""Tokens of the row-condition language (`modelward.domain.expr`), with their positions.

Pure scanning: a character outside the language stops it with an error that the parser
builds (`fail`), so every refusal names the character offset the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from modelward.errors import InvalidInput

Scalar = str | int | float | bool | None
Fail = Callable[[int, str, str], InvalidInput]  # (position, token, reason) -> error

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_HINTS = {
    "@": "'@' (a reference to a local variable) is not allowed",
    ".": "attribute access is not allowed",
    "=": "use '==' to compare",
    "!": "use '!=' or 'not'",
    **dict.fromkeys("+*/%^", "arithmetic is not allowed"),
}


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind (name, qname, number, string, op, end), text, offset and value."""

    kind: str
    text: str
    pos: int
    value: Scalar = None


def tokenize(text: str, fail: Fail) -> list[Token]:
    """Split `text` into tokens ending with an ``end`` token; refuse unknown characters.

    Raises:
        InvalidInput: built by `fail(position, token, reason)` for the first character,
            number, string or backquoted name outside the grammar.
    """
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isalpha() or ch == "_":
            end = i + 1
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
            tokens.append(Token("name", text[i:end], i))
            i = end
        elif ch in "0123456789" or (ch == "." and text[i + 1 : i + 2].isdigit()):
            token = _number(text, i, fail)
            tokens.append(token)
            i += len(token.text)
        elif ch in "'\"":
            token = _string(text, i, fail)
            tokens.append(token)
            i += len(token.text)
        elif ch == "`":
            token = _quoted_name(text, i, fail)
            tokens.append(token)
            i += len(token.text)
        elif text[i : i + 2] in ("==", "!=", "<=", ">="):
            tokens.append(Token("op", text[i : i + 2], i))
            i += 2
        elif ch in "<>()[],~&|-":
            tokens.append(Token("op", ch, i))
            i += 1
        else:
            raise fail(i, ch, _HINTS.get(ch, "this character is not allowed"))
    tokens.append(Token("end", "", len(text)))
    return tokens


def _number(text: str, start: int, fail: Fail) -> Token:
    found = _NUMBER.match(text, start)
    assert found is not None  # the caller saw a digit
    written = found.group()
    after = text[found.end() : found.end() + 1]
    if after and (after.isalnum() or after in "_."):
        raise fail(start, written + after, "this is not a number")
    if any(c in written for c in ".eE"):
        value: float | int = float(written)
        if not math.isfinite(value):
            raise fail(start, written, "this number is too large")
    else:
        value = int(written)
    return Token("number", written, start, value)


def _string(text: str, start: int, fail: Fail) -> Token:
    quote, chars, i = text[start], [], start + 1
    while i < len(text) and text[i] != quote:
        if text[i] == "\\":
            escape = text[i + 1 : i + 2]
            if escape not in _ESCAPES:
                raise fail(i, text[i : i + 2], "unknown escape in a string")
            chars.append(_ESCAPES[escape])
            i += 2
        else:
            chars.append(text[i])
            i += 1
    if i >= len(text):
        raise fail(start, quote, "this string is never closed")
    return Token("string", text[start : i + 1], start, "".join(chars))


def _quoted_name(text: str, start: int, fail: Fail) -> Token:
    chars, i = [], start + 1
    while i < len(text):
        if text[i] == "`":
            if text[i + 1 : i + 2] != "`":
                break
            i += 1  # a doubled backquote stands for one
        chars.append(text[i])
        i += 1
    if i >= len(text):
        raise fail(start, "`", "this backquoted column name is never closed")
    if not chars:
        raise fail(start, "``", "a column name cannot be empty")
    return Token("qname", text[start : i + 1], start, "".join(chars))
