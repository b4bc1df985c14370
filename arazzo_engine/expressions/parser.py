"""Parsers: runtime expressions, string templates, compiled values and simple conditions.

Parse once, evaluate many: `parse_expression`, `parse_template` and
`parse_condition` are cached on their text (the same text gives the same object), and
`compile_value` turns any JSON value into a tree of nodes that the evaluator walks
without parsing again.
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

__all__ = ["compile_value", "parse_condition", "parse_expression", "parse_template"]

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
        elif expression.root == "message" and expression.source == "payload" and char in "./":
            hint = "; point into the payload with '#/', e.g. $message.payload#/id"
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

_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None}


#: The deepest nesting of parentheses and ``!`` a condition may have.
MAX_NESTING = 64
# A simple condition longer than this is refused: no real criterion comes near it, and the bound
# keeps the tokens of a hostile document from growing with its size.
MAX_CONDITION_LENGTH = 65_536


class _ConditionParser:
    """Recursive descent over the tokens; precedence ``||`` < ``&&`` < ``!`` < comparison."""

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

    def parse(self) -> CondNode:
        if self.peek().kind == "eof":
            self.fail("empty condition", 0)
        self.check_depth()
        node = self.disjunction()
        token = self.peek()
        if token.kind == "rparen":
            self.fail("unmatched ')'", token.start)
        if token.kind != "eof":
            self.fail(
                f"expected an operator (==, !=, <, <=, >, >=, &&, ||) before {self.show(token)}",
                token.start,
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

    def show(self, token: Token) -> str:
        if token.kind == "eof":
            return "the end"
        return repr(self.text[token.start : token.end])

    def disjunction(self) -> CondNode:
        operands = [self.conjunction()]
        while self.peek().kind == "or":
            self.advance()
            operands.append(self.conjunction())
        if len(operands) == 1:
            return operands[0]
        return Or(tuple(operands), operands[0].start, operands[-1].end)

    def conjunction(self) -> CondNode:
        operands = [self.unary()]
        while self.peek().kind == "and":
            self.advance()
            operands.append(self.unary())
        if len(operands) == 1:
            return operands[0]
        return And(tuple(operands), operands[0].start, operands[-1].end)

    def unary(self) -> CondNode:
        token = self.peek()
        if token.kind == "not":
            self.advance()
            inner, end = self.unary_with_end()
            return Not(inner, token.start, end)
        return self.comparison()

    def unary_with_end(self) -> tuple[CondNode, int]:
        """Parse the operand of ``!`` and return it with the end offset (incl. parentheses)."""
        node = self.unary()
        return node, self.tokens[self.index - 1].end

    def comparison(self) -> CondNode:
        token = self.peek()
        if token.kind == "lparen":
            self.advance()
            inner = self.disjunction()
            close = self.peek()
            if close.kind == "eof":
                self.fail("'(' is never closed", token.start)
            if close.kind != "rparen":
                self.fail(f"expected ')' or an operator before {self.show(close)}", close.start)
            self.advance()
            after = self.peek()
            if after.kind == "op":
                self.fail(
                    f"a parenthesized condition cannot be compared with {after.value!r}; "
                    "compare the operands inside the parentheses",
                    after.start,
                )
            return inner
        left = self.operand()
        op = self.peek()
        if op.kind != "op":
            return left
        self.advance()
        right = self.operand(after=op)
        chained = self.peek()
        if chained.kind == "op":
            self.fail(
                "comparisons cannot be chained; join them with '&&' (a < b && b < c)",
                chained.start,
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

    Grammar: ``or := and ("||" and)*``, ``and := unary ("&&" unary)*``,
    ``unary := "!" unary | "(" or ")" | operand [op operand]`` with ``op`` one of
    ``== != < <= > >=`` (not chained), ``operand := literal | $expression (.member | [index])*``.
    Raises `ExpressionError` with the offset of the problem when malformed, or when the text
    is longer than `MAX_CONDITION_LENGTH` characters.
    """
    if len(text) > MAX_CONDITION_LENGTH:
        raise ExpressionError(
            f"the condition is {len(text)} characters long; at most {MAX_CONDITION_LENGTH}",
            text[:80] + "...",
            0,
        )
    return Condition(text, _ConditionParser(text).parse())
