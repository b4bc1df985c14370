"""AsyncAPI source descriptions: servers, channels, operations and messages, `$ref`s resolved.

`AsyncAPIDescription` reads an AsyncAPI 3.0 document (and a 2.6 one, mapped onto the same
model) so that message steps can bind to an operation by ``operationId`` or to a channel by
``channelPath`` and know where to send or listen, what a message looks like and where its
correlation id sits.
"""

from __future__ import annotations

from .description import (
    AsyncAPIDescription,
    AsyncOperation,
    Channel,
    CorrelationId,
    MessageDefinition,
    Reply,
    Server,
    ServerVariable,
    render_address,
)

__all__ = [
    "AsyncAPIDescription",
    "AsyncOperation",
    "Channel",
    "CorrelationId",
    "MessageDefinition",
    "Reply",
    "Server",
    "ServerVariable",
    "render_address",
]
