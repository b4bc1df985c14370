"""Criteria and selectors: compile once, check against a step's context many times.

``simple`` conditions use the expression language's condition parser. ``regex`` searches the
context's value (scalars turned to text). ``jsonpath`` passes when the query selects at least
one node: RFC 9535 by default (``jsonpath-rfc9535``), the Goessner draft (``jsonpath-ng``) when a
Criterion Expression Type Object asks for ``draft-goessner-dispatch-jsonpath-00``. ``xpath``
(versions 1.0 to 3.1, through ``elementpath``) passes by the version's effective boolean value
over the XML document the context holds. Runtime expressions inside regex, JSONPath and XPath
text are written ``{$...}`` and substituted as text before the pattern is used. A criterion
that cannot be evaluated fails with the reason; it never raises.

The query engines and the Arazzo 1.1 Selector Object live in `arazzo_engine.queries` (names
re-exported here); a Selector is usable in outputs, parameter values, payloads and replacement
values: see `compile_computed` and `evaluate`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from .errors import DocumentError, ExpressionError, Location
from .expressions import (
    ExpressionContext,
    Unresolved,
    Value,
    compile_value,
    evaluate_condition,
    evaluate_value,
    parse_condition,
    parse_expression,
)
from .expressions.ast import Condition
from .queries import (
    GOESSNER,
    VERSIONS,
    Selector,
    as_text,
    compiled_regex,
    compiled_xpath,
    expression_type,
    is_selector,
    json_subject,
    parse_xml,
    query_json,
    query_xml,
    select,
    syntax_problem,
)

__all__ = [
    "GOESSNER",
    "VERSIONS",
    "Computed",
    "Criterion",
    "CriterionOutcome",
    "Selector",
    "check",
    "compile_computed",
    "compile_criterion",
    "compiled_xpath",
    "evaluate",
    "expression_type",
    "is_selector",
    "parse_xml",
    "query_json",
    "query_xml",
    "select",
    "syntax_problem",
]

_TYPES = ("simple", "regex", "jsonpath", "xpath")


@dataclass(frozen=True)
class CriterionOutcome:
    """The result of checking one criterion."""

    condition: str
    type: str
    passed: bool
    reason: str | None = None
    values: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "condition": self.condition,
            "type": self.type,
            "passed": self.passed,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.values:
            out["values"] = [{"expression": e, "value": v} for e, v in self.values]
        return out


@dataclass(frozen=True)
class Criterion:
    """A compiled Criterion Object."""

    text: str
    type: str
    version: str | None
    context: Value | None
    condition: Condition | None
    template: Value | None
    location: Location | None


def compile_criterion(raw: Any, where: Location | None) -> Criterion:
    """Compile a Criterion Object; raises DocumentError/ExpressionError with ``where``.

    ``type`` may be a string or a Criterion Expression Type Object; ``type`` and ``version``
    written as siblings (the form the official 1.0 schema wrongly demands) are accepted too.
    """
    if not isinstance(raw, Mapping) or not isinstance(raw.get("condition"), str):
        raise DocumentError("a criterion needs a string 'condition'", where)
    text: str = raw["condition"]
    kind, version = expression_type(raw.get("type", "simple"), raw.get("version"), where, _TYPES)
    try:
        context = None
        if "context" in raw:
            if not isinstance(raw["context"], str):
                raise DocumentError("a criterion 'context' must be a runtime expression", where)
            context = compile_value(raw["context"])
        elif kind != "simple":
            raise DocumentError(f"a {kind} criterion needs a 'context'", where)
        if kind == "simple":
            return Criterion(text, kind, None, context, parse_condition(text), None, where)
        template = compile_value(text) if "{$" in text else compile_value_literal(text)
    except ExpressionError as exc:
        raise exc.with_location(where) if where else exc from None
    if "{$" not in text:
        problem = syntax_problem(kind, version, text)
        if problem:
            raise DocumentError(f"invalid {kind} {text!r}: {problem}", where)
    return Criterion(text, kind, version, context, None, template, where)


def compile_value_literal(text: str) -> Value:
    """A query text without ``{$...}``: kept literally (a JSONPath ``$.x`` is not an
    expression)."""
    from .expressions import Literal

    return Literal(text)


def check(criterion: Criterion, ctx: ExpressionContext) -> CriterionOutcome:
    """Check a criterion. Evaluation problems make it fail with a reason."""
    if criterion.condition is not None:
        result = evaluate_condition(criterion.condition, ctx)
        return CriterionOutcome(
            criterion.text, criterion.type, result.passed, result.reason, tuple(result.operands)
        )
    assert criterion.template is not None and criterion.context is not None
    kind, version = criterion.type, criterion.version or ""
    try:
        subject = evaluate_value(criterion.context, ctx)
        pattern = str(evaluate_value(criterion.template, ctx))
    except Unresolved as exc:
        return CriterionOutcome(criterion.text, kind, False, exc.reason)
    if subject is None:
        return CriterionOutcome(criterion.text, kind, False, "the context is null")
    if kind == "regex":
        try:
            found = compiled_regex(pattern).search(as_text(subject)) is not None
        except re.error as exc:
            return CriterionOutcome(criterion.text, kind, False, f"invalid pattern: {exc}")
        reason = None if found else f"{_short(subject)} does not match {pattern!r}"
        return CriterionOutcome(criterion.text, kind, found, reason)
    if kind == "jsonpath":
        try:
            matches = query_json(json_subject(subject), pattern, version)
        except Exception as exc:  # syntax or evaluation error of the query
            return CriterionOutcome(criterion.text, kind, False, f"JSONPath error: {exc}")
        passed = bool(matches)
        if passed:
            return CriterionOutcome(criterion.text, kind, True)
        why = "the query selected nothing"
        if pattern.replace(" ", "").startswith("$[?") and isinstance(subject, dict):
            # The spec's own examples read this way, but under RFC 9535 a filter at the root
            # tests the root's *children* (the member values), not the root object itself.
            why += (
                "; a filter at the root tests the root's member values, not the root object: "
                "to test a member, filter it (e.g. $.items[?@.id > 0]) or select it ($.items[*])"
            )
        return CriterionOutcome(criterion.text, kind, False, why)
    # xpath
    try:
        token, result = query_xml(parse_xml(subject), pattern, version)
        passed = bool(token.boolean_value(result))
    except Exception as exc:  # XML parse error, XPath syntax/type error
        return CriterionOutcome(criterion.text, kind, False, f"XPath error: {exc}")
    reason = None if passed else "the XPath expression's effective boolean value is false"
    return CriterionOutcome(criterion.text, kind, passed, reason)


def _short(value: Any, limit: int = 80) -> str:
    text = as_text(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- Selector Objects (Arazzo 1.1) ---------------------------------------------------------


@dataclass(frozen=True)
class Composite:
    """A list or map some of whose members are Selector Objects."""

    is_list: bool
    items: tuple[tuple[Any, Computed], ...]


Computed: TypeAlias = Value | Selector | Composite


def _contains_selector(raw: Any) -> bool:
    if is_selector(raw):
        return True
    if isinstance(raw, Mapping):
        return any(_contains_selector(v) for v in raw.values())
    if isinstance(raw, list):
        return any(_contains_selector(v) for v in raw)
    return False


def compile_computed(raw: Any, where: Location | None, selectors: bool) -> Computed:
    """Compile a value that may hold Selector Objects (when ``selectors``, i.e. Arazzo 1.1).

    Raises ExpressionError / DocumentError (located at ``where``).
    """
    if not selectors or not _contains_selector(raw):
        return compile_value(raw)
    if is_selector(raw):
        context = raw["context"]
        if not isinstance(context, str):
            raise DocumentError("a Selector Object's 'context' must be a runtime expression", where)
        parse_expression(context)
        kind, version = expression_type(
            raw["type"], None, where, ("jsonpath", "xpath", "jsonpointer")
        )
        text = raw["selector"]
        if "{$" not in text:
            problem = syntax_problem(kind, version, text)
            if problem:
                raise DocumentError(f"invalid {kind} selector {text!r}: {problem}", where)
        return Selector(compile_value(context), text, kind, version)
    if isinstance(raw, list):
        return Composite(
            True, tuple((i, compile_computed(v, where, selectors)) for i, v in enumerate(raw))
        )
    return Composite(
        False, tuple((k, compile_computed(v, where, selectors)) for k, v in raw.items())
    )


def evaluate(value: Computed, ctx: ExpressionContext, *, omit_absent_inputs: bool = False) -> Any:
    """Evaluate a compiled value that may hold Selector Objects (see `evaluate_value`)."""
    if isinstance(value, Selector):
        return select(value, ctx)
    if isinstance(value, Composite):
        out_list: list[Any] = []
        out_map: dict[Any, Any] = {}
        for key, item in value.items:
            try:
                result = evaluate(item, ctx, omit_absent_inputs=omit_absent_inputs)
            except Unresolved as exc:
                if omit_absent_inputs and exc.absent_input is not None:
                    from .expressions import Expression
                    from .expressions.evaluate import absent_array_item

                    if isinstance(item, Expression):
                        if value.is_list:
                            raise absent_array_item(exc) from None
                        continue
                raise
            if value.is_list:
                out_list.append(result)
            else:
                out_map[key] = result
        return out_list if value.is_list else out_map
    return evaluate_value(value, ctx, omit_absent_inputs=omit_absent_inputs)
