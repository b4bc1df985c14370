"""Parsers: runtime expressions, string templates, compiled values and simple conditions.

Why it is built this way:

* **Parse once, evaluate many.** A document is compiled once, but its parameter values,
  payloads, outputs and criteria are evaluated for every step, retry and run. So
  `parse_expression`, `parse_template` and `parse_condition` are cached on their text (the
  same text gives the same object; the caches are bounded), every tree is made of frozen
  nodes (`ast`) that can be shared between runs and threads, and `compile_value` turns any
  JSON value into such a tree once, which the evaluator walks without parsing again.
* **No** ``eval``. A document is untrusted input. Python's ``eval`` (or its ``ast`` module)
  would accept far more than Arazzo's small languages and run it; here the text becomes
  nodes of a closed set of classes, and `evaluate` interprets only those, reading data
  through an `ExpressionContext` and nothing else.
* **One file per stage.** `lexer` turns characters into runtime expressions and condition
  tokens (the runtime-expression grammar is regular, so it is scanned in one pass and needs
  no parser); this module turns them into `ast` nodes; `evaluate` walks the nodes;
  `pointer` is RFC 6901. Templates are text with ``{$...}`` holes; only conditions have
  operators, so only they need a real parser.
* **Pratt parsing with one precedence table.** Conditions are parsed top-down by operator
  precedence (Pratt): each operator's binding power is a row of `BINDING_POWER`, which is
  the whole precedence story, instead of one grammar method per precedence level. A new
  operator is one row (with its token in the lexer and its node in `ast`).
* **Errors carry positions.** Every `ExpressionError` holds the 0-based offset of the
  problem in the text, so a message can point at the character (and the loader adds the
  file, line and JSON Pointer where the text sits).
* **Bounds against hostile input.** A condition longer than `MAX_CONDITION_LENGTH`, nesting
  deeper than `MAX_NESTING` (checked on the tokens before parsing, so neither this parser nor
  the evaluator can run out of recursion) and over-long integer literals (in the lexer) are
  refused as located errors, never as a crash.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, NoReturn

from arazzo_engine.errors import ExpressionError
from arazzo_engine.expressions.ast import (
    And,
    Comparison,
    Condition,
    CondNode,
    Expression,
    ExpressionOperand,
    ListValue,
    Literal,
    LiteralOperand,
    MapValue,
    Not,
    Or,
    RuntimeExpression,
    Template,
    Value,
)
from arazzo_engine.expressions.lexer import Token, scan_expression, tokenize_condition

__all__ = [
    "BINDING_POWER",
    "MAX_CONDITION_LENGTH",
    "MAX_NESTING",
    "compile_value",
    "parse_condition",
    "parse_expression",
    "parse_template",
]

_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_expression(text: str) -> RuntimeExpression:
    """Parse ``text`` as exactly one runtime expression (``$inputs.id``, ``$statusCode``...).

    Raises `ExpressionError` with the 0-based offset of the problem when ``text`` is not
    a runtime expression in its entirety.
    """
    expression, end = scan_expression(text, 0, "whole")
    if end < len(text):
        char = text[end]
        hint = ""
        if expression.root in ("request", "response") and expression.source == "body":
            if char in "./":
                hint = "; point into the body with '#/' (a JSON pointer), e.g. $response.body#/id"
        elif expression.root in ("url", "method", "statusCode", "self", "components"):
            hint = f"; ${expression.root} takes nothing after it"
        raise ExpressionError(f"unexpected {char!r} after {expression.text}{hint}", text, end)
    return expression


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_template(text: str) -> Literal | Template:
    """Parse a string in which runtime expressions are embedded as ``{$...}``.

    Returns a `Literal` when the string embeds nothing (a lone ``{`` or ``}`` is plain
    text), else a `Template`, which always evaluates to a string. Use
    `compile_value` for values where a whole string may also be one expression.
    Raises `ExpressionError` when a ``{$`` does not start a well-formed ``{$...}``.
    """
    parts: list[str | RuntimeExpression] = []
    literal_start = 0
    pos = text.find("{$")
    if pos == -1:
        return Literal(text)
    while pos != -1:
        if pos > literal_start:
            parts.append(text[literal_start:pos])
        expression, end = scan_expression(text, pos + 1, "template")
        if not text.startswith("}", end):
            found = f"found {text[end]!r}" if end < len(text) else "but the text ends"
            raise ExpressionError(
                f"expected '}}' to close the expression opened at offset {pos}, {found}",
                text,
                end,
            )
        parts.append(expression)
        literal_start = end + 1
        pos = text.find("{$", literal_start)
    if literal_start < len(text):
        parts.append(text[literal_start:])
    return Template(text, tuple(parts))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _compile_string(text: str) -> Literal | Expression | Template:
    if text.startswith("$"):
        try:
            return Expression(parse_expression(text))
        except ExpressionError:
            pass  # "$.items[*]", "$100": not an expression; maybe a template, else literal
    return parse_template(text)


def compile_value(value: Any) -> Value:
    """Compile a JSON value (as loaded from YAML/JSON) into a tree of value nodes.

    Strings: the whole string is one runtime expression -> `Expression` (evaluates to
    the referenced value, type preserved); it embeds ``{$...}`` -> `Template`; otherwise
    -> `Literal` (also a string that starts with ``$`` but is not an expression, such as a
    JSONPath ``$.items[*]``). Mappings -> `MapValue` (keys literal), lists and tuples ->
    `ListValue`, anything else -> `Literal`. Raises `ExpressionError` for a
    malformed embedded ``{$...}``.
    """
    if isinstance(value, str):
        return _compile_string(value)
    if isinstance(value, Mapping):
        return MapValue(tuple((key, compile_value(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return ListValue(tuple(compile_value(item) for item in value))
    return Literal(value)


# --- simple conditions ---------------------------------------------------------------------

#: How tightly each operator of a simple condition binds its operands (higher binds tighter).
#: This table is the whole precedence story. ``||`` and ``&&`` are n-ary: ``a || b || c`` is one
#: `Or`. ``!`` is the one prefix operator and binds looser than a comparison: ``!$a == 1`` is
#: ``!($a == 1)`` while ``!$a && $b`` is ``(!$a) && $b``. Comparisons are non-associative (an
#: operator of the same power may not follow: ``a < b < c`` is refused) and compare operands
#: only, never a parenthesized condition.
BINDING_POWER: dict[str, int] = {
    "||": 10,
    "&&": 20,
    "!": 30,
    "==": 40,
    "!=": 40,
    "<": 40,
    "<=": 40,
    ">": 40,
    ">=": 40,
}

_PREFIX = frozenset({"!"})
_JUNCTIONS: dict[str, type[Or] | type[And]] = {"||": Or, "&&": And}
#: The infix operators as a message lists them, tightest first.
_INFIX_LIST = ", ".join(
    sorted((op for op in BINDING_POWER if op not in _PREFIX), key=lambda op: -BINDING_POWER[op])
)
_OPERATOR_KINDS = frozenset({"op", "and", "or", "not"})
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None}

#: The deepest nesting of parentheses and ``!`` a condition may have.
MAX_NESTING = 64
# A simple condition longer than this is refused: no real criterion comes near it, and the bound
# keeps the tokens of a hostile document from growing with its size.
MAX_CONDITION_LENGTH = 65_536


def _operator(token: Token) -> str | None:
    """The operator a token spells (a key of `BINDING_POWER`), or ``None``."""
    return token.value if token.kind in _OPERATOR_KINDS else None


def _infix_power(token: Token) -> int:
    """How tightly ``token`` binds as an infix operator; 0 when it is none (ends a condition)."""
    op = _operator(token)
    return 0 if op is None or op in _PREFIX else BINDING_POWER[op]


class _ConditionParser:
    """A Pratt parser over the tokens of one condition, driven by `BINDING_POWER`.

    `expression` reads a prefix part (an operand, ``!`` or a parenthesized condition), then
    folds in infix operators for as long as they bind tighter than the caller's power.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize_condition(text)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message: str, position: int) -> NoReturn:
        raise ExpressionError(message, self.text, position)

    def show(self, token: Token) -> str:
        if token.kind == "eof":
            return "the end"
        return repr(self.text[token.start : token.end])

    def parse(self) -> CondNode:
        if self.peek().kind == "eof":
            self.fail("empty condition", 0)
        self.check_depth()
        node = self.expression(0)
        token = self.peek()
        if token.kind == "rparen":
            self.fail("unmatched ')'", token.start)
        if token.kind != "eof":
            self.fail(
                f"expected an operator ({_INFIX_LIST}) before {self.show(token)}", token.start
            )
        return node

    def check_depth(self) -> None:
        """Refuse nesting deeper than `MAX_NESTING` (parentheses and chained ``!``), which
        would otherwise exhaust the recursion of the parser and the evaluator."""
        parens = nots = 0
        for token in self.tokens:
            if token.kind == "lparen":
                parens += 1
            elif token.kind == "rparen":
                parens -= 1
            if token.kind == "not":
                nots += 1
            elif token.kind != "lparen":
                nots = 0
            if parens + nots > MAX_NESTING:
                self.fail(
                    f"the condition nests deeper than {MAX_NESTING} levels of '(' and '!'",
                    token.start,
                )

    def expression(self, power: int) -> CondNode:
        """Parse the longest condition whose infix operators bind tighter than ``power``."""
        left = self.prefix()
        while _infix_power(self.peek()) > power:
            left = self.infix(self.peek().value, left)
        return left

    def prefix(self) -> CondNode:
        """An operand, ``!`` and what it applies to, or a parenthesized condition."""
        token = self.peek()
        if token.kind == "not":
            self.advance()
            operand = self.expression(BINDING_POWER["!"])
            return Not(operand, token.start, self.tokens[self.index - 1].end)
        if token.kind == "lparen":
            self.advance()
            inner = self.expression(0)
            close = self.peek()
            if close.kind == "eof":
                self.fail("'(' is never closed", token.start)
            if close.kind != "rparen":
                self.fail(f"expected ')' or an operator before {self.show(close)}", close.start)
            self.advance()
            return inner
        return self.operand()

    def infix(self, op: str, left: CondNode) -> CondNode:
        """Fold the infix operator ``op`` (the next token) into ``left``."""
        junction = _JUNCTIONS.get(op)
        if junction is None:
            return self.comparison(self.advance(), left)
        # n-ary: a run of the same operator makes one flat node
        operands = [left]
        while _operator(self.peek()) == op:
            self.advance()
            operands.append(self.expression(BINDING_POWER[op]))
        return junction(tuple(operands), operands[0].start, operands[-1].end)

    def comparison(self, op: Token, left: CondNode) -> Comparison:
        """``left op operand``, where ``left`` must be an operand and no comparison follows."""
        # A ')' just before the operator closes a parenthesized condition. (A `Not` never gets
        # here: `!` binds looser than a comparison, so it takes the comparison as its operand.)
        if self.tokens[self.index - 2].kind == "rparen" or not isinstance(
            left, (LiteralOperand, ExpressionOperand)
        ):
            self.fail(
                f"a parenthesized condition cannot be compared with {op.value!r}; "
                "compare the operands inside the parentheses",
                op.start,
            )
        right = self.operand(after=op)
        after = self.peek()
        if _infix_power(after) == BINDING_POWER[op.value]:  # non-associative
            self.fail(
                "comparisons cannot be chained; join them with '&&' (a < b && b < c)",
                after.start,
            )
        return Comparison(op.value, left, right, left.start, right.end)

    def operand(self, after: Token | None = None) -> LiteralOperand | ExpressionOperand:
        token = self.peek()
        source = self.text[token.start : token.end]
        if token.kind == "operand":
            self.advance()
            expression, path = token.value
            return ExpressionOperand(expression, path, source, token.start, token.end)
        if token.kind in ("number", "string"):
            self.advance()
            return LiteralOperand(token.value, source, token.start, token.end)
        if token.kind == "name":
            if token.value in _KEYWORDS:
                self.advance()
                return LiteralOperand(_KEYWORDS[token.value], source, token.start, token.end)
            self.fail(
                f"unknown name {token.value!r}: use true, false, null, a number, a "
                f"'single-quoted' string or a $runtime.expression",
                token.start,
            )
        where = f" after {after.value!r}" if after is not None else ""
        if token.kind == "eof":
            self.fail(f"missing operand{where} at the end of the condition", token.start)
        self.fail(f"expected an operand{where}, found {self.show(token)}", token.start)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_condition(text: str) -> Condition:
    """Parse a simple condition (Arazzo Criterion ``type: simple``).

    Operators, loosest first (see `BINDING_POWER`): ``||``, ``&&``, prefix ``!``, then the
    comparisons ``== != < <= > >=`` (not chained); parentheses group. An operand is a literal
    (number, ``'single-quoted'`` string, ``true``, ``false``, ``null``) or a runtime expression
    followed by ``.member`` / ``[index]`` navigation. Raises `ExpressionError` with the offset
    of the problem when malformed, or when the text is longer than `MAX_CONDITION_LENGTH`
    characters.
    """
    if len(text) > MAX_CONDITION_LENGTH:
        raise ExpressionError(
            f"the condition is {len(text)} characters long; at most {MAX_CONDITION_LENGTH}",
            text[:80] + "...",
            0,
        )
    return Condition(text, _ConditionParser(text).parse())
