"""The plain data the run core and its drivers exchange (the sans-IO boundary).

The core (`arazzo_engine.run.core.execute`) is a generator. It *yields* commands, immutable
values that say what it needs from the outside world, and is *sent* back results, immutable
values that say what happened. Nothing here imports httpx, a broker client, a clock or a
socket: a synchronous driver, an asynchronous one, a test with canned replies, a replay of a
recorded run and a Temporal workflow all drive the same core with the same values.

| command (yielded)   | result (sent back)                    |
|---------------------|---------------------------------------|
| `HttpExchange`      | `HttpReply` or `Failure`              |
| `Wait`              | `Time` (the clock once the wait ends) |
| `Now`               | `Time`                                |
| `Publish`           | `Published` or `Failure`              |
| `Subscribe`         | `Subscribed` or `Failure`             |
| `Receive`           | `Message` or `Failure`                |
| `Unsubscribe`       | `Time`                                |

Every result carries the time it was produced (``at``, seconds since the epoch), so the core
reads no clock of its own: driving it twice with the same results gives the same `RunResult`.

Auth is named, not carried: an `HttpExchange` names the security binding (``auth``) its
driver applies when it sends (signing, tokens, cookies), so that credentials live in the
driver, never in the command, the result, a log or a workflow engine's history. ``sent`` on a
reply is the request as it went on the wire, after auth (the core redacts before recording).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Command",
    "Failure",
    "Headers",
    "HttpExchange",
    "HttpReply",
    "Message",
    "Now",
    "Publish",
    "Published",
    "Receive",
    "Result",
    "SentRequest",
    "Subscribe",
    "Subscribed",
    "Time",
    "Unsubscribe",
    "Wait",
    "header_values",
]

#: Header fields in order, names as sent or received (compare them case-insensitively).
Headers = tuple[tuple[str, str], ...]


def header_values(headers: Headers, name: str) -> list[str]:
    """Every value of header ``name`` (case-insensitive), in order."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpExchange:
    """Send one HTTP request and read its whole response.

    ``auth`` names the security binding the driver applies (``None``: send as is); ``timeout``
    bounds the whole exchange, headers and body included; ``connect_timeout`` and
    ``read_timeout`` bound those phases when set; ``max_body`` is the most response bytes
    (after decompression) the driver may read before it answers `Failure`.
    """

    step_id: str
    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""
    auth: str | None = None
    timeout: float = 30.0
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_body: int | None = None


@dataclass(frozen=True)
class Wait:
    """Wait ``seconds`` (a retry's delay), then answer `Time`."""

    step_id: str
    seconds: float


@dataclass(frozen=True)
class Now:
    """Answer `Time`: the core needs the time and has no clock of its own."""

    step_id: str = ""


@dataclass(frozen=True)
class Subscribe:
    """Start listening on a channel before anything is sent that could cause a reply there
    (brokers drop messages nobody is subscribed to yet). ``subscription`` is the core's name for
    it, used by `Receive` and `Unsubscribe`."""

    subscription: str
    protocol: str
    server: str
    address: str
    bindings: tuple[tuple[str, Any], ...] = ()
    auth: str | None = None


@dataclass(frozen=True)
class Publish:
    """Hand one message to a broker; complete when the broker has it."""

    step_id: str
    protocol: str
    server: str
    address: str
    headers: Headers = ()
    payload: bytes = b""
    content_type: str | None = None
    bindings: tuple[tuple[str, Any], ...] = ()
    auth: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Receive:
    """Answer the next message of ``subscription`` not answered before (buffered since the
    `Subscribe`), or `Failure` when none arrives within ``timeout`` seconds. The core matches
    correlation ids and criteria itself, asking again for the next message until it matches."""

    step_id: str
    subscription: str
    timeout: float
    max_payload: int | None = None


@dataclass(frozen=True)
class Unsubscribe:
    """Stop listening (the run no longer needs ``subscription``)."""

    subscription: str


Command = HttpExchange | Wait | Now | Subscribe | Publish | Receive | Unsubscribe


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentRequest:
    """A request as it went on the wire, auth applied (unredacted: the core masks it)."""

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""


@dataclass(frozen=True)
class HttpReply:
    """The response to an `HttpExchange`: its status, headers and whole body, when the
    exchange started (``at``, epoch seconds) and how long it took (``elapsed``, seconds)."""

    status: int
    headers: Headers
    body: bytes
    sent: SentRequest
    at: float
    elapsed: float
    reason: str = ""
    http_version: str = "HTTP/1.1"


@dataclass(frozen=True)
class Failure:
    """The command got no result: refused, timed out, a TLS error, a body over its limit, no
    message in time. ``sent`` is what went out, when anything did."""

    reason: str
    at: float
    elapsed: float = 0.0
    sent: SentRequest | None = None


@dataclass(frozen=True)
class Time:
    """The clock: seconds since the epoch."""

    at: float


@dataclass(frozen=True)
class Published:
    """The broker took the message of a `Publish`."""

    at: float
    elapsed: float
    headers: Headers = ()
    payload: bytes = b""


@dataclass(frozen=True)
class Subscribed:
    """The subscription of a `Subscribe` is live."""

    at: float


@dataclass(frozen=True)
class Message:
    """One message received on a subscription."""

    address: str
    headers: Headers
    payload: bytes
    at: float
    content_type: str | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=())


Result = HttpReply | Failure | Time | Published | Subscribed | Message
