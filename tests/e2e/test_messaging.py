"""The message session against real brokers (amqtt for MQTT, nats-server for NATS).

These drive `MessageSession` / `SyncMessageSession` with the same commands the run core
yields, and the example responder answers on the broker as a separate process.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_engine.protocols.base import BrokerCredentials, TlsSettings
from arazzo_engine.protocols.local import LocalBroker, start_mqtt
from arazzo_engine.protocols.session import MessageSession, SyncMessageSession
from arazzo_engine.run.commands import (
    Failure,
    Message,
    Publish,
    Published,
    Receive,
    Subscribe,
    Subscribed,
    Time,
    Unsubscribe,
)
from tests.support.brokers import mqtt5_broker, nats_broker, require_mqtt, responder, start_broker

PROTOCOLS = ["mqtt", "nats"]


@pytest.fixture(scope="module", params=PROTOCOLS)
def broker(request: pytest.FixtureRequest) -> Iterator[LocalBroker]:
    with start_broker(request.param) as started:
        yield started


def _order(request_id: str, pet_id: int = 7) -> bytes:
    return json.dumps({"orderRequestId": request_id, "petId": pet_id}).encode()


def _wait_buffered(session: SyncMessageSession, name: str, count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stats = session.stats(name)
        if stats is not None and stats.buffered >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{name} did not buffer {count} message(s): {session.stats(name)}")


def test_subscribe_before_send_async(broker: LocalBroker) -> None:
    async def run() -> tuple[object, ...]:
        async with MessageSession() as session:
            sub = await session.execute(Subscribe("s", broker.protocol, broker.url, "t/async"))
            pub = await session.execute(
                Publish("send", broker.protocol, broker.url, "t/async", payload=b'{"n": 1}')
            )
            got = await session.execute(Receive("recv", "s", 5))
            again = await session.execute(Receive("recv", "s", 0.3))
            done = await session.execute(Unsubscribe("s"))
            return sub, pub, got, again, done

    sub, pub, got, again, done = asyncio.run(run())
    assert isinstance(sub, Subscribed)
    assert isinstance(pub, Published) and pub.payload == b'{"n": 1}'
    assert isinstance(got, Message)
    assert (got.address, got.payload) == ("t/async", b'{"n": 1}')
    assert isinstance(again, Failure) and "no message on 't/async' within 0.3s" in again.reason
    assert isinstance(done, Time)


def test_reply_racing_ahead_of_receive_is_kept(broker: LocalBroker) -> None:
    with (
        responder(broker.url) as _ready,
        SyncMessageSession() as session,
    ):
        sub = session.execute(
            Subscribe("confirm", broker.protocol, broker.url, "pets/confirm-order")
        )
        assert isinstance(sub, Subscribed)
        sent = session.execute(
            Publish("place", broker.protocol, broker.url, "pets/place-order", payload=_order("r1"))
        )
        assert isinstance(sent, Published)
        # The confirmation is in the buffer before anyone asks for it...
        _wait_buffered(session, "confirm", 1)
        got = session.execute(Receive("confirmOrder", "confirm", 5))
        # ... and the receive that starts afterwards still gets it.
        assert isinstance(got, Message)
        body = json.loads(got.payload)
        assert body["orderRequestId"] == "r1" and body["status"] == "confirmed"


def test_wrong_correlation_id_comes_first_then_the_right_one(broker: LocalBroker) -> None:
    with responder(broker.url, mode="wrong-first"), SyncMessageSession() as session:
        session.execute(Subscribe("confirm", broker.protocol, broker.url, "pets/confirm-order"))
        session.execute(
            Publish("place", broker.protocol, broker.url, "pets/place-order", payload=_order("r2"))
        )
        seen = []
        for _ in range(2):
            got = session.execute(Receive("confirmOrder", "confirm", 5))
            assert isinstance(got, Message)
            seen.append(json.loads(got.payload)["orderRequestId"])
        assert seen == ["not-r2", "r2"]


def test_no_reply_times_out_with_failure(broker: LocalBroker) -> None:
    with responder(broker.url, mode="silent"), SyncMessageSession() as session:
        session.execute(Subscribe("confirm", broker.protocol, broker.url, "pets/confirm-order"))
        session.execute(
            Publish("place", broker.protocol, broker.url, "pets/place-order", payload=_order("r3"))
        )
        got = session.execute(Receive("confirmOrder", "confirm", 0.5))
        assert isinstance(got, Failure)
        assert "no message on 'pets/confirm-order' within 0.5s" in got.reason
        assert got.elapsed >= 0.5


def test_buffer_is_bounded_and_counts_what_it_drops(broker: LocalBroker) -> None:
    with SyncMessageSession(buffer_limit=2) as session:
        session.execute(Subscribe("s", broker.protocol, broker.url, "t/bounded"))
        for n in range(5):
            result = session.execute(
                Publish("send", broker.protocol, broker.url, "t/bounded", payload=str(n).encode())
            )
            assert isinstance(result, Published)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stats = session.stats("s")
            if stats is not None and stats.received == 5:
                break
            time.sleep(0.02)
        assert stats is not None
        assert (stats.received, stats.buffered, stats.dropped) == (5, 2, 3)
        first = session.execute(Receive("r", "s", 1))
        second = session.execute(Receive("r", "s", 1))
        assert isinstance(first, Message) and isinstance(second, Message)
        assert (first.payload, second.payload) == (b"0", b"1")
        third = session.execute(Receive("r", "s", 0.2))
        assert isinstance(third, Failure) and "3 dropped" in third.reason


def test_payload_over_the_limit_fails(broker: LocalBroker) -> None:
    with SyncMessageSession() as session:
        session.execute(Subscribe("s", broker.protocol, broker.url, "t/big"))
        session.execute(Publish("send", broker.protocol, broker.url, "t/big", payload=b"x" * 100))
        got = session.execute(Receive("r", "s", 5, max_payload=10))
        assert isinstance(got, Failure) and "100 bytes, over the limit of 10" in got.reason


def test_unreachable_broker_is_a_failure_not_an_exception(broker: LocalBroker) -> None:
    from arazzo_engine.protocols.local import free_port

    url = f"{broker.protocol}://127.0.0.1:{free_port()}"
    with SyncMessageSession(connect_timeout=3) as session:
        sub = session.execute(Subscribe("s", broker.protocol, url, "t/x"))
        pub = session.execute(Publish("p", broker.protocol, url, "t/x", payload=b"1"))
        assert isinstance(sub, Failure) and "127.0.0.1" in sub.reason
        assert isinstance(pub, Failure)
        missing = session.execute(Receive("r", "nope", 0.1))
        assert isinstance(missing, Failure) and "no subscription 'nope'" in missing.reason


def test_mqtt_311_refuses_headers_rather_than_dropping_them() -> None:
    with start_broker("mqtt") as broker, SyncMessageSession() as session:
        got = session.execute(
            Publish("p", "mqtt", broker.url, "t/h", headers=(("orderRequestId", "1"),))
        )
        assert isinstance(got, Failure)
        assert "MQTT 3.1.1 messages have no headers" in got.reason
        assert "orderRequestId" in got.reason


def test_nats_headers_travel_with_the_message() -> None:
    with nats_broker() as broker, responder(broker.url) as _ready, SyncMessageSession() as session:
        session.execute(Subscribe("confirm", "nats", broker.url, "pets/confirm-order"))
        sent = session.execute(
            Publish(
                "place",
                "nats",
                broker.url,
                "pets/place-order",
                headers=(("orderRequestId", "h-1"),),
                payload=b'{"petId": 1}',
                content_type="application/json",
            )
        )
        assert isinstance(sent, Published)
        got = session.execute(Receive("confirmOrder", "confirm", 5))
        assert isinstance(got, Message)
        assert ("orderRequestId", "h-1") in got.headers
        assert got.content_type == "application/json"


def test_nats_user_and_password() -> None:
    secret = "s3cret-Pa55"
    with nats_broker(user="arazzo", password=secret) as broker:
        with SyncMessageSession(connect_timeout=3) as session:
            refused = session.execute(Subscribe("s", "nats", broker.url, "t/auth"))
            assert isinstance(refused, Failure)
            assert secret not in refused.reason
        credentials = {"broker": BrokerCredentials("arazzo", secret)}
        with SyncMessageSession(credentials=credentials) as session:
            sub = session.execute(Subscribe("s", "nats", broker.url, "t/auth", auth="broker"))
            assert isinstance(sub, Subscribed)
            pub = session.execute(Publish("p", "nats", broker.url, "t/auth", auth="broker"))
            assert isinstance(pub, Published)
            assert isinstance(session.execute(Receive("r", "s", 5)), Message)
            missing = session.execute(Publish("p", "nats", broker.url, "t/auth", auth="other"))
            assert isinstance(missing, Failure) and "no credentials for 'other'" in missing.reason
        assert secret not in repr(credentials)


def test_two_protocols_in_one_session() -> None:
    with (
        start_broker("mqtt") as mqtt,
        nats_broker() as nats,
        SyncMessageSession() as session,
    ):
        for broker in (mqtt, nats):
            sub = session.execute(Subscribe(broker.protocol, broker.protocol, broker.url, "t/two"))
            assert isinstance(sub, Subscribed)
        for broker in (mqtt, nats):
            payload = broker.protocol.encode()
            session.execute(Publish("p", broker.protocol, broker.url, "t/two", payload=payload))
        got_mqtt = session.execute(Receive("r", "mqtt", 5))
        got_nats = session.execute(Receive("r", "nats", 5))
        assert isinstance(got_mqtt, Message) and got_mqtt.payload == b"mqtt"
        assert isinstance(got_nats, Message) and got_nats.payload == b"nats"


def test_nats_tls_with_ca_bundle_and_client_certificate(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("arazzo-client@example.test")
    files = {
        "ca": tmp_path / "ca.pem",
        "cert": tmp_path / "server.pem",
        "key": tmp_path / "server.key",
        "client": tmp_path / "client.pem",
        "client_key": tmp_path / "client.key",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    server_cert.cert_chain_pems[0].write_to_path(str(files["cert"]))
    server_cert.private_key_pem.write_to_path(str(files["key"]))
    client_cert.cert_chain_pems[0].write_to_path(str(files["client"]))
    client_cert.private_key_pem.write_to_path(str(files["client_key"]))
    tls_files = (str(files["cert"]), str(files["key"]))
    with nats_broker(tls=tls_files, client_ca=str(files["ca"])) as broker:
        # Not trusting the server's CA: refused, and said so.
        with SyncMessageSession(connect_timeout=3) as session:
            refused = session.execute(Subscribe("s", "nats", broker.url, "t/tls"))
            assert isinstance(refused, Failure)
            assert "CERTIFICATE" in refused.reason.upper()
        # Trusting it but without a client certificate: the server refuses.
        no_cert = TlsSettings(ca_bundle=str(files["ca"]))
        with SyncMessageSession(tls=no_cert, connect_timeout=3) as session:
            refused = session.execute(Subscribe("s", "nats", broker.url, "t/tls"))
            # A TLS alert or a reset, depending on when the server hangs up.
            assert isinstance(refused, Failure) and "cannot connect" in refused.reason
        full = TlsSettings(
            ca_bundle=str(files["ca"]), cert=str(files["client"]), key=str(files["client_key"])
        )
        with SyncMessageSession(tls=full) as session:
            assert isinstance(
                session.execute(Subscribe("s", "nats", broker.url, "t/tls")), Subscribed
            )
            assert isinstance(
                session.execute(Publish("p", "nats", broker.url, "t/tls", payload=b"ok")), Published
            )
            got = session.execute(Receive("r", "s", 5))
            assert isinstance(got, Message) and got.payload == b"ok"


def test_secure_mqtt_verifies_the_broker_with_the_ca_bundle(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    server_cert.cert_chain_pems[0].write_to_path(str(tmp_path / "server.pem"))
    server_cert.private_key_pem.write_to_path(str(tmp_path / "server.key"))
    require_mqtt()
    with start_mqtt(tls=(str(tmp_path / "server.pem"), str(tmp_path / "server.key"))) as broker:
        assert broker.url.startswith("mqtts://")
        with SyncMessageSession(connect_timeout=3) as session:
            refused = session.execute(Subscribe("s", "mqtts", broker.url, "t/tls"))
            assert isinstance(refused, Failure)
            assert "CERTIFICATE" in refused.reason.upper()
        trusted = TlsSettings(ca_bundle=str(tmp_path / "ca.pem"))
        with SyncMessageSession(tls=trusted) as session:
            assert isinstance(
                session.execute(Subscribe("s", "mqtts", broker.url, "t/tls")), Subscribed
            )
            sent = session.execute(Publish("p", "mqtts", broker.url, "t/tls", payload=b"sealed"))
            assert isinstance(sent, Published)
            got = session.execute(Receive("r", "s", 5))
            assert isinstance(got, Message) and got.payload == b"sealed"


def test_mqtt5_carries_headers_and_content_type() -> None:
    with mqtt5_broker() as broker, SyncMessageSession() as session:
        url = broker.url + "?protocolVersion=5"
        assert isinstance(session.execute(Subscribe("s", "mqtt", url, "t/v5")), Subscribed)
        sent = session.execute(
            Publish(
                "p",
                "mqtt",
                url,
                "t/v5",
                headers=(("orderRequestId", "h-5"), ("tenant", "a")),
                payload=b'{"petId": 5}',
                content_type="application/json",
            )
        )
        assert isinstance(sent, Published)
        got = session.execute(Receive("r", "s", 5))
        assert isinstance(got, Message)
        assert got.headers == (("orderRequestId", "h-5"), ("tenant", "a"))
        assert got.content_type == "application/json"


def test_mqtt_user_and_password() -> None:
    secret = "mqtt-Pa55-w0rd"
    with mqtt5_broker(users={"arazzo": secret}) as broker:
        with SyncMessageSession(connect_timeout=3) as session:
            refused = session.execute(Subscribe("s", "mqtt", broker.url, "t/auth"))
            assert isinstance(refused, Failure) and secret not in refused.reason
        credentials = {"broker": BrokerCredentials("arazzo", secret)}
        with SyncMessageSession(credentials=credentials) as session:
            sub = session.execute(Subscribe("s", "mqtt", broker.url, "t/auth", auth="broker"))
            assert isinstance(sub, Subscribed)
            pub = session.execute(
                Publish("p", "mqtt", broker.url, "t/auth", payload=b"in", auth="broker")
            )
            assert isinstance(pub, Published)
            got = session.execute(Receive("r", "s", 5))
            assert isinstance(got, Message) and got.payload == b"in"
