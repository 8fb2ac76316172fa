"""The row-condition language of slices: parse `age < 25 and housing == 'rent'` into a tree.

Pure parsing and printing, so a condition a client sends is data, never code: nothing here
(or in its evaluator, `validation/expr_eval.py`) hands text to `eval` or pandas. Grammar::

    expr      := and_expr (("or" | "|") and_expr)*
    and_expr  := not_expr (("and" | "&") not_expr)*
    not_expr  := ("not" | "~") not_expr | "(" expr ")" | condition
    condition := operand (CMP operand)+               chained: 1 < a < 3 is 1 < a and a < 3
               | column ["not"] "in" list            list: [c, c, ...] or (c, c, ...)
               | column ("==" | "!=") "[" ... "]"     pandas' spelling of in / not in
               | column "is" ["not"] ("null" | "None")
               | column                              a True/False column
    operand   := column | constant
    column    := name | `any text` (a backquote inside is written twice)
    constant  := number | 'string' | "string" | True | False | None | null
    CMP       := == | != | < | <= | > | >=

Everything else (attribute access, calls, subscripts, arithmetic, ``@`` variables) is
refused with the character offset of the first offending token.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelward.domain.expr_tokens import Scalar as Scalar
from modelward.domain.expr_tokens import Token, tokenize
from modelward.errors import InvalidInput

MAX_LENGTH = 2_000
MAX_DEPTH = 50
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
ALLOWED = (
    "an expression may use column names (in `backquotes` if they have spaces or punctuation), "
    "numbers, 'strings', True/False/None, == != < <= > >=, in / not in [a list], "
    "is null / is not null, and / or / not, and parentheses"
)
_CONSTANT_WORDS: dict[str, bool | None] = {
    "True": True,
    "true": True,
    "False": False,
    "false": False,
    "None": None,
    "null": None,
}
KEYWORDS = frozenset({"and", "or", "not", "in", "is", *_CONSTANT_WORDS})


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the data, by name."""

    name: str

    def __str__(self) -> str:
        return _column_text(self.name)


@dataclass(frozen=True, slots=True, eq=False)
class Constant:
    """A literal; equal to another only with the same type (``1``, ``1.0`` and ``True`` differ)."""

    value: Scalar

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Constant):
            return NotImplemented
        return type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        return hash((type(self.value).__name__, self.value))

    def __str__(self) -> str:
        return _constant_text(self.value)


@dataclass(frozen=True, slots=True)
class Compare:
    """``left op right``; at least one side is a column, and neither is None."""

    left: Column | Constant
    op: str
    right: Column | Constant

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True, slots=True)
class Membership:
    """``column in [values]`` (``not in`` when `negated`); None in `values` matches missing."""

    column: Column
    values: tuple[Constant, ...]
    negated: bool = False

    def __str__(self) -> str:
        keyword = "not in" if self.negated else "in"
        return f"{self.column} {keyword} [{', '.join(map(str, self.values))}]"


@dataclass(frozen=True, slots=True)
class IsNull:
    """``column is null`` (``is not null`` when `negated`)."""

    column: Column
    negated: bool = False

    def __str__(self) -> str:
        return f"{self.column} is {'not ' if self.negated else ''}null"


@dataclass(frozen=True, slots=True)
class Not:
    """The negation of a condition."""

    operand: Expr

    def __str__(self) -> str:
        if isinstance(self.operand, Column):
            return f"not {self.operand}"
        return f"not ({self.operand})"


@dataclass(frozen=True, slots=True)
class And:
    """Every operand holds (two or more)."""

    operands: tuple[Expr, ...]

    def __str__(self) -> str:
        return " and ".join(f"({o})" if isinstance(o, And | Or) else str(o) for o in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    """At least one operand holds (two or more)."""

    operands: tuple[Expr, ...]

    def __str__(self) -> str:
        return " or ".join(f"({o})" if isinstance(o, Or) else str(o) for o in self.operands)


Expr = Column | Compare | Membership | IsNull | Not | And | Or


def parse(text: str, *, label: str = "Expression") -> Expr:
    """Parse a row condition into its tree; `str()` of the tree is its canonical text.

    Args:
        text: The condition, e.g. ``"age < 25 and housing in ['rent', 'free']"``.
        label: What the text is, for messages, e.g. ``"Slice 'young_renters' expression"``.

    Raises:
        InvalidInput: the text is empty, longer than `MAX_LENGTH`, nests deeper than
            `MAX_DEPTH`, or uses anything outside the grammar; the message gives the
            character offset and the offending token.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"{label} must be a string, got {text!r}.")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            f"{label} is {len(text):,} characters long; the limit is {MAX_LENGTH:,}.",
            position=MAX_LENGTH,
        )
    if not text.strip():
        raise InvalidInput(f"{label} is empty; write a condition such as age < 25.")
    return _Parser(text, label).parse()


def referenced_columns(expr: Expr) -> frozenset[str]:
    """The names of every column `expr` reads."""
    if isinstance(expr, Column):
        return frozenset({expr.name})
    if isinstance(expr, Compare):
        return frozenset(s.name for s in (expr.left, expr.right) if isinstance(s, Column))
    if isinstance(expr, Membership | IsNull):
        return frozenset({expr.column.name})
    if isinstance(expr, Not):
        return referenced_columns(expr.operand)
    return frozenset().union(*(referenced_columns(o) for o in expr.operands))


def _column_text(name: str) -> str:
    if _is_bare(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def _is_bare(name: str) -> bool:
    # mirrors the tokenizer's identifier rule, so the canonical text always re-parses
    return (
        bool(name)
        and (name[0].isalpha() or name[0] == "_")
        and all(ch.isalnum() or ch == "_" for ch in name)
        and name not in KEYWORDS
    )


def _constant_text(value: Scalar) -> str:
    if value is None or isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )
    return f"'{escaped}'"


class _Parser:
    def __init__(self, text: str, label: str) -> None:
        self.text = text
        self.label = label
        self.depth = 0
        self.tokens = tokenize(text, self.fail)
        self.at = 0

    # -- errors ---------------------------------------------------------------------------
    def fail(self, pos: int, token: str, reason: str) -> InvalidInput:
        shown = self.text if len(self.text) <= 80 else _excerpt(self.text, pos)
        where = f"at character {pos}" + (f" ({token!r})" if token else " (the end)")
        return InvalidInput(
            f"{self.label} {shown!r} is invalid {where}: {reason}; {ALLOWED}.",
            position=pos,
            token=token,
        )

    # -- grammar --------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.at += 1
        return token

    def is_word(self, token: Token, *words: str) -> bool:
        return token.kind == "name" and token.text in words

    def is_op(self, token: Token, *ops: str) -> bool:
        return token.kind == "op" and token.text in ops

    def parse(self) -> Expr:
        expr = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise self.fail(token.pos, token.text, self.unexpected(token, "and, or or the end"))
        return expr

    def or_expr(self) -> Expr:
        operands = [self.and_expr()]
        while self.is_word(self.peek(), "or") or self.is_op(self.peek(), "|"):
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Expr:
        operands = [self.not_expr()]
        while self.is_word(self.peek(), "and") or self.is_op(self.peek(), "&"):
            self.take()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Expr:
        token = self.peek()
        negation = self.is_op(token, "~") or (
            self.is_word(token, "not") and not self.is_word(self.peek(1), "in")
        )
        if not negation and not self.is_op(token, "("):
            return self.condition()
        self.take()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(token.pos, token.text, f"it nests deeper than {MAX_DEPTH} levels")
        if negation:
            inner: Expr = Not(self.not_expr())
        else:
            inner = self.or_expr()
            closing = self.take()
            if not self.is_op(closing, ")"):
                raise self.fail(
                    closing.pos, closing.text, self.unexpected(closing, "')' to close the '('")
                )
        self.depth -= 1
        return inner

    def condition(self) -> Expr:
        first = self.peek()
        left = self.operand()
        token = self.peek()
        if self.is_op(token, "==", "!=") and self.is_op(self.peek(1), "["):
            # pandas reads `region == ['a', 'b']` as membership; so do we
            column = self.column_only(left, first, f"the left of '{token.text} [...]'")
            self.take()
            return Membership(column, self.constant_list(), token.text == "!=")
        if self.is_op(token, *COMPARISONS):
            return self.comparisons(left, first)
        if self.is_word(token, "in") or (
            self.is_word(token, "not") and self.is_word(self.peek(1), "in")
        ):
            column = self.column_only(left, first, "the left of 'in'")
            negated = self.take().text == "not"
            if negated:
                self.take()
            return Membership(column, self.constant_list(), negated)
        if self.is_word(token, "is"):
            column = self.column_only(left, first, "the left of 'is'")
            self.take()
            negated = self.is_word(self.peek(), "not")
            if negated:
                self.take()
            null = self.take()
            if not self.is_word(null, "null", "None"):
                raise self.fail(null.pos, null.text, "'is' must be followed by null or not null")
            return IsNull(column, negated)
        if isinstance(left, Constant):
            raise self.fail(first.pos, first.text, "a constant alone is not a condition")
        return left

    def comparisons(self, left: Column | Constant, first: Token) -> Expr:
        found: list[Expr] = []
        while self.is_op(self.peek(), *COMPARISONS):
            op = self.take()
            right = self.operand()
            if isinstance(left, Constant) and isinstance(right, Constant):
                raise self.fail(op.pos, op.text, "a comparison needs a column on one side")
            if Constant(None) in (left, right):
                raise self.fail(op.pos, op.text, "compare with null using 'is null'")
            found.append(Compare(left, op.text, right))
            left = right
        return found[0] if len(found) == 1 else And(tuple(found))

    def operand(self) -> Column | Constant:
        token = self.take()
        if token.kind == "name" and token.text in _CONSTANT_WORDS:
            return Constant(_CONSTANT_WORDS[token.text])
        if token.kind == "name" and token.text not in KEYWORDS:
            after = self.peek()
            if self.is_op(after, "("):
                raise self.fail(after.pos, "(", f"calling {token.text!r} is not allowed")
            if self.is_op(after, "["):
                raise self.fail(after.pos, "[", "subscripts are not allowed")
            return Column(token.text)
        if token.kind == "qname":
            return Column(str(token.value))
        if token.kind in ("number", "string"):
            return Constant(token.value)
        if self.is_op(token, "-") and self.peek().kind == "number":
            number = self.take().value
            assert isinstance(number, int | float)
            return Constant(-number)
        if self.is_op(token, "-"):
            raise self.fail(token.pos, "-", "arithmetic is not allowed")
        raise self.fail(
            token.pos, token.text, self.unexpected(token, "a column name or a constant")
        )

    def column_only(self, operand: Column | Constant, token: Token, where: str) -> Column:
        if not isinstance(operand, Column):
            raise self.fail(token.pos, token.text, f"{where} must be a column")
        return operand

    def constant_list(self) -> tuple[Constant, ...]:
        opening = self.take()
        if not self.is_op(opening, "[", "("):
            raise self.fail(opening.pos, opening.text, "'in' must be followed by a [list]")
        closing = "]" if opening.text == "[" else ")"
        values: list[Constant] = []
        while not self.is_op(self.peek(), closing):
            first = self.peek()
            value = self.operand()
            if not isinstance(value, Constant):
                raise self.fail(first.pos, first.text, "a list holds constants only")
            values.append(value)
            if self.is_op(self.peek(), ","):
                self.take()
            elif not self.is_op(self.peek(), closing):
                after = self.peek()
                raise self.fail(after.pos, after.text, self.unexpected(after, f"',' or {closing}"))
        self.take()
        return tuple(values)

    def unexpected(self, token: Token, expected: str) -> str:
        if token.kind == "end":
            return f"the expression ends where {expected} was expected"
        if self.is_op(token, "-"):
            return "arithmetic is not allowed"
        return f"expected {expected}"


def _excerpt(text: str, pos: int) -> str:
    start, end = max(0, pos - 30), min(len(text), pos + 30)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
