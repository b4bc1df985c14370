"""AsyncAPI descriptions: operations, channels, messages, correlation ids, refs and errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from arazzo_engine.asyncapi import AsyncAPIDescription, render_address
from arazzo_engine.asyncapi.checks import check_message_step
from arazzo_engine.document.loader import load_text
from arazzo_engine.errors import BindingError, ConfigurationError, DocumentError
from arazzo_engine.protocols import adapter_for, binding_items, load_connect, supported_protocols

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "messages"
OFFICIAL_PET = Path("official/examples/1.1.0/pet-asyncapi.yaml")


def _load(path: Path, name: str = "src") -> AsyncAPIDescription:
    return AsyncAPIDescription(name, load_text(path.read_text(encoding="utf-8"), str(path)))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _corpus() -> Path | None:
    for base in (ROOT.parent / "shared", ROOT.parents[1] / "shared"):
        if (base / "arazzo-corpus" / OFFICIAL_PET).exists():
            return base / "arazzo-corpus"
    return None


def test_example_resolves_relative_file_refs_and_reply() -> None:
    description = _load(EXAMPLES / "pet-purchase.asyncapi.yaml")
    place = description.find_operation("placeOrder")
    confirm = description.find_operation("confirmOrder")
    assert place is not None and confirm is not None
    assert (place.action, place.channel.address) == ("send", "pets/place-order")
    assert (confirm.action, confirm.channel.address) == ("receive", "pets/confirm-order")
    assert place.reply is not None and place.reply.channel is confirm.channel
    message = place.messages[0]
    assert message.content_type == "application/json"
    assert message.payload is not None
    assert message.payload["required"] == ["orderRequestId", "petId"]  # schema $ref inlined
    correlation = confirm.correlation_id
    assert correlation is not None and correlation.source == "payload"
    assert correlation.extract((), {"orderRequestId": "r-1", "orderId": 7}) == "r-1"
    assert binding_items(place.bindings, "mqtt") == (("qos", 1),)
    assert description.servers["nats"].url() == "nats://127.0.0.1:4222"
    assert description.servers["mqtt"].url({"host": "127.0.0.1:5000"}) == "mqtt://127.0.0.1:5000"
    assert description.server_for(place.channel).name == "mqtt"
    assert description.channel_at("/channels/place-order") is place.channel


def test_official_pet_description_header_correlation() -> None:
    corpus = _corpus()
    if corpus is None:
        pytest.skip("the shared Arazzo corpus is not next to this checkout")
    description = _load(corpus / OFFICIAL_PET)
    place = description.find_operation("placeOrder")
    assert place is not None and place.action == "receive"
    assert place.reply is not None and place.reply.channel is not None
    assert place.reply.channel.address == "confirm-order"
    correlation = place.correlation_id
    assert correlation is not None and correlation.source == "header"
    headers = (("content-type", "application/json"), ("OrderRequestID", "abc"))
    assert correlation.extract(headers, None) == "abc"  # header names are case-insensitive
    assert correlation.extract((), None) is None
    assert description.servers["localKafka"].protocol == "kafka"


def test_channel_parameters_and_address() -> None:
    assert render_address("shop/{orderId}/events", {"orderId": "7"}) == "shop/7/events"
    with pytest.raises(KeyError):
        render_address("shop/{orderId}", {})


def test_asyncapi_2_6_maps_publish_to_receive(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "v2.yaml",
        """\
        asyncapi: 2.6.0
        info: {title: t, version: "1"}
        servers:
          broker:
            url: "mqtt://127.0.0.1:{port}"
            protocol: mqtt
            variables: {port: {default: "1883"}}
        channels:
          user/{id}/signedup:
            parameters:
              id: {schema: {type: string}}
            subscribe:
              operationId: userSignedUp
              message:
                payload: {type: object}
                correlationId: {location: "$message.payload#/id"}
            publish:
              operationId: signUpUser
              message: {payload: {type: object}}
        """,
    )
    description = _load(path)
    sent = description.find_operation("userSignedUp")
    got = description.find_operation("signUpUser")
    assert sent is not None and sent.action == "send"
    assert got is not None and got.action == "receive"
    assert sent.channel.parameter_names == ("id",)
    assert description.servers["broker"].url() == "mqtt://127.0.0.1:1883"


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        (
            """\
            channels:
              c:
                address: a
                messages:
                  m: {$ref: "#/components/messages/Missing"}
            """,
            "does not exist",
            7,
        ),
        (
            """\
            channels:
              c:
                address: a
                messages:
                  m: {$ref: "#/components/messages/A"}
            components:
              messages:
                A: {$ref: "#/components/messages/B"}
                B: {$ref: "#/components/messages/A"}
            """,
            "circular reference",
            None,
        ),
        (
            """\
            channels:
              c:
                address: a
                messages:
                  m:
                    correlationId: {location: "$request.header#/id"}
            """,
            "correlationId needs a 'location'",
            8,
        ),
        (
            """\
            channels:
              c: {address: a}
            operations:
              op:
                action: publish
                channel: {$ref: "#/channels/c"}
            """,
            "'action' must be 'send' or 'receive'",
            7,
        ),
        (
            """\
            channels:
              c:
                address: a
                messages:
                  m: {$ref: "./missing-file.yaml#/x"}
            """,
            "file not found",
            7,
        ),
    ],
)
def test_errors_are_located(tmp_path: Path, body: str, message: str, line: int | None) -> None:
    head = 'asyncapi: 3.0.0\ninfo: {title: t, version: "1"}\n'
    path = _write(tmp_path, "bad.yaml", head + textwrap.dedent(body))
    with pytest.raises(DocumentError) as caught:
        _load(path)
    assert message in str(caught.value)
    assert caught.value.location is not None
    if line is not None:
        assert caught.value.location.line == line


def test_not_asyncapi_and_unsupported_version(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="not an AsyncAPI document"):
        _load(_write(tmp_path, "a.yaml", "openapi: 3.1.0\n"))
    with pytest.raises(DocumentError, match=r"AsyncAPI 2\.0\.0 is not supported"):
        _load(_write(tmp_path, "b.yaml", "asyncapi: 2.0.0\n"))


def test_unknown_channel_pointer_is_a_binding_error() -> None:
    description = _load(EXAMPLES / "pet-purchase.asyncapi.yaml")
    with pytest.raises(BindingError, match="does not name a channel"):
        description.channel_at("/channels/nope")


def test_protocol_table() -> None:
    assert {"mqtt", "nats"} <= set(supported_protocols())
    with pytest.raises(ConfigurationError, match=r"'kafka' is not supported.*mqtt.*nats"):
        adapter_for("kafka")
    assert adapter_for("secure-mqtt").secure
    assert callable(load_connect("nats"))


def _sources() -> dict[str, AsyncAPIDescription]:
    return {"petOrders": _load(EXAMPLES / "pet-purchase.asyncapi.yaml", "petOrders")}


def test_checks_accept_the_example_steps() -> None:
    sources = _sources()
    send = {"operationId": "$sourceDescriptions.petOrders.placeOrder", "action": "send"}
    path = {"channelPath": "{$sourceDescriptions.petOrders.url}#/channels/confirm-order"}
    receive = {**path, "action": "receive", "correlationId": "x"}
    assert check_message_step(send, "/s/0", sources) == []
    assert check_message_step(receive, "/s/1", sources) == []


def test_checks_find_what_the_schema_cannot(tmp_path: Path) -> None:
    sources = _sources()
    unknown = check_message_step({"operationId": "nope", "action": "send"}, "/s", sources)
    assert [(c.code, c.pointer) for c in unknown] == [("unknown-operation-id", "/s/operationId")]
    bad_path = check_message_step({"channelPath": "orders", "action": "send"}, "/s", sources)
    assert [c.code for c in bad_path] == ["unknown-channel"]
    params = {
        "operationId": "placeOrder",
        "action": "send",
        "parameters": [
            {"name": "orderRequestId", "in": "header", "value": "1"},
            {"name": "shop", "in": "path", "value": "1"},
            {"name": "q", "in": "query", "value": "1"},
        ],
    }
    codes = [(c.code, c.pointer) for c in check_message_step(params, "/s", sources)]
    assert codes == [
        ("unknown-channel-parameter", "/s/parameters/1/name"),
        ("parameter-location", "/s/parameters/2/in"),
    ]
    kafka = _write(
        tmp_path,
        "kafka.yaml",
        """\
        asyncapi: 3.0.0
        info: {title: t, version: "1"}
        servers:
          k: {host: "localhost:9092", protocol: kafka}
        channels:
          orders:
            address: "orders/{region}"
            messages:
              m: {payload: {type: object}}
        operations:
          created: {action: receive, channel: {$ref: "#/channels/orders"}}
        """,
    )
    step = {"operationId": "created", "action": "receive", "correlationId": "1"}
    checks = check_message_step(step, "/s", {"k": _load(kafka, "k")})
    assert [c.code for c in checks] == [
        "unsupported-protocol",
        "correlation-id-without-location",
        "missing-channel-parameter",
    ]
    assert "kafka" in checks[0].message and "mqtt, mqtts, nats, secure-mqtt" in checks[0].message
