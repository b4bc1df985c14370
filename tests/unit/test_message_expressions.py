"""``$message`` runtime expressions (Arazzo 1.1 AsyncAPI steps)."""

from __future__ import annotations

from typing import Any

import pytest

from arazzo_engine.errors import ExpressionError
from arazzo_engine.expressions import (
    Unresolved,
    evaluate_condition,
    evaluate_expression,
    parse_expression,
    parse_template,
)
from arazzo_engine.expressions.evaluate import evaluate_value


class _Received:
    """A context that received one message (only the ``$message`` part is needed)."""

    def __init__(self, headers: dict[str, str], payload: Any) -> None:
        self._headers = {k.lower(): v for k, v in headers.items()}
        self._payload = payload

    def message_header(self, name: str) -> Any:
        if name.lower() not in self._headers:
            raise Unresolved(f"header {name!r} is not present")
        return self._headers[name.lower()]

    def message_payload(self) -> Any:
        return self._payload


CTX: Any = _Received(
    {"orderRequestId": "r-1"}, {"orderId": 42, "status": "confirmed", "a": {"b/c": [1, 2]}}
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$message.header.orderRequestId", "r-1"),
        ("$message.header.ORDERREQUESTID", "r-1"),
        ("$message.payload", CTX.message_payload()),
        ("$message.payload#/orderId", 42),
        ("$message.payload#/a/b~1c/1", 2),
    ],
)
def test_message_expressions(text: str, value: Any) -> None:
    assert evaluate_expression(text, CTX) == value


def test_the_dot_form_is_read_by_the_compiler_not_the_parser() -> None:
    # $message.payload.orderId (the 1.1 spec's examples) is rewritten by the compiler's lenient
    # reading, with a warning naming the standard form; the parser itself says how to write it.
    with pytest.raises(ExpressionError, match=r"\$message\.payload#/id"):
        parse_expression("$message.payload.orderId")


def test_in_conditions_and_templates() -> None:
    assert evaluate_condition("$message.payload.status == 'confirmed'", CTX).passed
    assert evaluate_condition("$message.payload#/orderId == 42", CTX).passed
    assert not evaluate_condition("$message.header.missing == 'x'", CTX).passed
    assert evaluate_value(parse_template("order {$message.payload#/orderId}"), CTX) == "order 42"


def test_malformed_message_expressions() -> None:
    with pytest.raises(ExpressionError, match="a part of the message"):
        parse_expression("$message.body")
    with pytest.raises(ExpressionError, match="header name"):
        parse_expression("$message.header.")


def test_a_step_without_a_message_cannot_read_it() -> None:
    class _Http:
        pass

    with pytest.raises(Unresolved, match="received no message"):
        evaluate_expression("$message.payload", _Http())  # type: ignore[arg-type]
