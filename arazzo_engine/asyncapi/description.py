"""An AsyncAPI 3.0 (or 2.6) description: servers, channels, operations, messages.

References (``$ref``) are followed inside the document and into relative files (``common.yaml#/
components/messages/Order``), each file read once; a reference that does not resolve, or that
loops, is a `DocumentError` that names the file, line and column of the ``$ref``. AsyncAPI 2.6
documents are mapped onto the 3.0 model: a channel's ``subscribe`` operation is one the
application *sends* (others subscribe to it), its ``publish`` operation one it *receives*.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..document.loader import (
    LoadedText,
    load_text,
    pointer_join,
    resolve_reference,
    walk_pointer,
)
from ..errors import BindingError, DocumentError, ExpressionError, Location
from ..expressions.context import Unresolved
from ..expressions.pointer import resolve_pointer, unescape
from ..run.commands import Headers, header_values

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

#: Reads the document at a URI (a path or URL) as text; the loader's default reads files and
#: http(s) the way source descriptions are read.
Fetch = Callable[[str, Location | None], str]

_PARAMETER = re.compile(r"\{([^{}]+)\}")
_CORRELATION = re.compile(r"^\$message\.(header|payload)(?:#(/.*)?)?$")


def render_address(address: str, values: Mapping[str, str]) -> str:
    """``address`` with every ``{name}`` replaced by ``values[name]`` (KeyError when missing)."""
    return _PARAMETER.sub(lambda match: values[match.group(1)], address)


def address_parameters(address: str) -> list[str]:
    """The ``{name}`` parameters of a channel address, in order."""
    return _PARAMETER.findall(address)


@dataclass(frozen=True)
class ServerVariable:
    """A server variable: its default, allowed values and description."""

    default: str | None
    enum: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Server:
    """A broker: ``host`` (``name[:port]``, may hold ``{variables}``), ``protocol`` and the rest."""

    name: str
    host: str
    protocol: str
    pointer: str
    protocol_version: str | None = None
    pathname: str | None = None
    variables: Mapping[str, ServerVariable] = field(default_factory=dict)
    security: tuple[Mapping[str, Any], ...] = ()
    bindings: Mapping[str, Any] = field(default_factory=dict)

    def url(self, values: Mapping[str, str] | None = None) -> str:
        """``protocol://host[/pathname]``, variables filled from ``values`` or their defaults.

        Raises `KeyError` naming a variable that has neither.
        """
        given = dict(values or {})
        filled: dict[str, str] = {}
        for name in address_parameters(self.host + (self.pathname or "")):
            if name in given:
                filled[name] = given[name]
                continue
            variable = self.variables.get(name)
            if variable is None or variable.default is None:
                raise KeyError(name)
            filled[name] = variable.default
        host = render_address(self.host, filled)
        path = render_address(self.pathname or "", filled)
        if path and not path.startswith("/"):
            path = "/" + path
        return f"{self.protocol}://{host}{path}"


@dataclass(frozen=True)
class CorrelationId:
    """Where a message carries its correlation id: ``$message.header#/name`` or
    ``$message.payload#/pointer``."""

    location: str
    source: str  # "header" | "payload"
    pointer: str  # JSON Pointer ("" = the whole header set or payload)
    description: str | None = None

    def extract(self, headers: Headers, payload: Any) -> Any:
        """The correlation id of a message with these headers and (parsed) payload, or None.

        For headers, the pointer's first token names the header (case-insensitively) and any
        further tokens point into its value parsed as JSON.
        """
        if self.source == "header":
            tokens = self.pointer.lstrip("/").split("/", 1) if self.pointer else []
            if not tokens or not tokens[0]:
                return None
            name = unescape(tokens[0])
            values = header_values(headers, name)
            if not values:
                return None
            if len(tokens) == 1:
                return values[0]
            import json

            try:
                parsed = json.loads(values[0])
            except ValueError:
                return None
            return _pointer_or_none(parsed, "/" + tokens[1])
        return _pointer_or_none(payload, self.pointer)


def _pointer_or_none(value: Any, pointer: str) -> Any:
    if not pointer:
        return value
    try:
        return resolve_pointer(value, pointer)
    except (Unresolved, ExpressionError):
        return None


@dataclass(frozen=True)
class MessageDefinition:
    """A message: payload and headers schemas (``$ref``s inlined), content type, correlation id."""

    name: str
    pointer: str
    payload: Mapping[str, Any] | None
    headers: Mapping[str, Any] | None
    content_type: str | None
    correlation_id: CorrelationId | None
    bindings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def header_names(self) -> tuple[str, ...]:
        """The header names the headers schema lists under ``properties``."""
        props = (self.headers or {}).get("properties")
        return tuple(props) if isinstance(props, dict) else ()


@dataclass(frozen=True)
class Channel:
    """A channel: its address (``None``: unknown until run time), parameters and messages."""

    name: str
    pointer: str
    address: str | None
    parameters: Mapping[str, Mapping[str, Any]]
    messages: tuple[MessageDefinition, ...]
    servers: tuple[Server, ...]
    bindings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The parameters the address uses, in order."""
        return tuple(address_parameters(self.address or ""))


@dataclass(frozen=True)
class Reply:
    """An operation's reply: the channel it comes on (or a runtime address) and its messages."""

    channel: Channel | None
    address_location: str | None
    messages: tuple[MessageDefinition, ...]


@dataclass(frozen=True)
class AsyncOperation:
    """One AsyncAPI operation: ``action`` (``send``/``receive``) on ``channel``."""

    source_name: str
    operation_id: str
    pointer: str
    action: str
    channel: Channel
    messages: tuple[MessageDefinition, ...]
    reply: Reply | None
    bindings: Mapping[str, Any] = field(default_factory=dict)
    security: tuple[Mapping[str, Any], ...] = ()

    def describe(self) -> str:
        """A short human label, e.g. ``send place-order (placeOrder)``."""
        return f"{self.action} {self.channel.address or self.channel.name} ({self.operation_id})"

    @property
    def correlation_id(self) -> CorrelationId | None:
        """The correlation id location of this operation's messages (the first that has one)."""
        for message in self.messages:
            if message.correlation_id is not None:
                return message.correlation_id
        return None


@dataclass
class _Node:
    """A value and where it sits (which file, which pointer)."""

    value: Any
    doc: LoadedText
    pointer: str

    def where(self) -> Location:
        return self.doc.location(self.pointer)


def _default_fetch(uri: str, where: Location | None) -> str:
    """Read a local file (a description loaded on its own; a document's sources are read by
    the document loader, with its limits and cache, which passes its own ``fetch``)."""
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        raise DocumentError(f"cannot read {uri}: load the description through its document", where)
    path = unquote(parsed.path) if parsed.scheme == "file" else uri
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError(f"file not found: {path}", where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read {path}: {exc}", where) from None


class AsyncAPIDescription:
    """A loaded AsyncAPI description with operations by id and channels by pointer."""

    def __init__(self, name: str, loaded: LoadedText, fetch: Fetch | None = None) -> None:
        self.name = name
        self.loaded = loaded
        self.uri = loaded.uri
        self._fetch = fetch or _default_fetch
        self._files: dict[str, LoadedText] = {loaded.uri: loaded}
        data = loaded.data
        version = data.get("asyncapi") if isinstance(data, dict) else None
        if not isinstance(version, str):
            raise DocumentError(
                f"source description {name!r} is not an AsyncAPI document "
                "(no 'asyncapi' version string)",
                loaded.location(""),
            )
        if not (version.startswith("3.") or version.startswith("2.6")):
            raise DocumentError(
                f"source description {name!r}: AsyncAPI {version} is not supported "
                "(3.0 and 2.6 are)",
                loaded.location("/asyncapi"),
            )
        self.version = version
        self.data: dict[str, Any] = data
        self.default_content_type: str | None = data.get("defaultContentType")
        self.security_schemes: dict[str, Mapping[str, Any]] = {}
        self.servers: dict[str, Server] = {}
        self.channels: dict[str, Channel] = {}
        self.operations: dict[str, AsyncOperation] = {}
        self._messages: dict[tuple[str, str], MessageDefinition] = {}
        self._channels_by_node: dict[tuple[str, str], Channel] = {}
        root = _Node(data, loaded, "")
        self._load_security_schemes(root)
        self._load_servers(root)
        if version.startswith("3."):
            self._load_channels_v3(root)
            self._load_operations_v3(root)
        else:
            self._load_v2(root)

    # -- references -----------------------------------------------------------------------

    def _file(self, uri: str, where: Location) -> LoadedText:
        found = self._files.get(uri)
        if found is None:
            found = load_text(self._fetch(uri, where), uri)
            self._files[uri] = found
        return found

    def _at(self, doc: LoadedText, pointer: str, where: Location) -> Any:
        if pointer in ("", "/"):
            return doc.data
        if not pointer.startswith("/"):
            raise DocumentError(f"{pointer!r} is not a JSON Pointer", where)
        try:
            return walk_pointer(doc.data, pointer)
        except KeyError:
            raise DocumentError(
                f"reference target {pointer!r} does not exist in {doc.uri}", where
            ) from None

    def deref(self, node: _Node) -> _Node:
        """Follow ``$ref`` chains (local and relative-file) to a value that is not a reference."""
        seen: set[tuple[str, str]] = set()
        while isinstance(node.value, dict) and "$ref" in node.value:
            ref = node.value["$ref"]
            ref_pointer = pointer_join(node.pointer, "$ref")
            where = node.doc.location(ref_pointer)
            if not isinstance(ref, str):
                raise DocumentError("'$ref' must be a string", where)
            target, _, fragment = ref.partition("#")
            doc = self._file(resolve_reference(node.doc.uri, target), where) if target else node.doc
            from urllib.parse import unquote

            pointer = unquote(fragment)
            key = (doc.uri, pointer)
            if key in seen:
                raise DocumentError(f"circular reference {ref!r}", where)
            seen.add(key)
            node = _Node(self._at(doc, pointer, where), doc, pointer)
        return node

    def _child(self, node: _Node, key: str | int) -> _Node:
        value = node.value.get(key) if isinstance(node.value, dict) else None
        if isinstance(node.value, list) and isinstance(key, int):
            value = node.value[key]
        return self.deref(_Node(value, node.doc, pointer_join(node.pointer, key)))

    def _bindings(self, node: _Node) -> Mapping[str, Any]:
        """The ``bindings`` object of a server, channel, operation or message (``{}`` if none)."""
        bindings = self._child(node, "bindings").value
        return bindings if isinstance(bindings, dict) else {}

    def _mapping(self, node: _Node, key: str) -> list[tuple[str, _Node]]:
        child = self._child(node, key)
        if child.value is None:
            return []
        if not isinstance(child.value, dict):
            raise DocumentError(f"'{key}' must be a mapping", child.where())
        return [(str(name), self._child(child, str(name))) for name in child.value]

    def schema(self, node: _Node, depth: int = 0, trail: tuple[tuple[str, str], ...] = ()) -> Any:
        """A schema with every ``$ref`` inlined (a recursive one becomes ``{}``)."""
        value = node.value
        if isinstance(value, dict) and "$ref" in value:
            key = (node.doc.uri, str(value.get("$ref")))
            if key in trail or depth > 64:
                return {}
            return self.schema(self.deref(node), depth + 1, (*trail, key))
        if isinstance(value, dict):
            return {
                k: self.schema(_Node(v, node.doc, pointer_join(node.pointer, k)), depth + 1, trail)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self.schema(_Node(v, node.doc, pointer_join(node.pointer, i)), depth + 1, trail)
                for i, v in enumerate(value)
            ]
        return value

    # -- servers and security -------------------------------------------------------------

    def _load_security_schemes(self, root: _Node) -> None:
        components = self._child(root, "components")
        if isinstance(components.value, dict):
            for name, scheme in self._mapping(components, "securitySchemes"):
                if isinstance(scheme.value, dict):
                    self.security_schemes[name] = {"name": name, **scheme.value}

    def _security(self, node: _Node) -> tuple[Mapping[str, Any], ...]:
        child = self._child(node, "security")
        if child.value is None:
            return ()
        if not isinstance(child.value, list):
            raise DocumentError("'security' must be a list", child.where())
        found: list[Mapping[str, Any]] = []
        for index, item in enumerate(child.value):
            if self.version.startswith("2.") and isinstance(item, dict):
                # 2.6: [{schemeName: [scopes]}]
                for scheme_name in item:
                    scheme = self.security_schemes.get(str(scheme_name))
                    if scheme is None:
                        raise DocumentError(
                            f"unknown security scheme {scheme_name!r}",
                            child.doc.location(pointer_join(child.pointer, index)),
                        )
                    found.append(scheme)
                continue
            resolved = self._child(child, index)
            if not isinstance(resolved.value, dict) or "type" not in resolved.value:
                raise DocumentError("a security scheme needs a 'type'", resolved.where())
            name = resolved.pointer.rsplit("/", 1)[-1] if resolved.pointer else str(index)
            found.append({"name": name, **resolved.value})
        return tuple(found)

    def _load_servers(self, root: _Node) -> None:
        for name, node in self._mapping(root, "servers"):
            value = node.value
            if not isinstance(value, dict) or not isinstance(value.get("protocol"), str):
                raise DocumentError(f"server {name!r} needs a 'protocol'", node.where())
            variables: dict[str, ServerVariable] = {}
            for var_name, var in self._mapping(node, "variables"):
                if not isinstance(var.value, dict):
                    raise DocumentError("a server variable must be a mapping", var.where())
                default = var.value.get("default")
                enum = var.value.get("enum") or ()
                variables[var_name] = ServerVariable(
                    None if default is None else str(default),
                    tuple(str(item) for item in enum) if isinstance(enum, list) else (),
                    var.value.get("description"),
                )
            pathname: Any
            if self.version.startswith("2."):
                host, pathname = _split_v2_url(value.get("url"), node)
            else:
                raw_host = value.get("host")
                if not isinstance(raw_host, str) or not raw_host:
                    raise DocumentError(f"server {name!r} needs a 'host'", node.where())
                host, pathname = raw_host, value.get("pathname")
            version = value.get("protocolVersion")
            self.servers[name] = Server(
                name=name,
                host=host,
                protocol=value["protocol"].lower(),
                pointer=node.pointer,
                protocol_version=None if version is None else str(version),
                pathname=pathname if isinstance(pathname, str) else None,
                variables=variables,
                security=self._security(node),
                bindings=self._bindings(node),
            )

    def _channel_servers(self, node: _Node) -> tuple[Server, ...]:
        listed = self._child(node, "servers")
        if listed.value is None:
            return tuple(self.servers.values())
        if not isinstance(listed.value, list):
            raise DocumentError("a channel's 'servers' must be a list", listed.where())
        found: list[Server] = []
        for index, item in enumerate(listed.value):
            if isinstance(item, str):  # 2.6 names servers
                server = self.servers.get(item)
                where = listed.doc.location(pointer_join(listed.pointer, index))
            else:
                resolved = self._child(listed, index)
                where = resolved.where()
                server = next(
                    (s for s in self.servers.values() if s.pointer == resolved.pointer), None
                )
            if server is None:
                raise DocumentError("the channel names a server that does not exist", where)
            found.append(server)
        return tuple(found)

    # -- messages -------------------------------------------------------------------------

    def _message(self, node: _Node, name: str) -> MessageDefinition:
        key = (node.doc.uri, node.pointer)
        known = self._messages.get(key)
        if known is not None:
            return known
        value = node.value
        if not isinstance(value, dict):
            raise DocumentError(f"message {name!r} must be a mapping", node.where())
        correlation: CorrelationId | None = None
        corr = self._child(node, "correlationId")
        if corr.value is not None:
            location = corr.value.get("location") if isinstance(corr.value, dict) else None
            match = _CORRELATION.match(location) if isinstance(location, str) else None
            if match is None:
                raise DocumentError(
                    "a correlationId needs a 'location' like '$message.header#/id' or "
                    f"'$message.payload#/id' (got {location!r})",
                    corr.doc.location(pointer_join(corr.pointer, "location")),
                )
            correlation = CorrelationId(
                str(location), match.group(1), match.group(2) or "", corr.value.get("description")
            )
        payload = self._schema_of(node, "payload")
        headers = self._schema_of(node, "headers")
        content_type = value.get("contentType", self.default_content_type)
        message = MessageDefinition(
            name=str(value.get("name") or name),
            pointer=node.pointer,
            payload=payload,
            headers=headers,
            content_type=content_type if isinstance(content_type, str) else None,
            correlation_id=correlation,
            bindings=self._bindings(node),
        )
        self._messages[key] = message
        return message

    def _schema_of(self, node: _Node, key: str) -> Mapping[str, Any] | None:
        child = self._child(node, key)
        if child.value is None:
            return None
        value = child.value
        # A Multi Format Schema Object (3.0) wraps the schema with its format.
        if isinstance(value, dict) and "schemaFormat" in value and "schema" in value:
            child = self._child(child, "schema")
        schema = self.schema(child)
        return schema if isinstance(schema, dict) else None

    # -- 3.0 ------------------------------------------------------------------------------

    def _load_channels_v3(self, root: _Node) -> None:
        for name, node in self._mapping(root, "channels"):
            self.channels[name] = self._channel_v3(name, node)

    def _channel_v3(self, name: str, node: _Node) -> Channel:
        known = self._channels_by_node.get((node.doc.uri, node.pointer))
        if known is not None:
            return known
        if not isinstance(node.value, dict):
            raise DocumentError(f"channel {name!r} must be a mapping", node.where())
        address = node.value.get("address", name)
        if address is not None and not isinstance(address, str):
            raise DocumentError(
                "a channel 'address' must be a string or null",
                node.doc.location(pointer_join(node.pointer, "address")),
            )
        parameters = {
            key: (param.value if isinstance(param.value, dict) else {})
            for key, param in self._mapping(node, "parameters")
        }
        for used in address_parameters(address or ""):
            if used not in parameters:
                parameters[used] = {}
        messages = tuple(self._message(msg, key) for key, msg in self._mapping(node, "messages"))
        channel = Channel(
            name=name,
            pointer=node.pointer,
            address=address,
            parameters=parameters,
            messages=messages,
            servers=self._channel_servers(node),
            bindings=self._bindings(node),
        )
        self._channels_by_node[(node.doc.uri, node.pointer)] = channel
        return channel

    def _channel_ref(self, node: _Node, key: str, required: bool) -> Channel | None:
        child = self._child(node, key)
        if child.value is None:
            if required:
                raise DocumentError(f"'{key}' is required", node.where())
            return None
        name = unescape(child.pointer.rsplit("/", 1)[-1])
        return self._channel_v3(name, child)

    def _message_list(self, node: _Node, key: str) -> tuple[MessageDefinition, ...] | None:
        child = self._child(node, key)
        if child.value is None:
            return None
        if not isinstance(child.value, list):
            raise DocumentError(f"'{key}' must be a list", child.where())
        found = []
        for index in range(len(child.value)):
            item = self._child(child, index)
            found.append(self._message(item, item.pointer.rsplit("/", 1)[-1]))
        return tuple(found)

    def _load_operations_v3(self, root: _Node) -> None:
        for operation_id, node in self._mapping(root, "operations"):
            value = node.value
            if not isinstance(value, dict):
                raise DocumentError(f"operation {operation_id!r} must be a mapping", node.where())
            action = value.get("action")
            if action not in ("send", "receive"):
                raise DocumentError(
                    f"operation {operation_id!r}: 'action' must be 'send' or 'receive'",
                    node.doc.location(pointer_join(node.pointer, "action")),
                )
            channel = self._channel_ref(node, "channel", required=True)
            assert channel is not None
            messages = self._message_list(node, "messages")
            reply = None
            reply_node = self._child(node, "reply")
            if isinstance(reply_node.value, dict):
                address = self._child(reply_node, "address").value
                location = address.get("location") if isinstance(address, dict) else None
                reply_channel = self._channel_ref(reply_node, "channel", required=False)
                reply_messages = self._message_list(reply_node, "messages")
                if reply_messages is None:
                    reply_messages = reply_channel.messages if reply_channel else ()
                reply = Reply(reply_channel, location, reply_messages)
            self.operations[operation_id] = AsyncOperation(
                source_name=self.name,
                operation_id=operation_id,
                pointer=node.pointer,
                action=action,
                channel=channel,
                messages=messages if messages else channel.messages,
                reply=reply,
                bindings=self._bindings(node),
                security=self._security(node),
            )

    # -- 2.6 ------------------------------------------------------------------------------

    def _load_v2(self, root: _Node) -> None:
        for address, node in self._mapping(root, "channels"):
            if not isinstance(node.value, dict):
                raise DocumentError(f"channel {address!r} must be a mapping", node.where())
            parameters = {
                key: (param.value if isinstance(param.value, dict) else {})
                for key, param in self._mapping(node, "parameters")
            }
            found: list[tuple[str, str, _Node]] = []
            messages: list[MessageDefinition] = []
            for verb, action in (("publish", "receive"), ("subscribe", "send")):
                op = self._child(node, verb)
                if not isinstance(op.value, dict):
                    continue
                found.append((verb, action, op))
                msg = self._child(op, "message")
                if isinstance(msg.value, dict) and isinstance(msg.value.get("oneOf"), list):
                    one_of = self._child(msg, "oneOf")
                    for index in range(len(one_of.value)):
                        item = self._child(one_of, index)
                        messages.append(self._message(item, item.pointer.rsplit("/", 1)[-1]))
                elif msg.value is not None:
                    messages.append(self._message(msg, msg.pointer.rsplit("/", 1)[-1]))
            channel = Channel(
                name=address,
                pointer=node.pointer,
                address=address,
                parameters=parameters,
                messages=tuple({m.pointer: m for m in messages}.values()),
                servers=self._channel_servers(node),
                bindings=self._bindings(node),
            )
            self.channels[address] = channel
            for verb, action, op in found:
                operation_id = op.value.get("operationId") or f"{verb} {address}"
                self.operations[str(operation_id)] = AsyncOperation(
                    source_name=self.name,
                    operation_id=str(operation_id),
                    pointer=op.pointer,
                    action=action,
                    channel=channel,
                    messages=channel.messages,
                    reply=None,
                    bindings=self._bindings(op),
                    security=self._security(op),
                )

    # -- lookups --------------------------------------------------------------------------

    @property
    def operation_ids(self) -> list[str]:
        """Every operationId, in document order."""
        return list(self.operations)

    def find_operation(self, operation_id: str) -> AsyncOperation | None:
        """The operation with this id, or None."""
        return self.operations.get(operation_id)

    def channel_at(self, pointer: str, where: Location | None = None) -> Channel:
        """The channel at a JSON Pointer such as ``/channels/place-order``."""
        normalized = pointer if pointer.startswith("/") else "/" + pointer
        for channel in self.channels.values():
            if channel.pointer == normalized:
                return channel
        raise BindingError(
            f"channelPath pointer {pointer!r} does not name a channel in source {self.name!r}",
            where,
        )

    def operations_on(self, channel: Channel, action: str | None = None) -> list[AsyncOperation]:
        """The operations on ``channel`` (with ``action``, when given)."""
        return [
            op
            for op in self.operations.values()
            if op.channel is channel and (action is None or op.action == action)
        ]

    def server_for(self, channel: Channel, name: str | None = None) -> Server:
        """The server a channel is reached on: ``name`` when given, else its first server."""
        candidates = channel.servers or tuple(self.servers.values())
        if name is not None:
            for server in candidates:
                if server.name == name:
                    return server
            raise BindingError(
                f"source {self.name!r} has no server {name!r} for channel {channel.name!r}"
            )
        if not candidates:
            raise BindingError(f"source {self.name!r} defines no server for {channel.name!r}")
        return candidates[0]


def _split_v2_url(url: Any, node: _Node) -> tuple[str, str | None]:
    if not isinstance(url, str) or not url:
        raise DocumentError("a 2.6 server needs a 'url'", node.where())
    if "://" not in url:
        url = "x://" + url
    parts = urlsplit(url.replace("{", "%7B").replace("}", "%7D"))
    host = parts.netloc.replace("%7B", "{").replace("%7D", "}")
    path = parts.path.replace("%7B", "{").replace("%7D", "}") or None
    return host, path
