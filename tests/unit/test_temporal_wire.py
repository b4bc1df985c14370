"""The run core's commands and results survive the trip through Temporal's JSON unchanged."""

from __future__ import annotations

import json

from arazzo_engine.run.commands import Failure, HttpExchange, HttpReply, SentRequest, Time
from arazzo_engine.temporal.wire import (
    exchange_from_wire,
    exchange_to_wire,
    result_from_wire,
    result_to_wire,
)


def _trip(data: dict[str, object]) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(json.dumps(data))
    return loaded


def test_exchange_round_trip() -> None:
    command = HttpExchange(
        "s1",
        "POST",
        "http://h/x?q=1",
        (("A", "1"), ("a", "2")),
        b"\x00\xffbody",
        auth="src:key",
        timeout=3.5,
        connect_timeout=1.0,
        read_timeout=None,
        max_body=10,
    )
    assert exchange_from_wire(_trip(exchange_to_wire(command))) == command


def test_results_round_trip() -> None:
    sent = SentRequest("GET", "http://h/", (("x-api-key", "***"),), b"")
    reply = HttpReply(201, (("Set-Cookie", "a=b"),), b"\xc3(", sent, 1.5, 0.25, "Created", "HTTP/2")
    for result in (reply, Failure("refused", 2.0, 0.1, sent), Failure("x", 3.0), Time(4.25)):
        assert result_from_wire(_trip(result_to_wire(result))) == result
