"""MQTT through `aiomqtt` (extra ``[mqtt]``): MQTT 3.1.1, or 5.0 when the server says so.

Bindings (the operation's ``bindings.mqtt``): ``qos`` (0, 1 or 2) and ``retain``. Without a
``qos`` binding a message is published with QoS 1, so that a send completes once the broker
has acknowledged it, as a `Publish` promises. Message headers travel as MQTT 5 user
properties and the content type as its content-type property; MQTT 3.1.1 has neither, so a
send with headers over 3.1.1 fails with that reason rather than dropping them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..run.commands import Headers, Message
from .base import BrokerError, ConnectSettings, Deliver, Endpoint, TlsSettings

__all__ = ["MqttConnection", "connect"]

#: QoS of a publish whose operation has no ``qos`` binding (acknowledged by the broker).
DEFAULT_PUBLISH_QOS = 1


def _is_v5(version: str | None) -> bool:
    return version is not None and version.strip().startswith("5")


def _qos(bindings: Mapping[str, Any], default: int) -> int:
    qos = bindings.get("qos", default)
    if qos not in (0, 1, 2):
        raise BrokerError(f"MQTT qos binding must be 0, 1 or 2 (got {qos!r})")
    return int(qos)


@dataclass
class _Subscription:
    topic: str
    deliver: Deliver


class MqttConnection:
    """One MQTT client connection with a reader task dispatching to subscriptions."""

    def __init__(self, client: aiomqtt.Client, v5: bool) -> None:
        self._client = client
        self._v5 = v5
        self._subscriptions: dict[int, _Subscription] = {}
        self._ids = itertools.count(1)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._closed = False

    async def _read(self) -> None:
        with contextlib.suppress(aiomqtt.MqttError):
            async for message in self._client.messages:
                self._dispatch(message)

    def _dispatch(self, message: aiomqtt.Message) -> None:
        headers: list[tuple[str, str]] = []
        content_type: str | None = None
        props = message.properties
        if props is not None:
            for name, value in getattr(props, "UserProperty", None) or []:
                headers.append((str(name), str(value)))
            content_type = getattr(props, "ContentType", None)
        payload: Any = message.payload  # bytes from the wire; paho's type says more
        if not isinstance(payload, (bytes, bytearray)):
            payload = b"" if payload is None else str(payload).encode()
        received = Message(
            address=message.topic.value,
            headers=tuple(headers),
            payload=bytes(payload),
            at=time.time(),
            content_type=content_type,
            extra=(("qos", message.qos), ("retain", bool(message.retain))),
        )
        for subscription in list(self._subscriptions.values()):
            if message.topic.matches(subscription.topic):
                subscription.deliver(received)

    async def subscribe(self, address: str, deliver: Deliver, bindings: Mapping[str, Any]) -> int:
        """Subscribe to the topic ``address`` (wildcards allowed); return once SUBACKed."""
        qos = _qos(bindings, DEFAULT_PUBLISH_QOS)
        already = any(sub.topic == address for sub in self._subscriptions.values())
        handle = next(self._ids)
        self._subscriptions[handle] = _Subscription(address, deliver)
        if not already:
            try:
                await self._client.subscribe(address, qos=qos)
            except aiomqtt.MqttError as exc:
                del self._subscriptions[handle]
                raise BrokerError(f"MQTT subscribe to {address!r} failed: {exc}") from None
        return handle

    async def unsubscribe(self, handle: object) -> None:
        """Drop a subscription; unsubscribe from the broker when no other uses the topic."""
        subscription = self._subscriptions.pop(handle, None)  # type: ignore[call-overload]
        if subscription is None or self._closed:
            return
        if any(sub.topic == subscription.topic for sub in self._subscriptions.values()):
            return
        try:
            await self._client.unsubscribe(subscription.topic)
        except aiomqtt.MqttError as exc:
            raise BrokerError(f"MQTT unsubscribe from {subscription.topic!r}: {exc}") from None

    async def publish(
        self,
        address: str,
        headers: Headers,
        payload: bytes,
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        """Publish; with QoS 1 or 2 return once the broker acknowledged it."""
        qos = _qos(bindings, DEFAULT_PUBLISH_QOS)
        retain = bool(bindings.get("retain", False))
        properties: Properties | None = None
        if self._v5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if headers:
                properties.UserProperty = list(headers)
            if content_type:
                properties.ContentType = content_type
        elif headers:
            names = ", ".join(sorted({name for name, _ in headers}))
            raise BrokerError(
                f"MQTT 3.1.1 messages have no headers (cannot send {names}); set the "
                "server's protocolVersion to 5 to send them as user properties"
            )
        try:
            await self._client.publish(
                address, payload, qos=qos, retain=retain, properties=properties
            )
        except aiomqtt.MqttError as exc:
            raise BrokerError(f"MQTT publish to {address!r} failed: {exc}") from None

    async def close(self) -> None:
        """Disconnect and stop the reader."""
        if self._closed:
            return
        self._closed = True
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        with contextlib.suppress(aiomqtt.MqttError):
            await self._client.__aexit__(None, None, None)


async def connect(endpoint: Endpoint, settings: ConnectSettings) -> MqttConnection:
    """Open an MQTT connection to ``endpoint``."""
    v5 = _is_v5(settings.protocol_version)
    credentials = settings.credentials
    username = credentials.username if credentials else endpoint.username
    password = credentials.password if credentials else endpoint.password
    tls_context = (settings.tls or TlsSettings()).context() if endpoint.tls else None
    client = aiomqtt.Client(
        endpoint.host,
        endpoint.port or (8883 if tls_context else 1883),
        username=username,
        password=password,
        identifier=settings.client_id or f"arazzo-{uuid.uuid4().hex[:12]}",
        protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
        timeout=settings.connect_timeout,
        tls_context=tls_context,
    )
    try:
        await client.__aenter__()
    except aiomqtt.MqttError as exc:
        raise BrokerError(
            f"cannot connect to MQTT broker {endpoint.host}:{endpoint.port}: {exc}"
        ) from None
    return MqttConnection(client, v5)
