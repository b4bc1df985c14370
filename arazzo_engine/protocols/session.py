"""Carrying out the message commands of a run: `Subscribe`, `Publish`, `Receive`, `Unsubscribe`.

`MessageSession` is the asynchronous driver side of message steps. It opens one connection per
(protocol, server, auth) on first use and keeps it for the run. A subscription buffers every
message that arrives from the moment the broker confirmed it, so a reply that races ahead of the
step waiting for it is not lost; the buffer is bounded (``buffer_limit`` messages), and messages
beyond the bound are counted, not kept. `Receive` answers the oldest buffered message not
answered before, or waits for the next one up to its timeout and answers `Failure`.
`Publish` answers once the adapter says the broker has the message.

`SyncMessageSession` runs a `MessageSession` on an event loop in a background thread, so a
synchronous driver uses the same code.

Nothing here raises for a broker problem: every command gets a result, `Failure` with a reason
that is safe to show (no credentials, user information stripped from URLs).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from ..errors import ConfigurationError
from ..run.commands import (
    Failure,
    Message,
    Publish,
    Published,
    Receive,
    Result,
    Subscribe,
    Subscribed,
    Time,
    Unsubscribe,
)
from . import adapter_for, load_connect
from .base import (
    BrokerCredentials,
    BrokerError,
    Connection,
    ConnectSettings,
    Endpoint,
    TlsSettings,
    redact_url,
)

__all__ = [
    "DEFAULT_BUFFER_LIMIT",
    "MESSAGE_COMMANDS",
    "MessageCommand",
    "MessageSession",
    "SubscriptionStats",
    "SyncMessageSession",
]

#: How many unanswered messages one subscription keeps.
DEFAULT_BUFFER_LIMIT = 256

MessageCommand = Subscribe | Publish | Receive | Unsubscribe
MESSAGE_COMMANDS = (Subscribe, Publish, Receive, Unsubscribe)

T = TypeVar("T")


@dataclass(frozen=True)
class SubscriptionStats:
    """What a subscription saw: messages received, answered, still buffered and dropped."""

    address: str
    received: int
    answered: int
    buffered: int
    dropped: int


@dataclass
class _Subscription:
    command: Subscribe
    connection: Connection
    handle: object
    limit: int
    buffer: deque[Message] = field(default_factory=deque)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    received: int = 0
    answered: int = 0
    dropped: int = 0

    def deliver(self, message: Message) -> None:
        self.received += 1
        if len(self.buffer) >= self.limit:
            self.dropped += 1
            return
        self.buffer.append(message)
        self.arrived.set()

    def stats(self) -> SubscriptionStats:
        return SubscriptionStats(
            self.command.address, self.received, self.answered, len(self.buffer), self.dropped
        )


def _endpoint(protocol: str, server: str) -> tuple[Endpoint, str | None]:
    """Parse a server URL; a ``protocolVersion`` query parameter selects the version."""
    info = adapter_for(protocol)
    secure = (protocol,) if info.secure else ()
    endpoint = Endpoint.parse(server, secure_schemes=secure)
    versions = parse_qs(urlsplit(server).query).get("protocolVersion")
    return endpoint, (versions[0] if versions else None)


class MessageSession:
    """Executes message commands against real brokers (asyncio; one per run).

    ``credentials`` maps the ``auth`` name a command carries to a user and password; ``tls``
    applies to every TLS connection (``secure-mqtt``, ``mqtts``...).
    """

    def __init__(
        self,
        *,
        credentials: Mapping[str, BrokerCredentials] | None = None,
        tls: TlsSettings | None = None,
        buffer_limit: int = DEFAULT_BUFFER_LIMIT,
        connect_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = dict(credentials or {})
        self._tls = tls
        self._limit = max(1, buffer_limit)
        self._connect_timeout = connect_timeout
        self._clock = clock
        self._connections: dict[tuple[str, str, str | None], Connection] = {}
        self._connecting: dict[tuple[str, str, str | None], asyncio.Lock] = {}
        self._subscriptions: dict[str, _Subscription] = {}
        self._closed: dict[str, SubscriptionStats] = {}

    # -- commands -------------------------------------------------------------------------

    async def execute(self, command: MessageCommand) -> Result:
        """Carry out one message command and answer its result."""
        if isinstance(command, Subscribe):
            return await self.subscribe(command)
        if isinstance(command, Publish):
            return await self.publish(command)
        if isinstance(command, Receive):
            return await self.receive(command)
        return await self.unsubscribe(command)

    async def subscribe(self, command: Subscribe) -> Subscribed | Failure:
        """Start listening; answer `Subscribed` once the broker confirmed."""
        started = self._clock()
        if command.subscription in self._subscriptions:
            return Failure(f"subscription {command.subscription!r} already exists", started)

        async def listen(connection: Connection) -> _Subscription:
            entry = _Subscription(command, connection, None, self._limit)
            entry.handle = await connection.subscribe(
                command.address, entry.deliver, dict(command.bindings)
            )
            return entry

        entry = await self._on_broker(
            command,
            listen,
            self._connect_timeout,
            f"subscribing to {command.address!r} on {redact_url(command.server)} took "
            f"longer than {self._connect_timeout:g}s",
            started,
        )
        if isinstance(entry, Failure):
            return entry
        self._subscriptions[command.subscription] = entry
        return Subscribed(self._clock())

    async def publish(self, command: Publish) -> Published | Failure:
        """Hand a message to the broker; answer `Published` once the broker has it."""
        started = self._clock()

        async def hand_over(connection: Connection) -> None:
            await connection.publish(
                command.address,
                command.headers,
                command.payload,
                command.content_type,
                dict(command.bindings),
            )

        failed = await self._on_broker(
            command,
            hand_over,
            command.timeout,
            f"the broker did not take the message for {command.address!r} within "
            f"{command.timeout:g}s",
            started,
        )
        if isinstance(failed, Failure):
            return failed
        return Published(started, self._clock() - started, command.headers, command.payload)

    async def _on_broker(
        self,
        command: Subscribe | Publish,
        act: Callable[[Connection], Awaitable[T]],
        timeout: float,
        late: str,
        started: float,
    ) -> T | Failure:
        """``act`` on the command's connection within ``timeout`` seconds; a broker or
        configuration problem, or the broker taking longer (``late``), as `Failure`."""
        try:
            connection = await self._connection(command.protocol, command.server, command.auth)
            return await asyncio.wait_for(act(connection), timeout)
        except (BrokerError, ConfigurationError) as exc:
            return Failure(str(exc), started, self._clock() - started)
        except asyncio.TimeoutError:
            return Failure(late, started, self._clock() - started)

    async def receive(self, command: Receive) -> Message | Failure:
        """The next unanswered message of the subscription, or `Failure` after the timeout."""
        started = self._clock()
        entry = self._subscriptions.get(command.subscription)
        if entry is None:
            return Failure(f"no subscription {command.subscription!r} is open", started)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, command.timeout)
        while not entry.buffer:
            entry.arrived.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(entry.arrived.wait(), remaining)
            except asyncio.TimeoutError:
                break
        if not entry.buffer:
            dropped = f" ({entry.dropped} dropped: buffer full)" if entry.dropped else ""
            return Failure(
                f"no message on {entry.command.address!r} within {command.timeout:g}s{dropped}",
                started,
                self._clock() - started,
            )
        message = entry.buffer.popleft()
        entry.answered += 1
        if command.max_payload is not None and len(message.payload) > command.max_payload:
            return Failure(
                f"a message on {message.address!r} has {len(message.payload)} bytes, over the "
                f"limit of {command.max_payload}",
                started,
                self._clock() - started,
            )
        return message

    async def unsubscribe(self, command: Unsubscribe) -> Time:
        """Stop listening (a subscription that is not open is ignored)."""
        entry = self._subscriptions.pop(command.subscription, None)
        if entry is not None:
            self._closed[command.subscription] = entry.stats()
            # Best effort: the run no longer needs it, and closing drops it anyway.
            with contextlib.suppress(BrokerError, asyncio.TimeoutError):
                await asyncio.wait_for(entry.connection.unsubscribe(entry.handle), 5.0)
        return Time(self._clock())

    # -- state ----------------------------------------------------------------------------

    def stats(self, subscription: str) -> SubscriptionStats | None:
        """What ``subscription`` saw so far (also after it was closed), or None."""
        entry = self._subscriptions.get(subscription)
        return entry.stats() if entry is not None else self._closed.get(subscription)

    async def aclose(self) -> None:
        """Unsubscribe everything and disconnect."""
        for name in list(self._subscriptions):
            await self.unsubscribe(Unsubscribe(name))
        connections, self._connections = list(self._connections.values()), {}
        for connection in connections:
            with contextlib.suppress(BrokerError, asyncio.TimeoutError):
                await asyncio.wait_for(connection.close(), 5.0)

    async def __aenter__(self) -> MessageSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- connections ----------------------------------------------------------------------

    async def _connection(self, protocol: str, server: str, auth: str | None) -> Connection:
        key = (protocol.lower(), server, auth)
        found = self._connections.get(key)
        if found is not None:
            return found
        lock = self._connecting.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._connections.get(key)
            if found is not None:
                return found
            endpoint, version = _endpoint(protocol, server)
            credentials = None
            if auth is not None:
                credentials = self._credentials.get(auth)
                if credentials is None:
                    raise ConfigurationError(
                        f"no credentials for {auth!r} (needed by {redact_url(server)})"
                    )
            settings = ConnectSettings(
                credentials=credentials,
                tls=self._tls,
                connect_timeout=self._connect_timeout,
                protocol_version=version,
            )
            connect = load_connect(protocol)
            try:
                connection: Connection = await asyncio.wait_for(
                    connect(endpoint, settings), self._connect_timeout + 1
                )
            except asyncio.TimeoutError:
                raise BrokerError(
                    f"connecting to {redact_url(server)} took longer than "
                    f"{self._connect_timeout:g}s"
                ) from None
            except OSError as exc:  # TLS files that cannot be read, refused sockets
                raise BrokerError(f"cannot connect to {redact_url(server)}: {exc}") from None
            self._connections[key] = connection
            return connection


class SyncMessageSession:
    """A `MessageSession` on an event loop in a background thread, for synchronous drivers.

    Use it as a context manager, or call `close` when the run ends.
    """

    def __init__(self, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="arazzo-messages", daemon=True
        )
        self._thread.start()
        self._closed = False

        async def make() -> MessageSession:
            return MessageSession(**options)

        self.session = self._run(make())

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def execute(self, command: MessageCommand) -> Result:
        """Carry out one message command (blocks until its result)."""
        if self._closed:
            raise RuntimeError("the message session is closed")
        return self._run(self.session.execute(command))

    def stats(self, subscription: str) -> SubscriptionStats | None:
        """What ``subscription`` saw so far (see `MessageSession.stats`)."""
        return self.session.stats(subscription)

    def close(self) -> None:
        """Unsubscribe, disconnect and stop the background loop (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._run(self.session.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def __enter__(self) -> SyncMessageSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
