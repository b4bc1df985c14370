"""Syntax trees: runtime expressions, compiled values, and simple conditions.

All nodes are frozen dataclasses, so a parsed tree can be cached and shared between runs.
Conditions keep the 0-based ``start``/``end`` offsets of every node in the condition text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = [
    "ROOTS",
    "And",
    "Comparison",
    "CondNode",
    "Condition",
    "Expression",
    "ExpressionOperand",
    "ListValue",
    "Literal",
    "LiteralOperand",
    "MapValue",
    "Not",
    "Or",
    "RuntimeExpression",
    "Template",
    "Value",
    "references",
]

#: The roots of the runtime-expression grammar, as spelled after ``$``.
ROOTS = (
    "url",
    "method",
    "statusCode",
    "request",
    "response",
    "message",
    "inputs",
    "outputs",
    "steps",
    "workflows",
    "sourceDescriptions",
    "components",
    "self",
)


@dataclass(frozen=True)
class RuntimeExpression:
    """One parsed runtime expression such as ``$steps.login.outputs.token#/value``.

    Fields by ``root``:

    * ``url``, ``method``, ``statusCode``, ``self``: no other field is set.
    * ``request``/``response``: ``source`` is ``header``/``query``/``path``/``body``; ``name``
      the header, query or path parameter name; ``pointer`` for ``body``.
    * ``message`` (Arazzo 1.1, AsyncAPI steps): ``source`` is ``header`` (``name`` the header)
      or ``payload`` (``pointer``).
    * ``inputs``/``outputs``: ``name`` (may contain dots), ``pointer``.
    * ``steps``: ``target`` the step id, ``field`` ``"outputs"``, ``name``, ``pointer``.
    * ``workflows``: ``target`` the workflow id, ``field`` ``"inputs"``/``"outputs"``,
      ``name``, ``pointer``.
    * ``sourceDescriptions``: ``target`` the source name, ``name`` the reference.
    * ``components``: ``field`` the kind (``parameters``, ``successActions``,
      ``failureActions``, ``inputs``), ``name`` the key.

    ``pointer`` is ``None`` without ``#``, else the RFC 6901 pointer after ``#`` (``""`` = the
    whole value). ``text`` is the source text of the expression.
    """

    text: str
    root: str
    source: str | None = None
    target: str | None = None
    field: str | None = None
    name: str | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        return self.text


# --- compiled values (parameter values, payloads, outputs) ---------------------------------


@dataclass(frozen=True)
class Literal:
    """A scalar that contains no expression (string, number, boolean, null, other)."""

    value: Any


@dataclass(frozen=True)
class Expression:
    """A string that is, in its entirety, one runtime expression: evaluates to the raw value."""

    expression: RuntimeExpression


@dataclass(frozen=True)
class Template:
    """A string with embedded ``{$...}`` expressions: evaluates to a string.

    ``parts`` alternates literal text and expressions, in order.
    """

    text: str
    parts: tuple[str | RuntimeExpression, ...]


@dataclass(frozen=True)
class ListValue:
    """A JSON array whose items are compiled values."""

    items: tuple[Value, ...]


@dataclass(frozen=True)
class MapValue:
    """A JSON object whose member values are compiled values (keys are taken literally)."""

    items: tuple[tuple[Any, Value], ...]


Value: TypeAlias = Literal | Expression | Template | ListValue | MapValue


# --- simple conditions ---------------------------------------------------------------------


@dataclass(frozen=True)
class LiteralOperand:
    """A literal in a condition: number, single-quoted string, ``true``, ``false``, ``null``."""

    value: Any
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ExpressionOperand:
    """A runtime expression in a condition, with ``.member``/``[index]`` navigation after it.

    ``path`` holds member names (``str``) and indices (``int``); ``text`` the whole operand.
    """

    expression: RuntimeExpression
    path: tuple[str | int, ...]
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Comparison:
    """``left op right`` with ``op`` one of ``== != < <= > >=``."""

    op: str
    left: LiteralOperand | ExpressionOperand
    right: LiteralOperand | ExpressionOperand
    start: int
    end: int


@dataclass(frozen=True)
class Not:
    """``!operand``; ``start``/``end`` span the ``!`` and its operand (with parentheses)."""

    operand: CondNode
    start: int
    end: int


@dataclass(frozen=True)
class And:
    """``a && b && ...`` (two or more operands)."""

    operands: tuple[CondNode, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Or:
    """``a || b || ...`` (two or more operands)."""

    operands: tuple[CondNode, ...]
    start: int
    end: int


CondNode: TypeAlias = Or | And | Not | Comparison | LiteralOperand | ExpressionOperand


@dataclass(frozen=True)
class Condition:
    """A parsed simple condition: its source ``text`` and the root ``node``."""

    text: str
    node: CondNode


def condition_operands(node: CondNode) -> Iterator[ExpressionOperand]:
    """The runtime-expression operands of a condition tree, in source order."""
    if isinstance(node, ExpressionOperand):
        yield node
    elif isinstance(node, Comparison):
        yield from condition_operands(node.left)
        yield from condition_operands(node.right)
    elif isinstance(node, Not):
        yield from condition_operands(node.operand)
    elif isinstance(node, (And, Or)):
        for operand in node.operands:
            yield from condition_operands(operand)


def _walk(node: object) -> Iterator[RuntimeExpression]:
    if isinstance(node, RuntimeExpression):
        yield node
    elif isinstance(node, Expression):
        yield node.expression
    elif isinstance(node, Template):
        for part in node.parts:
            if isinstance(part, RuntimeExpression):
                yield part
    elif isinstance(node, ListValue):
        for item in node.items:
            yield from _walk(item)
    elif isinstance(node, MapValue):
        for _, item in node.items:
            yield from _walk(item)
    elif isinstance(node, Condition):
        yield from (operand.expression for operand in condition_operands(node.node))


def references(node: object) -> list[RuntimeExpression]:
    """List the runtime expressions a tree references, in source order (repeats included).

    Accepts a `RuntimeExpression`, any compiled value (`Value`), a
    `Condition` or any condition node; anything else references nothing.
    """
    return list(_walk(node))
