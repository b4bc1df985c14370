"""What every broker adapter provides, and the settings it connects with.

An adapter module (``arazzo_engine.protocols.mqtt``, ``...nats``) exposes one coroutine,
``connect(endpoint, settings) -> Connection``. A `Connection` subscribes (calling ``deliver``
for each message that arrives, from the event loop), unsubscribes, publishes (returning once the
broker has the message) and closes. Adapters turn their client library's errors into
`BrokerError`, so the session never needs a catch-all.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from ..run.commands import Headers, Message

__all__ = [
    "BrokerCredentials",
    "BrokerError",
    "ConnectSettings",
    "Connection",
    "Deliver",
    "Endpoint",
    "TlsSettings",
]


class BrokerError(Exception):
    """A broker refused, dropped or could not be reached (the reason is safe to show)."""


@dataclass(frozen=True)
class BrokerCredentials:
    """A user name and password for a broker (never shown: ``repr`` hides the password)."""

    username: str
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TlsSettings:
    """TLS options, as for HTTP: a CA bundle to trust, a client certificate and key.
    Verification is always on (as for HTTP): a CA bundle or a context replaces the trust
    store, nothing turns checking off."""

    ca_bundle: str | None = None
    cert: str | None = None
    key: str | None = None
    #: a ready SSL context (as ``verify=`` accepts for HTTP): used as it is
    ssl_context: ssl.SSLContext | None = None

    def context(self) -> ssl.SSLContext:
        """An SSL context built from these settings."""
        if self.ssl_context is not None:
            return self.ssl_context
        if self.ca_bundle is not None and os.path.isdir(self.ca_bundle):
            context = ssl.create_default_context(capath=self.ca_bundle)
        else:
            context = ssl.create_default_context(cafile=self.ca_bundle)
        if self.cert:
            context.load_cert_chain(self.cert, self.key)
        return context


@dataclass(frozen=True)
class ConnectSettings:
    """Everything an adapter needs beyond the endpoint."""

    credentials: BrokerCredentials | None = None
    tls: TlsSettings | None = None
    connect_timeout: float = 10.0
    protocol_version: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """A broker address parsed from a server URL such as ``mqtt://127.0.0.1:1883``."""

    scheme: str
    host: str
    port: int | None
    path: str
    tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str, secure_schemes: tuple[str, ...] = ()) -> Endpoint:
        """Parse ``url``; a scheme in ``secure_schemes`` means TLS."""
        parts = urlsplit(url)
        if not parts.hostname:
            raise BrokerError(f"no host in server {redact_url(url)!r}")
        try:
            port = parts.port
        except ValueError:
            raise BrokerError(f"bad port in server {redact_url(url)!r}") from None
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=port,
            path=parts.path,
            tls=parts.scheme in secure_schemes,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def redact_url(url: str) -> str:
    """``url`` without any user information (safe to show)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return parts._replace(netloc=host).geturl()


#: Called by a connection, on the event loop, for each message a subscription receives.
Deliver = Callable[[Message], None]


class Connection(Protocol):
    """One open connection to a broker."""

    async def subscribe(
        self, address: str, deliver: Deliver, bindings: Mapping[str, Any]
    ) -> object:
        """Listen on ``address``; return once the broker confirms. Returns a handle."""

    async def unsubscribe(self, handle: object) -> None:
        """Stop the subscription ``handle``."""

    async def publish(
        self,
        address: str,
        headers: Headers,
        payload: bytes,
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        """Hand one message to the broker; return once the broker has it."""

    async def close(self) -> None:
        """Disconnect (idempotent)."""


class Connect(Protocol):
    """The ``connect`` coroutine of an adapter module."""

    async def __call__(self, endpoint: Endpoint, settings: ConnectSettings) -> Connection: ...
