"""The run search language: parse `metrics.auc > 0.8 and params.C = '1.0'` into a tree.

Pure parsing; the store turns the tree into SQL. Grammar::

    expr    := term ("or" term)*
    term    := factor ("and" factor)*
    factor  := "(" expr ")" | compare
    compare := ident OP literal | ident ("in" | "not in") "(" literal ("," literal)* ")"
    ident   := ("metrics" | "params" | "tags" | "attributes") "." key   (key may be `quoted`)
    OP      := = | != | > | >= | < | <= | like | ilike

Attributes: status, run_name, user, start_time, end_time, experiment, run_id, parent_run_id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelward.errors import InvalidInput

ENTITIES = {
    "metrics",
    "metric",
    "params",
    "param",
    "tags",
    "tag",
    "attributes",
    "attribute",
    "attr",
}
ATTRIBUTES = {
    "status",
    "run_name",
    "name",
    "user",
    "start_time",
    "end_time",
    "experiment",
    "run_id",
    "id",
    "parent_run_id",
}
_CANON = {
    "metric": "metrics",
    "param": "params",
    "tag": "tags",
    "attribute": "attributes",
    "attr": "attributes",
}
_ATTR_CANON = {"name": "run_name", "id": "run_id"}
OPS = {"=", "!=", ">", ">=", "<", "<=", "like", "ilike", "in", "not in"}
MAX_DEPTH = 32  # nested parentheses; the parser and the SQL built from the tree recurse

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
      | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*\.(?:`[^`]+`|[A-Za-z0-9_\-/:.]+))
      | (?P<op>!=|>=|<=|==|=|>|<|\(|\)|,)
      | (?P<word>[A-Za-z_]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Comparison:
    entity: str  # metrics | params | tags | attributes
    key: str
    op: str
    value: float | str | tuple[float | str, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    parts: tuple[Comparison | BoolOp, ...]


Filter = Comparison | BoolOp


@dataclass(frozen=True)
class OrderBy:
    entity: str
    key: str
    descending: bool


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise InvalidInput(
                f"Cannot read the filter at position {pos}: {text[pos : pos + 20]!r}. "
                "Example: \"metrics.auc > 0.8 and params.C = '1.0'\"."
            )
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _split_ident(raw: str) -> tuple[str, str]:
    entity, _, key = raw.partition(".")
    entity = entity.lower()
    if entity not in ENTITIES:
        raise InvalidInput(
            f"Unknown field {raw!r}: start with metrics., params., tags. or attributes."
        )
    entity = _CANON.get(entity, entity)
    if key.startswith("`") and key.endswith("`"):
        key = key[1:-1]
    if entity == "attributes":
        key = _ATTR_CANON.get(key.lower(), key.lower())
        if key not in ATTRIBUTES:
            raise InvalidInput(
                f"Unknown attribute {key!r}; known: {', '.join(sorted(ATTRIBUTES))}."
            )
    return entity, key


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def _position(self) -> int:
        # The character offset of the token just taken (tokens keep no offsets: recount).
        pos, text = 0, self.text.rstrip()
        for _ in range(self.i):
            match = _TOKEN.match(text, pos)
            assert match is not None
            pos = match.end()
        return pos - 1

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise InvalidInput(f"The filter {self.text!r} ends too early.")
        self.i += 1
        return tok

    def word(self, *words: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].lower() in words:
            self.i += 1
            return True
        return False

    def parse(self) -> Filter:
        tree = self.expr()
        if self.peek() is not None:
            raise InvalidInput(
                f"Unexpected {self.peek()[1]!r} in filter {self.text!r}; join conditions"  # type: ignore[index]
                " with 'and' or 'or'."
            )
        return tree

    def expr(self) -> Filter:
        parts = [self.term()]
        while self.word("or"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def term(self) -> Filter:
        parts = [self.factor()]
        while self.word("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def factor(self) -> Filter:
        tok = self.peek()
        if tok == ("op", "("):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise InvalidInput(
                    f"The filter nests parentheses more than {MAX_DEPTH} deep (at position"
                    f" {self._position()}); write it with fewer parentheses.",
                    position=self._position(),
                )
            inner = self.expr()
            self.depth -= 1
            if self.take() != ("op", ")"):
                raise InvalidInput(f"Missing ')' in filter {self.text!r}.")
            return inner
        return self.compare()

    def literal(self, *, as_text: bool = False) -> float | str:
        kind, raw = self.take()
        if kind == "num":
            # params and tags are text: params.C = 1.0 means the text "1.0", exactly as written
            return raw if as_text else float(raw)
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", raw[1:-1])
        raise InvalidInput(f"Expected a number or a quoted string, got {raw!r}.")

    def compare(self) -> Comparison:
        kind, raw = self.take()
        if kind != "ident":
            raise InvalidInput(
                f"Expected a field such as metrics.auc, got {raw!r} in filter {self.text!r}."
            )
        entity, key = _split_ident(raw)
        kind, op = self.take()
        op = op.lower()
        if op == "==":
            op = "="
        if kind == "word" and op == "not" and self.word("in"):
            op = "not in"
        if op not in OPS:
            raise InvalidInput(f"Unknown operator {op!r}; use one of {', '.join(sorted(OPS))}.")
        text = entity in {"params", "tags"}
        if op in {"in", "not in"}:
            if self.take() != ("op", "("):
                raise InvalidInput(f"'{op}' needs a list in parentheses, e.g. ('a', 'b').")
            values = [self.literal(as_text=text)]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.literal(as_text=text))
            if self.take() != ("op", ")"):
                raise InvalidInput(f"Missing ')' after the '{op}' list.")
            return Comparison(entity, key, op, tuple(values))
        value = self.literal(as_text=text)
        if entity == "metrics" and not isinstance(value, float):
            raise InvalidInput(f"metrics.{key} compares with a number, got {value!r}.")
        if entity == "metrics" and op in {"like", "ilike"}:
            raise InvalidInput(f"metrics.{key} cannot use {op!r}; use =, !=, <, <=, > or >=.")
        return Comparison(entity, key, op, value)


def parse_filter(text: str | None) -> Filter | None:
    """Parse a filter expression; None or blank means no filter."""
    if text is None or not text.strip():
        return None
    return _Parser(text).parse()


def parse_order_by(items: list[str] | None) -> list[OrderBy]:
    """Parse `["metrics.auc DESC", "attributes.start_time"]` into OrderBy items."""
    out: list[OrderBy] = []
    for item in items or []:
        words = item.strip().split()
        if not words or len(words) > 2:
            raise InvalidInput(f"Cannot order by {item!r}; use e.g. 'metrics.auc DESC'.")
        entity, key = _split_ident(words[0])
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if direction not in {"ASC", "DESC"}:
            raise InvalidInput(f"Order direction must be ASC or DESC, got {words[1]!r}.")
        out.append(OrderBy(entity, key, direction == "DESC"))
    return out
