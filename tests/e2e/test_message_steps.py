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
    assert evaluate_expression("$message.payload.status", got.message) == "confirmed"
    assert got.skipped_count == 1
    assert got.skipped[0].correlation_id == f"not-{request_id}"
    assert json.loads(got.skipped[0].payload)["orderRequestId"] == f"not-{request_id}"


def test_no_reply_fails_after_the_timeout(broker: LocalBroker) -> None:
    _sent, got, request_id = _purchase(broker, "silent", 0.5)
    assert got.message is None
    assert got.failure is not None and f"correlation id {request_id!r}" in got.failure
    assert got.waited >= 0.5
