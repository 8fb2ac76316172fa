"""Validation of user-given names and values (experiments, models, aliases, keys)."""

from __future__ import annotations

import functools
import math
import re

from modelward.errors import InvalidInput

# C0, DEL and C1 control characters, and the Unicode bidi controls that make a name display
# as something else ("Trojan Source": U+200E/F, U+061C, U+202A-U+202E, U+2066-U+2069).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Characters with a meaning in URLs: a name is a path segment of the API and the web UI.
_URL_SPECIAL = re.compile(r"[?#%]")
MAX_NAME = 256
MAX_KEY = 250
MAX_VALUE = 6000
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")


def check_name(value: object, *, what: str) -> str:
    """Return `value` if it is a usable name for `what`, else raise InvalidInput.

    A name is a non-empty string of at most 256 characters without control characters
    (including Unicode bidi controls), path separators, '?', '#', '%' or leading/trailing
    spaces. Other Unicode letters and inner spaces are fine.
    """
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} name must be a string, got {type(value).__name__}.")
    if not value or not value.strip():
        raise InvalidInput(f"The {what} name is empty; give a name such as 'credit-risk'.")
    if value != value.strip():
        raise InvalidInput(f"The {what} name {value!r} has leading or trailing spaces.")
    if len(value) > MAX_NAME:
        raise InvalidInput(f"The {what} name is {len(value)} characters long; at most {MAX_NAME}.")
    if control := _CONTROL.search(value):
        raise InvalidInput(
            f"The {what} name {value!r} contains the control character {control.group()!r};"
            " use visible characters only."
        )
    if special := _URL_SPECIAL.search(value):
        raise InvalidInput(
            f"The {what} name {value!r} contains {special.group()!r}; '?', '#' and '%' are not"
            " allowed in names (they have a meaning in URLs)."
        )
    if "/" in value or "\\" in value:
        raise InvalidInput(f"The {what} name {value!r} contains a path separator ('/' or '\\').")
    if value in {".", ".."}:
        raise InvalidInput(f"The {what} name {value!r} is reserved.")
    return value


@functools.lru_cache(maxsize=8192)
def _key_problem(value: str) -> str | None:
    # Keys repeat (a loop logs "loss" thousands of times): check each distinct key once.
    if not value.strip():
        return "The {what} key must be a non-empty string, got " + repr(value) + "."
    if len(value) > MAX_KEY:
        return "The {what} key " + repr(value[:40]) + f"... is longer than {MAX_KEY} characters."
    if _CONTROL.search(value) or "\\" in value or value.startswith("/") or ".." in value:
        return (
            "The {what} key "
            + repr(value)
            + " contains control characters, a backslash, '..' or a leading '/'."
        )
    if _URL_SPECIAL.search(value):
        return (
            "The {what} key "
            + repr(value)
            + " contains '?', '#' or '%', which are not allowed in keys (they have a meaning"
            " in URLs)."
        )
    return None


def check_key(value: object, *, what: str) -> str:
    """Validate a param, metric or tag key (like a name, but '/' is allowed for grouping)."""
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} key must be a non-empty string, got {value!r}.")
    problem = _key_problem(value)
    if problem is not None:
        raise InvalidInput(problem.replace("{what}", what))
    return value


def check_alias(value: object) -> str:
    """Aliases are identifiers: a letter or '_' then letters, digits, '_' or '-'."""
    if not isinstance(value, str) or not _ALIAS.match(value):
        raise InvalidInput(
            f"The alias {value!r} is not valid: use a letter or '_' followed by letters, digits,"
            " '_' or '-' (at most 64), e.g. 'champion'."
        )
    if value.lower() == "latest":
        raise InvalidInput("The alias 'latest' is reserved: it always means the newest version.")
    return value


def check_metric_value(key: str, value: object) -> float:
    """Metric values are finite numbers (NaN is allowed and recorded as missing? no: refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            number = float(value)  # type: ignore[arg-type]  # numpy scalars and the like
        except (TypeError, ValueError):
            raise InvalidInput(
                f"Metric {key!r} must be a number, got {type(value).__name__} {value!r}."
            ) from None
    else:
        number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"Metric {key!r} is {number}; metric values must be finite numbers.")
    return number


def check_param_value(key: str, value: object) -> str:
    """Params are stored as strings; non-finite floats are refused."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"Param {key!r} is {value}; params must be finite when numeric.")
    text = str(value)
    if len(text) > MAX_VALUE:
        raise InvalidInput(f"Param {key!r} is {len(text)} characters long; at most {MAX_VALUE}.")
    return text


MAX_STORED_INT = 2**31 - 1  # the stores' INTEGER columns (PostgreSQL's is 32 bits)


def check_version(value: object) -> int:
    """A model version number is a positive integer."""
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidInput(
            f"Version {value!r} is not a number; versions are 1, 2, 3, ..."
        ) from None
    if number < 1:
        raise InvalidInput(f"Version {number} is not valid; versions start at 1.")
    if number > MAX_STORED_INT:
        raise InvalidInput(f"Version {number} is not valid; versions are at most {MAX_STORED_INT}.")
    return number
