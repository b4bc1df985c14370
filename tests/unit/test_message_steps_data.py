"""Pure helpers of message steps: payloads, ``$message`` data, correlation, dependsOn order."""

from __future__ import annotations

from typing import Any

import pytest

from arazzo_engine.asyncapi import CorrelationId
from arazzo_engine.asyncapi.binding import MessageTarget
from arazzo_engine.asyncapi.messages import (
    ReceivedMessage,
    correlation_matches,
    encode_payload,
)
from arazzo_engine.document.dependencies import (
    DependencyCycle,
    StepDependency,
    check_step_dependencies,
    execution_order,
    parse_step_dependency,
)
from arazzo_engine.expressions import Unresolved, evaluate_expression
from arazzo_engine.run.commands import Failure, Message, Now, Publish, Published, Time
from arazzo_engine.run.messaging import receive, record_receive, record_send, send


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


def _target() -> MessageTarget:
    return MessageTarget(
        source="petOrders",
        operation_id="confirmOrder",
        action="receive",
        protocol="mqtt",
        server="mqtt://127.0.0.1:1883",
        address="pets/confirm-order",
        content_type="application/json",
        correlation=CorrelationId("$message.payload#/id", "payload", "/id"),
    )


def _replay(steps: Any, results: list[Any]) -> tuple[list[Any], Any]:
    """Drive a generator with canned results; returns the commands it yielded and its value."""
    commands = [next(steps)]
    try:
        for result in results:
            commands.append(steps.send(result))
    except StopIteration as stop:
        return commands, stop.value
    raise AssertionError(f"still running after {len(results)} results: {commands[-1]}")


def _msg(correlation: str, at: float) -> Message:
    return Message("pets/confirm-order", (), f'{{"id": "{correlation}"}}'.encode(), at)


def test_receive_skips_other_ids_and_counts_time_from_results() -> None:
    steps = receive("confirm", "wf/confirm", _target(), "r-2", timeout=5)
    commands, outcome = _replay(steps, [Time(100.0), _msg("r-1", 99.0), _msg("r-2", 101.5)])
    assert isinstance(commands[0], Now)
    assert [c.timeout for c in commands[1:]] == [5.0, 5.0]  # r-1 was buffered before the start
    assert outcome.failure is None and outcome.correlation_id == "r-2"
    assert (outcome.started, outcome.waited, outcome.skipped_count) == (100.0, 1.5, 1)
    assert outcome.skipped[0].correlation_id == "r-1"


def test_receive_times_out_with_the_reason() -> None:
    steps = receive("confirm", "wf/confirm", _target(), "r-9", timeout=2)
    results = [Time(10.0), _msg("r-1", 11.0), Failure("no message within 1s", 11.0, 1.0)]
    commands, outcome = _replay(steps, results)
    assert [c.timeout for c in commands[1:]] == [2.0, 1.0]
    assert outcome.message is None and outcome.waited == 2.0
    assert "correlation id 'r-9'" in outcome.failure and "1 other message(s)" in outcome.failure


def test_send_builds_the_publish_and_keeps_the_message() -> None:
    target = _target()
    steps = send("place", target, (("h", "v"),), {"id": "r-1"})
    commands, outcome = _replay(steps, [Published(5.0, 0.25)])
    publish = commands[0]
    assert isinstance(publish, Publish)
    assert (publish.address, publish.payload, publish.headers) == (
        "pets/confirm-order",
        b'{"id":"r-1"}',
        (("h", "v"),),
    )
    assert outcome.failure is None and outcome.message.message_header("h") == "v"
    _commands, failed = _replay(send("place", target, (), {}), [Failure("refused", 5.0)])
    assert failed.failure == "refused"


def test_records_show_channel_message_and_skipped() -> None:
    target = _target()
    steps = receive("confirm", "wf/confirm", target, "r-2", timeout=5)
    _commands, outcome = _replay(steps, [Time(1.0), _msg("r-1", 1.0), _msg("r-2", 1.25)])
    record = record_receive(target, outcome).to_dict()
    assert record["address"] == "pets/confirm-order" and record["action"] == "receive"
    assert record["payload"] == {"id": "r-2"} and record["correlationId"] == "r-2"
    assert record["waitedMs"] == 250.0 and record["skippedCount"] == 1
    assert record["skipped"] == [{"correlationId": "r-1", "headers": [], "payload": {"id": "r-1"}}]
    secret_target = MessageTarget(**{**target.__dict__, "server": "mqtt://u:pw@127.0.0.1:1883"})
    _c, sent = _replay(send("place", secret_target, (), {"id": "r-2"}), [Published(1.0, 0.1)])
    shown = record_send(secret_target, sent).to_dict()
    assert shown["server"] == "mqtt://127.0.0.1:1883" and "waitedMs" not in shown


def test_step_dependency_forms_and_problems() -> None:
    assert parse_step_dependency("send") == StepDependency("send")
    assert parse_step_dependency("$workflows.other.steps.s1") == StepDependency("s1", "other")
    assert parse_step_dependency("$sourceDescriptions.docs.wf.steps.s2") == StepDependency(
        "s2", "wf", "docs"
    )
    assert parse_step_dependency("$steps.sendEvent") is None
    workflows = {"main": ["send", "receive", "after"], "other": ["s1"]}
    problems = check_step_dependencies(
        "main",
        {
            "send": [],
            "receive": ["$steps.send", "nope", "$workflows.other.steps.s1"],
            "after": ["$sourceDescriptions.docs.wf.steps.x", "$sourceDescriptions.gone.wf.steps.y"],
        },
        workflows,
        {"docs": {"wf": ["s2"]}},
    )
    assert [(code, step) for code, _message, step in problems] == [
        ("bad-step-dependency", "receive"),
        ("unknown-step-dependency", "receive"),
        ("unknown-step-dependency", "after"),
        ("unknown-step-dependency", "after"),
    ]
    cycle = check_step_dependencies(
        "main", {"send": ["after"], "receive": ["send"], "after": ["receive"]}, workflows, {}
    )
    assert [code for code, _m, _s in cycle] == ["step-dependency-cycle"]
    assert "send -> after -> receive -> send" in cycle[0][1]
