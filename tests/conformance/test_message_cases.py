"""The message-step conformance cases: data in ``message_cases/``, run over real brokers.

Each case is an Arazzo 1.1 workflow (``arazzo``: its workflows; the source description is the
AsyncAPI document below, named ``orders``), the inputs, the broker-side peer (``peer``: for a
message on address ``listen``, publish each ``reply``, where ``${field}`` is that field of the
message's payload) and what is expected: the run's success, outputs and error text, each step
(success, outputs, the action chosen, how many messages it skipped), and what the peer
received. Every case runs on MQTT (amqtt) and on NATS (nats-server; skipped without it).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_engine import run_workflow
from arazzo_engine.protocols.local import LocalBroker
from arazzo_engine.protocols.session import SyncMessageSession
from arazzo_engine.run.commands import Failure, Message, Publish, Receive, Subscribe
from tests.support.brokers import start_broker

CASES = Path(__file__).parent / "message_cases"
CASE_FILES = sorted(CASES.glob("*.yaml"))

ASYNCAPI: dict[str, Any] = {
    "asyncapi": "3.0.0",
    "info": {"title": "orders", "version": "1"},
    "servers": {"broker": {"host": "127.0.0.1:1", "protocol": "mqtt"}},
    "channels": {
        "place": {
            "address": "orders/place",
            "messages": {"m": {"$ref": "#/components/messages/O"}},
        },
        "confirm": {
            "address": "orders/confirm",
            "messages": {"m": {"$ref": "#/components/messages/O"}},
        },
    },
    "operations": {
        "placeOrder": {"action": "send", "channel": {"$ref": "#/channels/place"}},
        "confirmOrder": {"action": "receive", "channel": {"$ref": "#/channels/confirm"}},
    },
    "components": {
        "messages": {
            "O": {
                "contentType": "application/json",
                "correlationId": {"location": "$message.payload#/id"},
                "payload": {"type": "object"},
            }
        }
    },
}


@pytest.fixture(scope="module", params=["mqtt", "nats"])
def broker(request: pytest.FixtureRequest) -> Iterator[LocalBroker]:
    with start_broker(request.param) as started:
        yield started


class Peer:
    """The broker side of a case: answers messages by its rules, records what it received."""

    def __init__(self, broker: LocalBroker, rules: list[dict[str, Any]]) -> None:
        self.broker = broker
        self.rules = rules
        self.received: list[dict[str, Any]] = []
        self.session = SyncMessageSession()
        self.stop = threading.Event()
        for index, rule in enumerate(rules):
            answer = self.session.execute(
                Subscribe(f"rule{index}", broker.protocol, broker.url, rule["listen"])
            )
            assert not isinstance(answer, Failure), answer
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self) -> None:
        while not self.stop.is_set():
            for index, rule in enumerate(self.rules):
                got = self.session.execute(Receive("peer", f"rule{index}", 0.05))
                if isinstance(got, Message):
                    payload = json.loads(got.payload)
                    self.received.append({"address": got.address, "payload": payload})
                    for reply in rule.get("reply", []):
                        body = _fill(reply["payload"], payload)
                        self.session.execute(
                            Publish(
                                "peer",
                                self.broker.protocol,
                                self.broker.url,
                                reply["address"],
                                payload=json.dumps(body).encode(),
                                content_type="application/json",
                            )
                        )

    def __enter__(self) -> Peer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
        self.session.close()


def _fill(value: Any, payload: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = re.fullmatch(r"\$\{(\w+)\}", value)
        if whole:
            return payload.get(whole.group(1))
        return re.sub(r"\$\{(\w+)\}", lambda m: str(payload.get(m.group(1))), value)
    if isinstance(value, dict):
        return {k: _fill(v, payload) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, payload) for v in value]
    return value


def _write(directory: Path, case: dict[str, Any]) -> Path:
    (directory / "orders.asyncapi.yaml").write_text(yaml.safe_dump(ASYNCAPI, sort_keys=False))
    document = {
        "arazzo": "1.1.0",
        "info": {"title": case["description"], "version": "1"},
        "sourceDescriptions": [
            {"name": "orders", "url": "./orders.asyncapi.yaml", "type": "asyncapi"}
        ],
        **case["arazzo"],
    }
    path = directory / "flow.arazzo.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_message_case(path: Path, broker: LocalBroker, tmp_path: Path) -> None:
    case: dict[str, Any] = yaml.safe_load(path.read_text())
    document = _write(tmp_path, case)
    expect = case["expect"]
    with Peer(broker, case.get("peer") or []) as peer:
        result = run_workflow(
            document, case["workflow"], case.get("inputs"), servers={"orders": broker.url}
        )
        # The broker has every message sent; the peer may still be reading the last one.
        deadline = time.monotonic() + 5
        while len(peer.received) < len(expect.get("received", ())) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.01)
    assert result.success is expect["success"], result.error
    if "outputs" in expect:
        assert result.outputs == expect["outputs"]
    if "error" in expect:
        assert expect["error"] in (result.error or ""), result.error
    if "received" in expect:
        assert peer.received == expect["received"]
    steps = expect.get("steps")
    if steps is not None:
        assert [s.step_id for s in result.steps] == [s["stepId"] for s in steps]
        for record, wanted in zip(result.steps, steps, strict=True):
            assert record.success is wanted["success"], (record.step_id, record.error)
            if "outputs" in wanted:
                assert record.outputs == wanted["outputs"]
            if "action" in wanted:
                assert record.action is not None and wanted["action"] in record.action
            if "skipped" in wanted:
                assert record.message.skipped_count == wanted["skipped"]
