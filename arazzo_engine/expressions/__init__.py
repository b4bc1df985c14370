"""Runtime expressions, ``{$...}`` templates and the simple condition language of Arazzo.

Parse once, evaluate many::

    expr = parse_expression("$steps.login.outputs.token")
    value = evaluate_expression(expr, ctx)

    payload = compile_value({"id": "$inputs.id", "auth": "Bearer {$inputs.token}"})
    body = evaluate_value(payload, ctx, omit_absent_inputs=True)

    result = evaluate_condition(parse_condition("$statusCode == 200"), ctx)
    if not result.passed:
        print(result.reason, result.operands)

Parsing raises [`ExpressionError`][arazzo_engine.errors.ExpressionError] (with
``position``); evaluation reads data only through an `ExpressionContext` and raises `Unresolved`
for data
that does not exist, except conditions, which fail with a reason instead.
"""

from __future__ import annotations

from arazzo_engine.expressions.ast import (
    And,
    Comparison,
    Condition,
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
    references,
)
from arazzo_engine.expressions.context import ExpressionContext, MessageContext, Unresolved
from arazzo_engine.expressions.evaluate import (
    ConditionResult,
    UnresolvedOperand,
    compare,
    evaluate_condition,
    evaluate_expression,
    evaluate_value,
    render_text,
)
from arazzo_engine.expressions.parser import (
    compile_value,
    parse_condition,
    parse_expression,
    parse_template,
)
from arazzo_engine.expressions.pointer import (
    escape,
    join_pointer,
    parse_pointer,
    resolve_pointer,
    set_pointer,
    unescape,
)

__all__ = [
    "And",
    "Comparison",
    "Condition",
    "ConditionResult",
    "Expression",
    "ExpressionContext",
    "ExpressionOperand",
    "ListValue",
    "Literal",
    "LiteralOperand",
    "MapValue",
    "MessageContext",
    "Not",
    "Or",
    "RuntimeExpression",
    "Template",
    "Unresolved",
    "UnresolvedOperand",
    "Value",
    "compare",
    "compile_value",
    "escape",
    "evaluate_condition",
    "evaluate_expression",
    "evaluate_value",
    "join_pointer",
    "parse_condition",
    "parse_expression",
    "parse_pointer",
    "parse_template",
    "references",
    "render_text",
    "resolve_pointer",
    "set_pointer",
    "unescape",
]
