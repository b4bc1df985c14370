"""Message steps' plain data work: payload encoding, what ``$message`` reads, correlation.

No I/O here: the run core builds a `Publish` payload with `encode_payload`, wraps each
`Message` it is sent in a `ReceivedMessage` (which is the ``$message`` part of the step's
expression context) and keeps it only when `correlation_matches`.
"""

from __future__ import annotations

import json
from typing import Any

from ..expressions.context import Unresolved
from ..media import decode_body, is_json_media_type
from ..run.commands import Headers, Message, header_values
from .description import CorrelationId

__all__ = ["ReceivedMessage", "correlation_matches", "correlation_text", "encode_payload"]


def encode_payload(value: Any, content_type: str | None) -> bytes:
    """The bytes of a message payload: bytes as they are, text as UTF-8 unless the content
    type is JSON, everything else (and text for a JSON content type) as compact JSON."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and not is_json_media_type(content_type):
        return value.encode("utf-8")
    if value is None and content_type is None:
        return b""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ReceivedMessage:
    """A received message as runtime expressions read it (``$message.header``/``.payload``).

    The payload is decoded by the message's own content type, else the one the AsyncAPI
    message declares, else as JSON when it parses as JSON (brokers such as MQTT 3.1.1 carry
    no content type), else as text.
    """

    def __init__(self, message: Message, declared_content_type: str | None = None) -> None:
        self.message = message
        self.content_type = message.content_type or declared_content_type
        self._payload: Any = None
        self._decoded = False

    @property
    def headers(self) -> Headers:
        """The message's headers, in order."""
        return self.message.headers

    def message_header(self, name: str) -> Any:
        """``$message.header.<name>``: the first value of that header (case-insensitive)."""
        values = header_values(self.message.headers, name)
        if not values:
            raise Unresolved(f"the message has no header {name!r}")
        return values[0]

    def message_payload(self) -> Any:
        """``$message.payload``: the decoded payload (``None`` when empty)."""
        if not self._decoded:
            content_type = self.content_type
            if content_type is None and self.message.payload:
                try:
                    self._payload = json.loads(self.message.payload)
                except ValueError:
                    self._payload = decode_body(self.message.payload, "text/plain")
            else:
                self._payload = decode_body(self.message.payload, content_type)
            self._decoded = True
        return self._payload

    def correlation_id(self, location: CorrelationId) -> Any:
        """The value at the message's correlation id ``location`` (None when absent)."""
        payload = self.message_payload() if location.source == "payload" else None
        return location.extract(self.message.headers, payload)


def correlation_text(value: Any) -> str | None:
    """A correlation id as text, so that ``42`` in a payload matches ``"42"`` in a header."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def correlation_matches(expected: Any, actual: Any) -> bool:
    """True when a message's correlation id ``actual`` is the step's ``expected`` one."""
    wanted = correlation_text(expected)
    return wanted is not None and wanted == correlation_text(actual)
