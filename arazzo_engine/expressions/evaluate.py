"""Evaluation: runtime expressions, compiled values, templates and simple conditions.

The evaluator reads data only through an `ExpressionContext`. A runtime expression that
names something absent raises `Unresolved`; a condition never raises it: the condition
fails and `ConditionResult` says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    Not,
    Or,
    RuntimeExpression,
    Template,
    Value,
    condition_operands,
)
from arazzo_engine.expressions.context import ExpressionContext, MessageContext, Unresolved
from arazzo_engine.expressions.parser import parse_condition, parse_expression
from arazzo_engine.expressions.pointer import resolve_pointer

__all__ = [
    "ConditionResult",
    "UnresolvedOperand",
    "compare",
    "evaluate_condition",
    "evaluate_expression",
    "evaluate_value",
    "render_text",
]


# --- runtime expressions -------------------------------------------------------------------


def _lookup(mapping: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """Find ``name`` in ``mapping``: the exact key, else the longest dotted prefix that is a key
    with the remaining dotted segments navigated as members. Returns ``(found, value)``;
    navigation failures raise `Unresolved`.
    """
    if name in mapping:
        return True, mapping[name]
    segments = name.split(".")
    for cut in range(len(segments) - 1, 0, -1):
        key = ".".join(segments[:cut])
        if key in mapping:
            return True, resolve_pointer(mapping[key], segments[cut:])
    return False, None


def _named(expression: RuntimeExpression, mapping: Mapping[str, Any], missing: str) -> Any:
    name = expression.name or ""
    found, value = _lookup(mapping, name)
    if not found:
        absent = name if expression.root == "inputs" else None
        raise Unresolved(missing.format(name=name), absent_input=absent)
    return value


def _base(expression: RuntimeExpression, ctx: ExpressionContext) -> Any:
    root = expression.root
    name = expression.name or ""
    target = expression.target or ""
    if root == "url":
        return ctx.url()
    if root == "method":
        return ctx.method()
    if root == "statusCode":
        return ctx.status_code()
    if root == "self":
        return ctx.self_url()
    if root in ("request", "response"):
        source = expression.source
        if source == "body":
            return ctx.request_body() if root == "request" else ctx.response_body()
        if source == "header":
            return ctx.request_header(name) if root == "request" else ctx.response_header(name)
        if root == "response":
            raise Unresolved(f"a response has no {source} parameters (${root}.{source})")
        if source == "query":
            return ctx.request_query(name)
        return ctx.request_path(name)
    if root == "message":
        if not isinstance(ctx, MessageContext):
            raise Unresolved("this step received no message ($message is for AsyncAPI steps)")
        if expression.source == "header":
            return ctx.message_header(name)
        return ctx.message_payload()
    if root == "inputs":
        return _named(expression, ctx.inputs(), "input {name!r} was not given")
    if root == "outputs":
        return _named(expression, ctx.outputs(), "output {name!r} is not set")
    if root == "steps":
        return _named(
            expression, ctx.step_outputs(target), f"step {target!r} has no output {{name!r}}"
        )
    if root == "workflows":
        if expression.field == "inputs":
            mapping = ctx.workflow_inputs(target)
            what = "input"
        else:
            mapping = ctx.workflow_outputs(target)
            what = "output"
        return _named(expression, mapping, f"workflow {target!r} has no {what} {{name!r}}")
    if root == "sourceDescriptions":
        return ctx.source_description(target, name)
    if root == "components":
        return ctx.component(expression.field or "", name)
    raise Unresolved(f"unsupported runtime expression root ${root}")  # pragma: no cover


def evaluate_expression(expression: RuntimeExpression | str, ctx: ExpressionContext) -> Any:
    """Evaluate one runtime expression (parsed, or text parsed via the cache).

    Returns the referenced value with its type preserved. Raises `Unresolved` when the
    data does not exist; for ``$inputs.<name>`` that was not given, ``absent_input`` is set
    (also when a pointer follows). Dotted names (``$inputs.a.b``) resolve to the longest
    existing exact key, the rest being member navigation. ``#`` alone gives the whole value.
    """
    if isinstance(expression, str):
        expression = parse_expression(expression)
    value = _base(expression, ctx)
    if expression.pointer:
        return resolve_pointer(value, expression.pointer)
    return value


def render_text(value: Any) -> str:
    """Convert a value to text for a template: strings as-is, ``true``/``false``/``null``,
    numbers in JSON spelling, arrays and objects as compact JSON.
    """
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float, Mapping, list, tuple)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def evaluate_value(
    value: Value, ctx: ExpressionContext, *, omit_absent_inputs: bool = False
) -> Any:
    """Evaluate a compiled value (see [`compile_value`][arazzo_engine.expressions.compile_value]).

    Builds fresh lists and dicts on every call. With ``omit_absent_inputs``, a map member
    whose value is a whole-value expression naming an input that was not given
    (`Unresolved` with ``absent_input``) is left out instead of failing; a list item
    like that is never left out (it would shift the indices of the items after it): it raises
    `Unresolved` naming the input. Any other `Unresolved` propagates.
    """
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, Expression):
        return evaluate_expression(value.expression, ctx)
    if isinstance(value, Template):
        return "".join(
            part if isinstance(part, str) else render_text(evaluate_expression(part, ctx))
            for part in value.parts
        )
    if isinstance(value, ListValue):
        items: list[Any] = []
        for item in value.items:
            try:
                items.append(evaluate_value(item, ctx, omit_absent_inputs=omit_absent_inputs))
            except Unresolved as exc:
                if omit_absent_inputs and _absent(item, exc):
                    raise absent_array_item(exc) from None
                raise
        return items
    members: dict[Any, Any] = {}
    for key, item in value.items:
        try:
            members[key] = evaluate_value(item, ctx, omit_absent_inputs=omit_absent_inputs)
        except Unresolved as exc:
            if not (omit_absent_inputs and _absent(item, exc)):
                raise
    return members


def absent_array_item(exc: Unresolved) -> Unresolved:
    """The failure for an array item naming an optional input that was not given."""
    return Unresolved(
        f"input {exc.absent_input!r} was not given and is an array item "
        "(an array item is never left out: the items after it would shift)"
    )


def _absent(item: Value, exc: Unresolved) -> bool:
    return isinstance(item, Expression) and exc.absent_input is not None


# --- simple conditions ---------------------------------------------------------------------


@dataclass(frozen=True)
class UnresolvedOperand:
    """Marker in `ConditionResult.operands` for an operand that could not be resolved."""

    reason: str

    def __repr__(self) -> str:
        return f"<unresolved: {self.reason}>"


@dataclass(frozen=True)
class ConditionResult:
    """The outcome of a simple condition.

    ``passed`` is the verdict; ``reason`` says why it failed (``None`` when it passed);
    ``operands`` pairs the source text of each runtime-expression operand (with navigation,
    in source order, each text once) with its value, or an `UnresolvedOperand`.
    """

    passed: bool
    reason: str | None = None
    operands: tuple[tuple[str, Any], ...] = ()


_NUMERIC = re.compile(r"\s*-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*")
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_number(text: str) -> int | float | None:
    m = _NUMERIC.fullmatch(text)
    if m is None:
        return None
    if m.group(1) is None and m.group(2) is None:
        try:
            return int(text)
        except ValueError:  # longer than Python's int conversion limit: not a number here
            return None
    return float(text)


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if _is_number(a) and isinstance(b, str):
        return bool(_as_number(b) == a)
    if isinstance(a, str) and _is_number(b):
        return bool(_as_number(a) == b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return False


def _orderable(a: Any, b: Any) -> tuple[Any, Any] | None:
    if _is_number(a) and _is_number(b):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold(), b.casefold()
    if _is_number(a) and isinstance(b, str):
        nb = _as_number(b)
        return None if nb is None else (a, nb)
    if isinstance(a, str) and _is_number(b):
        na = _as_number(a)
        return None if na is None else (na, b)
    return None


def compare(op: str, left: Any, right: Any) -> bool:
    """Apply a condition operator (``== != < <= > >=``) with the simple-condition semantics.

    Strings compare case-insensitively; a numeric string against a number is coerced;
    ``null`` equals only ``null``; booleans equal only booleans; ordering applies only to
    number/number and string/string (else ``False``); arrays and objects compare structurally.
    """
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    pair = _orderable(left, right)
    if pair is None:
        return False
    x, y = pair
    if op == "<":
        return bool(x < y)
    if op == "<=":
        return bool(x <= y)
    if op == ">":
        return bool(x > y)
    if op == ">=":
        return bool(x >= y)
    raise ValueError(f"unknown operator {op!r}")


def _show(value: Any, limit: int = 80) -> str:
    if isinstance(value, str):
        text = "'" + value.replace("'", "''") + "'"
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Undefined(Exception):
    """An operand on the evaluated path could not be resolved: the condition fails."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _ConditionEvaluator:
    def __init__(self, condition: Condition, ctx: ExpressionContext) -> None:
        self.text = condition.text
        self.ctx = ctx
        # by the operand node's identity (the parsed condition holds its nodes): hashing a
        # node would hash its whole expression every time
        self.values: dict[int, Any] = {}

    def resolve(self, node: ExpressionOperand) -> Any:
        value = evaluate_expression(node.expression, self.ctx)
        if node.path:
            value = resolve_pointer(value, [str(step) for step in node.path])
        return value

    def operand(self, node: ExpressionOperand) -> Any:
        """The operand's value, or an `UnresolvedOperand` saying why there is none (once)."""
        key = id(node)
        if key not in self.values:
            try:
                self.values[key] = self.resolve(node)
            except Unresolved as exc:
                self.values[key] = UnresolvedOperand(exc.reason)
        return self.values[key]

    def value(self, node: LiteralOperand | ExpressionOperand) -> Any:
        if isinstance(node, LiteralOperand):
            return node.value
        value = self.operand(node)
        if isinstance(value, UnresolvedOperand):
            raise _Undefined(f"{node.text} could not be resolved: {value.reason}")
        return value

    def evaluate(self, node: CondNode) -> tuple[bool, str | None]:
        if isinstance(node, Or):
            reasons: list[str] = []
            for operand in node.operands:
                passed, reason = self.evaluate(operand)
                if passed:
                    return True, None
                reasons.append(reason or "")
            return False, "no alternative passed: " + "; ".join(reasons)
        if isinstance(node, And):
            for operand in node.operands:
                passed, reason = self.evaluate(operand)
                if not passed:
                    return False, reason
            return True, None
        if isinstance(node, Not):
            passed, _ = self.evaluate(node.operand)
            if passed:
                inner = self.text[node.start + 1 : node.end].strip()
                return False, f"expected {inner} to be false"
            return True, None
        if isinstance(node, Comparison):
            left = self.value(node.left)
            right = self.value(node.right)
            if compare(node.op, left, right):
                return True, None
            return False, self._comparison_reason(node, left, right)
        value = self.value(node)
        if value is True:
            return True, None
        if isinstance(node, LiteralOperand):
            return False, f"{node.text} is not true"
        return False, f"{node.text} is {_show(value)}, expected true"

    @staticmethod
    def _comparison_reason(node: Comparison, left: Any, right: Any) -> str:
        lhs, rhs, op = node.left, node.right, node.op
        if isinstance(lhs, ExpressionOperand) and isinstance(rhs, LiteralOperand):
            return f"{lhs.text} is {_show(left)}, expected {op} {rhs.text}"
        if isinstance(lhs, LiteralOperand) and isinstance(rhs, ExpressionOperand):
            return f"{rhs.text} is {_show(right)}, expected {_FLIP[op]} {lhs.text}"
        if isinstance(lhs, ExpressionOperand):
            return (
                f"{lhs.text} is {_show(left)} and {rhs.text} is {_show(right)}, "
                f"expected {lhs.text} {op} {rhs.text}"
            )
        return f"{lhs.text} {op} {rhs.text} is false"

    def run(self, node: CondNode) -> ConditionResult:
        try:
            passed, reason = self.evaluate(node)
        except _Undefined as undefined:
            passed, reason = False, undefined.reason
        operands: dict[str, Any] = {}
        for operand in condition_operands(node):
            if operand.text in operands:
                continue
            operands[operand.text] = self.operand(operand)
        return ConditionResult(passed, reason, tuple(operands.items()))


def evaluate_condition(condition: Condition | str, ctx: ExpressionContext) -> ConditionResult:
    """Evaluate a simple condition (parsed, or text parsed via the cache) against ``ctx``.

    Passes only when the condition is ``true``: a bare operand must be exactly ``true``.
    ``&&`` and ``||`` short-circuit; an operand on the evaluated path that cannot be resolved
    fails the whole condition with a reason such as
    ``"$response.body#/x could not be resolved: member 'x' not found"``. Never raises
    `Unresolved`. Every expression operand is still evaluated for
    `ConditionResult.operands`, so a report can show each side's value.
    """
    if isinstance(condition, str):
        condition = parse_condition(condition)
    return _ConditionEvaluator(condition, ctx).run(condition.node)
