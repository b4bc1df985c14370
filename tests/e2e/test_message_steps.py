"""Send and receive steps (`run.messaging`) bound to the example AsyncAPI description, driven
against real brokers with the example responder answering."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from arazzo_engine.asyncapi import AsyncAPIDescription
from arazzo_engine.asyncapi.binding import MessageTarget, find_operation, message_target
from arazzo_engine.document.loader import load_text
from arazzo_engine.expressions import evaluate_expression
from arazzo_engine.protocols.local import LocalBroker
from arazzo_engine.protocols.session import MESSAGE_COMMANDS, SyncMessageSession
from arazzo_engine.run.commands import Now, Time
from arazzo_engine.run.messaging import (
    ReceiveOutcome,
    SendOutcome,
    receive,
    send,
    subscribe,
    subscription_name,
    unsubscribe,
)
from tests.support.brokers import responder, start_broker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "messages"


@pytest.fixture(scope="module", params=["mqtt", "nats"])
def broker(request: pytest.FixtureRequest) -> Iterator[LocalBroker]:
    with start_broker(request.param) as started:
        yield started


def _targets(broker: LocalBroker) -> tuple[MessageTarget, MessageTarget]:
    path = EXAMPLE / "pet-purchase.asyncapi.yaml"
    description = AsyncAPIDescription("petOrders", load_text(path.read_text(), str(path)))
    sources = {"petOrders": description}
    targets = []
    for ref in ("$sourceDescriptions.petOrders.placeOrder", "confirmOrder"):
        operation = find_operation(sources, ref)
        targets.append(
            message_target(
                description,
                operation.channel,
                operation.action,
                operation=operation,
                server_url=broker.url,
            )
        )
    return targets[0], targets[1]


def drive(steps: Generator[Any, Any, Any], session: SyncMessageSession) -> Any:
    """A minimal driver: message commands go to the session, Now to the clock."""
    result: Any = None
    try:
        command = next(steps)
        while True:
            if isinstance(command, Now):
                result = Time(time.time())
            else:
                assert isinstance(command, MESSAGE_COMMANDS)
                result = session.execute(command)
            command = steps.send(result)
    except StopIteration as stop:
        return stop.value


def _purchase(broker: LocalBroker, mode: str, timeout: float) -> tuple[SendOutcome, Any, str]:
    place, confirm = _targets(broker)
    request_id = f"order-{uuid.uuid4().hex[:8]}"
    name = subscription_name("purchasePet", "confirmOrder")
    with responder(broker.url, mode=mode), SyncMessageSession() as session:
        assert drive(subscribe(name, confirm), session) is None
        sent = drive(
            send("placeOrder", place, (), {"orderRequestId": request_id, "petId": 7}), session
        )
        got = drive(receive("confirmOrder", name, confirm, request_id, timeout), session)
        drive(unsubscribe(name), session)
    return sent, got, request_id


def test_bound_targets(broker: LocalBroker) -> None:
    place, confirm = _targets(broker)
    assert (place.action, place.address, place.protocol) == (
        "send",
        "pets/place-order",
        broker.protocol,
    )
    # Only the bindings of the protocol in use apply.
    assert place.bindings == ((("qos", 1),) if broker.protocol == "mqtt" else ())
    assert place.content_type == "application/json"
    assert confirm.correlation is not None
    assert confirm.correlation.location == "$message.payload#/orderRequestId"


def test_pet_purchase_with_a_wrong_correlation_id_first(broker: LocalBroker) -> None:
    sent, got, request_id = _purchase(broker, "wrong-first", 5)
    assert sent.failure is None
    assert evaluate_expression("$message.payload#/orderRequestId", sent.message) == request_id
    assert isinstance(got, ReceiveOutcome) and got.failure is None and got.message is not None
    assert got.correlation_id == request_id
    assert evaluate_expression("$message.payload#/status", got.message) == "confirmed"
    assert got.skipped_count == 1
    assert got.skipped[0].correlation_id == f"not-{request_id}"
    assert json.loads(got.skipped[0].payload)["orderRequestId"] == f"not-{request_id}"


def test_no_reply_fails_after_the_timeout(broker: LocalBroker) -> None:
    _sent, got, request_id = _purchase(broker, "silent", 0.5)
    assert got.message is None
    assert got.failure is not None and f"correlation id {request_id!r}" in got.failure
    assert got.waited >= 0.5


HEADER_CORRELATED = """\
asyncapi: 3.0.0
info: {title: pets, version: "1"}
servers:
  nats: {host: "127.0.0.1:4222", protocol: nats}
  mqtt5: {host: "127.0.0.1:1883", protocol: mqtt, protocolVersion: "5.0"}
channels:
  place-order:
    address: pets/place-order
    messages: {order: {$ref: "#/components/messages/OrderRequest"}}
  confirm-order:
    address: pets/confirm-order
    messages: {confirmation: {$ref: "#/components/messages/OrderResponse"}}
operations:
  placeOrder: {action: send, channel: {$ref: "#/channels/place-order"}}
  confirmOrder: {action: receive, channel: {$ref: "#/channels/confirm-order"}}
components:
  messages:
    OrderRequest:
      contentType: application/json
      correlationId: {location: "$message.header#/orderRequestId"}
      headers: {type: object, properties: {orderRequestId: {type: string}}}
    OrderResponse:
      contentType: application/json
      correlationId: {location: "$message.header#/orderRequestId"}
"""


@pytest.mark.parametrize("kind", ["nats", "mqtt5"])
def test_correlation_by_header_as_in_the_spec_example(kind: str, tmp_path: Path) -> None:
    """The official example correlates by a header: NATS headers, MQTT 5 user properties."""
    from tests.support.brokers import mqtt5_broker, nats_broker

    path = tmp_path / "pets.asyncapi.yaml"
    path.write_text(HEADER_CORRELATED)
    description = AsyncAPIDescription("pets", load_text(path.read_text(), str(path)))
    with nats_broker() if kind == "nats" else mqtt5_broker() as broker:
        targets = {}
        for op_id in ("placeOrder", "confirmOrder"):
            operation = description.operations[op_id]
            targets[op_id] = message_target(
                description,
                operation.channel,
                operation.action,
                operation=operation,
                server_url=broker.url,
            )
        place, confirm = targets["placeOrder"], targets["confirmOrder"]
        assert ("protocolVersion=5.0" in place.server) is (kind == "mqtt5")
        request_id = f"order-{uuid.uuid4().hex[:8]}"
        with responder(place.server, mode="wrong-first"), SyncMessageSession() as session:
            drive(subscribe("confirm", confirm), session)
            headers = (("orderRequestId", request_id),)
            sent = drive(send("placeOrder", place, headers, {"petId": 7}), session)
            got = drive(receive("confirmOrder", "confirm", confirm, request_id, 5), session)
    assert sent.failure is None
    assert got.failure is None and got.correlation_id == request_id
    assert evaluate_expression("$message.header.orderRequestId", got.message) == request_id
    assert got.skipped_count == 1 and got.skipped[0].correlation_id == f"not-{request_id}"
