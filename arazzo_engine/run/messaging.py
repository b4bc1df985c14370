"""The message half of the run core: what a send or receive step yields, and what it got.

These are generator functions the core delegates to (``outcome = yield from receive(...)``).
They yield only plain commands (`Subscribe`, `Publish`, `Now`, `Receive`, `Unsubscribe`) and
read no clock: the time a receive step waited is computed from the results' times, so driving
them twice with the same results gives the same outcome.

A receive step has a subscription of its own (named by `subscription_name`), opened before the
run's first send by `subscribe`, so that a reply that arrives before the step starts waits in
the driver's buffer. `receive` asks for messages until one carries the step's correlation id
or the step's timeout is spent; the ones it skips are kept (a few) for the step record.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from ..asyncapi.binding import MessageTarget
from ..asyncapi.messages import ReceivedMessage, correlation_matches, encode_payload
from .commands import (
    Command,
    Failure,
    Headers,
    Message,
    Now,
    Publish,
    Published,
    Receive,
    Result,
    Subscribe,
    Subscribed,
    Time,
    Unsubscribe,
)

__all__ = [
    "DEFAULT_RECEIVE_TIMEOUT",
    "MAX_SKIPPED_KEPT",
    "MessageRecord",
    "ReceiveOutcome",
    "SendOutcome",
    "SkippedMessage",
    "receive",
    "record_receive",
    "record_send",
    "send",
    "subscribe",
    "subscription_name",
    "unsubscribe",
]

#: Seconds a receive step waits when it has no ``timeout``.
DEFAULT_RECEIVE_TIMEOUT = 30.0
#: How many skipped (not matching) messages a step record keeps; the rest are only counted.
MAX_SKIPPED_KEPT = 10

Steps = Generator[Command, Result, Any]


def subscription_name(workflow_id: str, step_id: str) -> str:
    """The subscription of one receive step."""
    return f"{workflow_id}/{step_id}"


@dataclass(frozen=True)
class SendOutcome:
    """A send step's result: the message as sent (what ``$message`` reads), or a failure."""

    message: ReceivedMessage
    at: float
    elapsed: float
    failure: str | None = None


@dataclass(frozen=True)
class SkippedMessage:
    """A message a receive step saw but did not take (another correlation id)."""

    correlation_id: Any
    headers: Headers
    payload: bytes
    at: float


@dataclass(frozen=True)
class ReceiveOutcome:
    """A receive step's result: the matching message, or why there is none."""

    message: ReceivedMessage | None
    started: float
    waited: float
    correlation_id: Any = None
    skipped: tuple[SkippedMessage, ...] = ()
    skipped_count: int = 0
    failure: str | None = None


def subscribe(subscription: str, target: MessageTarget) -> Steps:
    """Open ``subscription`` on the target's channel; returns None or the failure reason."""
    result = yield Subscribe(
        subscription,
        target.protocol,
        target.server,
        target.address,
        target.bindings,
        target.auth,
    )
    if isinstance(result, Subscribed):
        return None
    if isinstance(result, Failure):
        return result.reason
    return f"unexpected answer to Subscribe: {type(result).__name__}"


def unsubscribe(subscription: str) -> Steps:
    """Close ``subscription``."""
    yield Unsubscribe(subscription)
    return None


def send(
    step_id: str,
    target: MessageTarget,
    headers: Headers,
    payload: Any,
    content_type: str | None = None,
    timeout: float = 30.0,
) -> Steps:
    """Publish one message; the outcome says when the broker took it, or why it did not."""
    kind = content_type or target.content_type
    body = encode_payload(payload, kind)
    result = yield Publish(
        step_id,
        target.protocol,
        target.server,
        target.address,
        headers,
        body,
        kind,
        target.bindings,
        target.auth,
        timeout,
    )
    if isinstance(result, Published):
        at, elapsed, failure = result.at, result.elapsed, None
    elif isinstance(result, Failure):
        at, elapsed, failure = result.at, result.elapsed, result.reason
    else:
        at, elapsed = 0.0, 0.0
        failure = f"unexpected answer to Publish: {type(result).__name__}"
    sent = ReceivedMessage(Message(target.address, headers, body, at, kind), kind)
    return SendOutcome(sent, at, elapsed, failure)


def receive(
    step_id: str,
    subscription: str,
    target: MessageTarget,
    expected: Any = None,
    timeout: float | None = None,
    max_payload: int | None = None,
) -> Steps:
    """Wait for the message of ``subscription`` whose correlation id is ``expected``.

    With ``expected`` None, the first message is taken. Gives up when ``timeout`` seconds
    (`DEFAULT_RECEIVE_TIMEOUT` when None) have passed since the step started.
    """
    limit = DEFAULT_RECEIVE_TIMEOUT if timeout is None else max(0.0, timeout)
    clock = yield Now(step_id)
    started = clock.at if isinstance(clock, Time) else 0.0
    now = started
    skipped: list[SkippedMessage] = []
    count = 0
    while True:
        remaining = max(0.0, limit - (now - started))
        result = yield Receive(step_id, subscription, remaining, max_payload)
        if isinstance(result, Failure):
            now = max(now, result.at + result.elapsed)
            reason = result.reason
            if expected is not None:
                reason = f"no message with correlation id {expected!r}: {reason}"
                if count:
                    reason += f" ({count} other message(s) skipped)"
            return ReceiveOutcome(None, started, now - started, None, tuple(skipped), count, reason)
        if not isinstance(result, Message):
            return ReceiveOutcome(
                None,
                started,
                now - started,
                failure=f"unexpected answer to Receive: {type(result).__name__}",
            )
        now = max(now, result.at)
        received = ReceivedMessage(result, target.content_type)
        found = (
            received.correlation_id(target.correlation) if target.correlation is not None else None
        )
        if expected is None or correlation_matches(expected, found):
            return ReceiveOutcome(received, started, now - started, found, tuple(skipped), count)
        count += 1
        if len(skipped) < MAX_SKIPPED_KEPT:
            skipped.append(SkippedMessage(found, result.headers, result.payload, result.at))
        if now - started >= limit:
            return ReceiveOutcome(
                None,
                started,
                now - started,
                None,
                tuple(skipped),
                count,
                f"no message with correlation id {expected!r} within {limit:g}s "
                f"({count} other message(s) skipped)",
            )


@dataclass
class MessageRecord:
    """What a message step's record shows: the channel, the action, the message (headers,
    payload, correlation id), how long the step waited and the messages it skipped.

    Built unredacted by `record_send` / `record_receive`; the run's redactor masks it like a
    request and response."""

    action: str
    protocol: str
    server: str
    address: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload: Any = None
    correlation_id: Any = None
    waited: float = 0.0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    skipped_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "action": self.action,
            "protocol": self.protocol,
            "server": self.server,
            "address": self.address,
            "headers": [[k, v] for k, v in self.headers],
            "payload": self.payload,
        }
        if self.correlation_id is not None:
            out["correlationId"] = self.correlation_id
        if self.action == "receive":
            out["waitedMs"] = round(self.waited * 1000, 3)
            out["skipped"] = self.skipped
            out["skippedCount"] = self.skipped_count
        return out


def _payload_of(message: ReceivedMessage | None) -> Any:
    return None if message is None else message.message_payload()


def record_send(target: MessageTarget, outcome: SendOutcome) -> MessageRecord:
    """The record of a send step."""
    from ..protocols.base import redact_url

    return MessageRecord(
        "send",
        target.protocol,
        redact_url(target.server),
        target.address,
        list(outcome.message.headers),
        _payload_of(outcome.message),
    )


def record_receive(target: MessageTarget, outcome: ReceiveOutcome) -> MessageRecord:
    """The record of a receive step (skipped messages as headers, payload, correlation id)."""
    from ..media import decode_body
    from ..protocols.base import redact_url

    skipped = [
        {
            "correlationId": s.correlation_id,
            "headers": [[k, v] for k, v in s.headers],
            "payload": decode_body(s.payload, target.content_type or "application/json"),
        }
        for s in outcome.skipped
    ]
    return MessageRecord(
        "receive",
        target.protocol,
        redact_url(target.server),
        target.address,
        list(outcome.message.headers) if outcome.message else [],
        _payload_of(outcome.message),
        outcome.correlation_id,
        outcome.waited,
        skipped,
        outcome.skipped_count,
    )
