"""Binding a message step to an AsyncAPI operation and a broker: a `MessageTarget`.

A step names an operation by ``operationId`` (``$sourceDescriptions.<name>.<id>`` or a bare id
when one AsyncAPI source has it) or a channel by ``channelPath``
(``{$sourceDescriptions.<name>.url}#/channels/<name>``, or the same without braces). The
target says where to send or listen: protocol, broker URL (the run's ``servers`` override for
the source wins over the AsyncAPI server), channel address with its parameters filled, the
message's content type and correlation id location, the protocol's bindings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import BindingError, ConfigurationError, Location
from ..protocols import adapter_for, binding_items
from .description import (
    AsyncAPIDescription,
    AsyncOperation,
    Channel,
    CorrelationId,
    Server,
    address_parameters,
    render_address,
)

__all__ = [
    "USER_PASSWORD_TYPES",
    "MessageStep",
    "MessageTarget",
    "broker_auth_key",
    "channel_for_path",
    "check_protocol",
    "find_operation",
    "message_target",
    "parse_channel_path",
]

_SOURCE_REF = re.compile(r"^\$sourceDescriptions\.([A-Za-z0-9_-]+)\.(.+)$")
_CHANNEL_PATH = re.compile(r"^\{?\$sourceDescriptions\.([A-Za-z0-9_-]+)\.url\}?#(/.*)$")


@dataclass(frozen=True)
class MessageTarget:
    """Where a message step sends or listens, and how its messages look."""

    source: str
    operation_id: str | None
    action: str
    protocol: str
    server: str  # broker URL; a ``protocolVersion`` query parameter selects the version
    address: str
    content_type: str | None
    correlation: CorrelationId | None
    bindings: tuple[tuple[str, Any], ...] = ()
    auth: str | None = None

    def describe(self) -> str:
        """A short label, e.g. ``send pets/place-order (placeOrder)``."""
        label = f"{self.action} {self.address}"
        return f"{label} ({self.operation_id})" if self.operation_id else label


def find_operation(
    sources: Mapping[str, AsyncAPIDescription], ref: str, where: Location | None = None
) -> AsyncOperation:
    """The AsyncAPI operation an ``operationId`` names; `BindingError` when none or several."""
    match = _SOURCE_REF.match(ref)
    if match is not None:
        name, op_id = match.groups()
        description = sources.get(name)
        if description is None:
            raise BindingError(f"operationId {ref!r}: no AsyncAPI source named {name!r}", where)
        found = description.find_operation(op_id)
        if found is None:
            raise BindingError(f"operationId {op_id!r} not found in source {name!r}", where)
        return found
    matches = [op for d in sources.values() for op in [d.find_operation(ref)] if op is not None]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(op.source_name for op in matches)
        raise BindingError(
            f"operationId {ref!r} is in several AsyncAPI sources ({names}): write "
            f"$sourceDescriptions.<name>.{ref}",
            where,
        )
    raise BindingError(f"operationId {ref!r} not found in any AsyncAPI source", where)


def parse_channel_path(text: str, where: Location | None = None) -> tuple[str, str]:
    """``(source name, JSON Pointer)`` of a ``channelPath``."""
    match = _CHANNEL_PATH.match(text)
    if match is None:
        raise BindingError(
            f"channelPath {text!r} must be {{$sourceDescriptions.<name>.url}}#/channels/<name>",
            where,
        )
    return match.group(1), match.group(2)


def channel_for_path(
    sources: Mapping[str, AsyncAPIDescription], text: str, where: Location | None = None
) -> tuple[AsyncAPIDescription, Channel]:
    """The source and channel a ``channelPath`` names."""
    name, pointer = parse_channel_path(text, where)
    description = sources.get(name)
    if description is None:
        raise BindingError(f"channelPath {text!r}: no AsyncAPI source named {name!r}", where)
    return description, description.channel_at(pointer, where)


def message_target(
    description: AsyncAPIDescription,
    channel: Channel,
    action: str,
    *,
    operation: AsyncOperation | None = None,
    server_url: str | None = None,
    server_variables: Mapping[str, str] | None = None,
    channel_values: Mapping[str, str] | None = None,
    auth: str | None = None,
) -> MessageTarget:
    """The target of a step on ``channel`` with ``action``.

    ``server_url`` (the run's ``servers`` entry for the source) wins over the AsyncAPI server,
    its scheme being the protocol; ``channel_values`` fill the address parameters. Raises
    `ConfigurationError` for a protocol without an adapter and `BindingError` when a server or
    a channel parameter is missing.
    """
    declared: Server | None = None
    if server_url is not None:
        protocol = urlsplit(server_url).scheme.lower()
        url = server_url
        candidates = channel.servers or tuple(description.servers.values())
        declared = next((s for s in candidates if s.protocol == protocol), None)
        if declared is not None and declared.protocol_version and "protocolVersion=" not in url:
            joiner = "&" if "?" in url else "?"
            url += f"{joiner}protocolVersion={declared.protocol_version}"
    else:
        declared = description.server_for(channel)
        protocol = declared.protocol
        try:
            url = declared.url(server_variables)
        except KeyError as exc:
            raise BindingError(
                f"server {declared.name!r} of source {description.name!r} needs a value for "
                f"variable {exc.args[0]!r}"
            ) from None
        if declared.protocol_version:
            url += f"?protocolVersion={declared.protocol_version}"
    adapter_for(protocol)  # ConfigurationError naming the supported protocols
    if channel.address is None:
        raise BindingError(
            f"channel {channel.name!r} of source {description.name!r} has no address"
        )
    values = dict(channel_values or {})
    missing = [p for p in address_parameters(channel.address) if p not in values]
    if missing:
        raise BindingError(
            f"channel {channel.name!r} needs a value for parameter {missing[0]!r} "
            "(a step parameter of that name)"
        )
    messages = operation.messages if operation is not None else channel.messages
    content_type = next((m.content_type for m in messages if m.content_type), None)
    correlation = next((m.correlation_id for m in messages if m.correlation_id), None)
    bindings: dict[str, Any] = {}
    bindings.update(binding_items(channel.bindings, protocol))
    if operation is not None:
        bindings.update(binding_items(operation.bindings, protocol))
    if auth is None and declared is not None:
        auth = broker_auth_key(description.name, declared)
    return MessageTarget(
        source=description.name,
        operation_id=operation.operation_id if operation else None,
        action=action,
        protocol=protocol,
        server=url,
        address=render_address(channel.address, values),
        content_type=content_type,
        correlation=correlation,
        bindings=tuple(bindings.items()),
        auth=auth,
    )


#: AsyncAPI security scheme types that carry a user name and password to a broker.
USER_PASSWORD_TYPES = ("userPassword", "plain", "scramSha256", "scramSha512")


def broker_auth_key(source: str, server: Server) -> str | None:
    """The auth key (``SOURCE:SCHEME``) of the user/password scheme ``server`` declares, if any;
    the driver looks the credentials up under it (as for HTTP: ``--auth``, the credentials
    file, the environment)."""
    for scheme in server.security:
        if scheme.get("type") in USER_PASSWORD_TYPES:
            return f"{source}:{scheme.get('name')}"
    return None


def check_protocol(protocol: str) -> str | None:
    """Why ``protocol`` cannot be used for message steps, or None when it can."""
    try:
        adapter_for(protocol)
    except ConfigurationError as exc:
        return exc.message
    return None


@dataclass(frozen=True)
class MessageStep:
    """The message half of a compiled step: what it sends or receives, on which channel.

    ``correlation`` is the step's compiled ``correlationId`` value (receive steps only); the
    step's parameters (``in: header`` and ``in: path``), request body, criteria and outputs stay
    on the step plan like those of an HTTP step.
    """

    action: str
    description: AsyncAPIDescription
    channel: Channel
    operation: AsyncOperation | None = None
    correlation: Any = None

    @property
    def source(self) -> str:
        """The name of the AsyncAPI source description."""
        return self.description.name

    def describe(self) -> str:
        """A short label, e.g. ``receive pets/confirm-order (confirmOrder)``."""
        label = f"{self.action} {self.channel.address or self.channel.name}"
        return f"{label} ({self.operation.operation_id})" if self.operation else label

    def target(
        self,
        *,
        server_url: str | None = None,
        server_variables: Mapping[str, str] | None = None,
        channel_values: Mapping[str, str] | None = None,
        auth: str | None = None,
    ) -> MessageTarget:
        """Where this step sends or listens (see `message_target`)."""
        return message_target(
            self.description,
            self.channel,
            self.action,
            operation=self.operation,
            server_url=server_url,
            server_variables=server_variables,
            channel_values=channel_values,
            auth=auth,
        )
