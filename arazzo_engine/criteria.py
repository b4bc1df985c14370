"""Criteria: compile a Criterion Object once, check it against a step's context many times.

``simple`` conditions use the expression language's condition parser. ``regex`` searches the
context's value (scalars turned to text). ``jsonpath`` passes when the query selects at least
one node. Runtime expressions inside regex and JSONPath text are written ``{$...}`` and
substituted as text before the pattern is used. A criterion that cannot be evaluated fails with
the reason; it never raises.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import DocumentError, ExpressionError, Location
from .expressions import (
    ExpressionContext,
    Unresolved,
    Value,
    compile_value,
    evaluate_condition,
    evaluate_value,
    parse_condition,
)
from .expressions.ast import Condition

__all__ = ["Criterion", "CriterionOutcome", "check", "compile_criterion"]

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
    """Compile a Criterion Object; raises DocumentError/ExpressionError with ``where``."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("condition"), str):
        raise DocumentError("a criterion needs a string 'condition'", where)
    text: str = raw["condition"]
    kind = raw.get("type", "simple")
    version = None
    if isinstance(kind, Mapping):
        version = kind.get("version")
        kind = kind.get("type")
    if kind not in _TYPES:
        raise DocumentError(f"unknown criterion type {kind!r} (expected one of {_TYPES})", where)
    if kind == "xpath":
        raise DocumentError("xpath criteria are not supported yet", where)
    try:
        context = None
        if "context" in raw:
            if not isinstance(raw["context"], str):
                raise DocumentError("a criterion 'context' must be a runtime expression", where)
            context = compile_value(raw["context"])
        elif kind != "simple":
            raise DocumentError(f"a {kind} criterion needs a 'context'", where)
        if kind == "simple":
            return Criterion(text, kind, version, context, parse_condition(text), None, where)
        template = compile_value(text)
    except ExpressionError as exc:
        raise exc.with_location(where) if where else exc from None
    if kind == "regex" and "{$" not in text:
        try:
            _regex(text)
        except re.error as exc:
            raise DocumentError(f"invalid regular expression {text!r}: {exc}", where) from None
    return Criterion(text, kind, version, context, None, template, where)


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.lru_cache(maxsize=512)
def _jsonpath(query: str) -> Any:
    from jsonpath_ng.ext.parser import parse as jsonpath_parse

    return jsonpath_parse(query)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return json.dumps(value, separators=(",", ":"))


def check(criterion: Criterion, ctx: ExpressionContext) -> CriterionOutcome:
    """Check a criterion. Evaluation problems make it fail with a reason."""
    if criterion.condition is not None:
        result = evaluate_condition(criterion.condition, ctx)
        return CriterionOutcome(
            criterion.text, criterion.type, result.passed, result.reason, tuple(result.operands)
        )
    assert criterion.template is not None and criterion.context is not None
    try:
        subject = evaluate_value(criterion.context, ctx)
        pattern = evaluate_value(criterion.template, ctx)
    except Unresolved as exc:
        return CriterionOutcome(criterion.text, criterion.type, False, exc.reason)
    if subject is None:
        return CriterionOutcome(criterion.text, criterion.type, False, "the context is null")
    if criterion.type == "regex":
        try:
            found = _regex(str(pattern)).search(_as_text(subject)) is not None
        except re.error as exc:
            return CriterionOutcome(criterion.text, "regex", False, f"invalid pattern: {exc}")
        reason = None if found else f"{_short(subject)} does not match {pattern!r}"
        return CriterionOutcome(criterion.text, "regex", found, reason)
    # jsonpath
    if isinstance(subject, str):
        try:
            subject = json.loads(subject)
        except ValueError:
            return CriterionOutcome(criterion.text, "jsonpath", False, "the context is not JSON")
    try:
        matches = _jsonpath(str(pattern)).find(subject)
    except Exception as exc:  # jsonpath-ng raises plain Exceptions for bad queries
        return CriterionOutcome(criterion.text, "jsonpath", False, f"JSONPath error: {exc}")
    passed = bool(matches)
    return CriterionOutcome(
        criterion.text, "jsonpath", passed, None if passed else "the query selected nothing"
    )


def _short(value: Any, limit: int = 80) -> str:
    text = _as_text(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
