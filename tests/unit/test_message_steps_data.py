"""Pure helpers of message steps: payloads, ``$message`` data, correlation, dependsOn order."""

from __future__ import annotations

import pytest

from arazzo_engine.asyncapi import CorrelationId
from arazzo_engine.asyncapi.messages import (
    ReceivedMessage,
    correlation_matches,
    encode_payload,
)
from arazzo_engine.document.dependencies import DependencyCycle, execution_order
from arazzo_engine.expressions import Unresolved, evaluate_expression
from arazzo_engine.run.commands import Message


def test_encode_payload() -> None:
    assert encode_payload({"petId": 1}, "application/json") == b'{"petId":1}'
    assert encode_payload({"petId": 1}, None) == b'{"petId":1}'
    assert encode_payload("plain", "text/plain") == b"plain"
    assert encode_payload("quoted", "application/json") == b'"quoted"'
    assert encode_payload(b"\x00raw", "application/octet-stream") == b"\x00raw"
    assert encode_payload(None, None) == b""


def _message(payload: bytes, content_type: str | None = None) -> Message:
    return Message("a", (("orderRequestId", "r-1"),), payload, 0.0, content_type)


def test_received_message_is_what_dollar_message_reads() -> None:
    received = ReceivedMessage(_message(b'{"orderId": 42}'))  # no content type: sniffed
    assert evaluate_expression("$message.payload#/orderId", received) == 42  # type: ignore[arg-type]
    assert evaluate_expression("$message.header.orderrequestid", received) == "r-1"  # type: ignore[arg-type]
    with pytest.raises(Unresolved, match="no header 'x'"):
        received.message_header("x")
    assert ReceivedMessage(_message(b"not json")).message_payload() == "not json"
    declared = ReceivedMessage(_message(b'{"a": 1}'), "text/plain")
    assert declared.message_payload() == '{"a": 1}'
    assert ReceivedMessage(_message(b"")).message_payload() is None


def test_correlation() -> None:
    header = CorrelationId("$message.header#/orderRequestId", "header", "/orderRequestId")
    payload = CorrelationId("$message.payload#/order/id", "payload", "/order/id")
    received = ReceivedMessage(_message(b'{"order": {"id": 42}}', "application/json"))
    assert received.correlation_id(header) == "r-1"
    assert received.correlation_id(payload) == 42
    assert correlation_matches("42", received.correlation_id(payload))
    assert correlation_matches(42, received.correlation_id(payload))
    assert not correlation_matches("43", received.correlation_id(payload))
    assert not correlation_matches(None, None)
    assert not correlation_matches("r-1", None)


def test_execution_order_keeps_document_order_where_it_can() -> None:
    steps = ["send", "receive", "reserve", "deliver", "details"]
    assert execution_order(steps, {}) == steps
    deps = {"send": ["receive"], "details": ["send"], "reserve": {"other-workflow-step"}}
    assert execution_order(steps, deps) == ["receive", "send", "reserve", "deliver", "details"]


def test_execution_order_reports_a_cycle() -> None:
    with pytest.raises(DependencyCycle) as caught:
        execution_order(["a", "b", "c"], {"a": ["c"], "b": ["a"], "c": ["b"]})
    assert caught.value.cycle == ["a", "c", "b", "a"]
    assert "a -> c -> b -> a" in str(caught.value)
