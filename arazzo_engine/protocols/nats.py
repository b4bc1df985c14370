"""NATS through `nats-py` (extra ``[nats]``): core NATS subjects, with message headers.

A channel address is a subject (``*`` and ``>`` wildcards allowed when listening). A publish
completes after a flush, i.e. once the server has answered a PING sent after the message, so
the server has it. Headers travel as NATS headers (one value per name); the content type, when
the message has one, as a ``Content-Type`` header unless the headers already carry one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from ..run.commands import Headers, Message, header_values
from .base import BrokerError, ConnectSettings, Deliver, Endpoint, TlsSettings

__all__ = ["NatsConnection", "connect"]

_ERRORS = (nats.errors.Error, OSError)


class NatsConnection:
    """One NATS connection."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def subscribe(
        self, address: str, deliver: Deliver, bindings: Mapping[str, Any]
    ) -> Subscription:
        """Subscribe to the subject ``address``; return once the server has the interest."""

        async def handler(msg: Msg) -> None:
            headers = tuple((str(k), str(v)) for k, v in (msg.headers or {}).items())
            content = header_values(headers, "content-type")
            deliver(
                Message(
                    address=msg.subject,
                    headers=headers,
                    payload=bytes(msg.data),
                    at=time.time(),
                    content_type=content[0] if content else None,
                    extra=(("reply", msg.reply),) if msg.reply else (),
                )
            )

        queue = bindings.get("queue")
        try:
            subscription = await self._client.subscribe(
                address, queue=str(queue) if queue else "", cb=handler
            )
            await self._client.flush()
        except _ERRORS as exc:
            raise BrokerError(f"NATS subscribe to {address!r} failed: {exc!r}") from None
        return subscription

    async def unsubscribe(self, handle: object) -> None:
        """Drop a subscription."""
        if not isinstance(handle, Subscription):
            return
        try:
            await handle.unsubscribe()
        except _ERRORS as exc:
            raise BrokerError(f"NATS unsubscribe failed: {exc!r}") from None

    async def publish(
        self,
        address: str,
        headers: Headers,
        payload: bytes,
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        """Publish and flush (the server has the message when this returns)."""
        fields: dict[str, str] = {}
        for name, value in headers:
            if name in fields:
                raise BrokerError(f"NATS headers hold one value per name ({name!r} repeats)")
            fields[name] = value
        if content_type and not header_values(headers, "content-type"):
            fields["Content-Type"] = content_type
        try:
            await self._client.publish(address, payload, headers=fields or None)
            await self._client.flush()
        except _ERRORS as exc:
            raise BrokerError(f"NATS publish to {address!r} failed: {exc!r}") from None

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._client.is_closed:
            return
        try:
            await self._client.close()
        except _ERRORS as exc:
            raise BrokerError(f"NATS close failed: {exc!r}") from None


async def connect(endpoint: Endpoint, settings: ConnectSettings) -> NatsConnection:
    """Open a NATS connection to ``endpoint`` (no reconnects: a run fails rather than hangs)."""
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(repr(exc))

    credentials = settings.credentials
    user = credentials.username if credentials else endpoint.username
    password = credentials.password if credentials else endpoint.password
    # A server that requires TLS says so when the client connects, and the client upgrades;
    # the given TLS settings (CA bundle, client certificate) are used whenever it does.
    tls = (settings.tls or TlsSettings()).context() if settings.tls or endpoint.tls else None
    port = endpoint.port or 4222
    try:
        client = await nats.connect(
            servers=[f"nats://{endpoint.host}:{port}"],
            user=user,
            password=password,
            tls=tls,
            connect_timeout=max(1, round(settings.connect_timeout)),
            allow_reconnect=False,
            max_reconnect_attempts=0,
            error_cb=on_error,
            name=settings.client_id or "arazzo-engine",
        )
    except _ERRORS as exc:
        detail = errors[-1] if errors else repr(exc)
        raise BrokerError(
            f"cannot connect to NATS server {endpoint.host}:{port}: {detail}"
        ) from None
    return NatsConnection(client)
