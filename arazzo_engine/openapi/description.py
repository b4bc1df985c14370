"""An OpenAPI 3.0/3.1 description: its operations, indexed by operationId and by path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..document.loader import LoadedText, pointer_join, walk_pointer
from ..errors import BindingError, DocumentError, Location

__all__ = ["HTTP_METHODS", "OpenAPIDescription", "Operation", "Parameter"]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Parameter:
    """An OpenAPI parameter definition, with ``$ref`` resolved."""

    name: str
    location: str  # "path" | "query" | "header" | "cookie" | "querystring"
    required: bool
    schema: Mapping[str, Any]
    style: str | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    content: Mapping[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Identity of a parameter: name (case-insensitive for headers) and location."""
        name = self.name.lower() if self.location == "header" else self.name
        return name, self.location


@dataclass(frozen=True)
class Operation:
    """One operation of an OpenAPI description, ready to be turned into requests."""

    source_name: str
    operation_id: str | None
    method: str
    path: str  # the path template as written, fragment included
    pointer: str  # JSON Pointer to the operation object in the description
    parameters: tuple[Parameter, ...]
    servers: tuple[Mapping[str, Any], ...]
    request_media_types: tuple[str, ...]
    security: tuple[Mapping[str, Any], ...] | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def request_path(self) -> str:
        """The path to send: a ``#fragment`` that only keeps path keys unique is dropped."""
        return self.path.split("#", 1)[0] or "/"

    def describe(self) -> str:
        """A short human label, e.g. ``POST / (putImage)``."""
        label = f"{self.method.upper()} {self.path}"
        return f"{label} ({self.operation_id})" if self.operation_id else label


class OpenAPIDescription:
    """A loaded OpenAPI description with an operation index."""

    def __init__(self, name: str, loaded: LoadedText) -> None:
        self.name = name
        self.loaded = loaded
        self.uri = loaded.uri
        data = loaded.data
        if not isinstance(data, dict) or not isinstance(data.get("openapi"), str):
            raise DocumentError(
                f"source description {name!r} is not an OpenAPI 3.x document "
                "(no 'openapi' version string)",
                loaded.location(""),
            )
        if not data["openapi"].startswith("3."):
            raise DocumentError(
                f"source description {name!r}: OpenAPI {data['openapi']} is not supported "
                "(3.0 and 3.1 are)",
                loaded.location("/openapi"),
            )
        self.data: dict[str, Any] = data
        self._by_id: dict[str, Operation] = {}
        self._by_pointer: dict[str, Operation] = {}
        self._index()

    # -- references -----------------------------------------------------------------------

    def resolve_ref(self, value: Any, pointer: str = "") -> Any:
        """Follow local ``$ref`` chains (``#/components/...``) until a non-reference value."""
        seen: set[str] = set()
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if not ref.startswith("#"):
                raise DocumentError(
                    f"external reference {ref!r} is not supported yet in source {self.name!r}",
                    self.loaded.location(pointer),
                )
            if ref in seen:
                raise DocumentError(f"circular reference {ref!r}", self.loaded.location(pointer))
            seen.add(ref)
            value = self.at_pointer(ref[1:], pointer)
            pointer = ref[1:]
        return value

    def at_pointer(self, pointer: str, referrer: str = "") -> Any:
        """The node at a JSON Pointer into this description."""
        if pointer in ("", "/"):
            return self.data
        try:
            return walk_pointer(self.data, "/" + pointer.lstrip("/"))
        except KeyError:
            raise DocumentError(
                f"JSON Pointer {pointer!r} does not resolve in source {self.name!r}",
                self.loaded.location(referrer),
            ) from None

    # -- index ----------------------------------------------------------------------------

    def _parameters(self, items: Any, pointer: str) -> list[Parameter]:
        found: list[Parameter] = []
        if not isinstance(items, list):
            return found
        for index, item in enumerate(items):
            here = pointer_join(pointer, index)
            item = self.resolve_ref(item, here)
            if not isinstance(item, dict) or "name" not in item or "in" not in item:
                raise DocumentError("a parameter needs 'name' and 'in'", self.loaded.location(here))
            schema = self.resolve_ref(item.get("schema", {}), here)
            found.append(
                Parameter(
                    name=str(item["name"]),
                    location=str(item["in"]),
                    required=bool(item.get("required", item["in"] == "path")),
                    schema=schema if isinstance(schema, dict) else {},
                    style=item.get("style"),
                    explode=item.get("explode"),
                    allow_reserved=bool(item.get("allowReserved", False)),
                    content=item.get("content"),
                )
            )
        return found

    def _index(self) -> None:
        paths = self.data.get("paths") or {}
        root_servers = self.data.get("servers") or []
        root_security = self.data.get("security")
        for path, item in paths.items():
            path_pointer = pointer_join("/paths", path)
            item = self.resolve_ref(item, path_pointer)
            if not isinstance(item, dict):
                continue
            shared = self._parameters(
                item.get("parameters"), pointer_join(path_pointer, "parameters")
            )
            path_servers = item.get("servers") or root_servers
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                op_pointer = pointer_join(path_pointer, method)
                own = self._parameters(op.get("parameters"), pointer_join(op_pointer, "parameters"))
                merged = {p.key: p for p in shared}
                merged.update({p.key: p for p in own})
                body = self.resolve_ref(op.get("requestBody"), op_pointer) or {}
                media = tuple((body.get("content") or {}).keys()) if isinstance(body, dict) else ()
                security = op.get("security", root_security)
                operation = Operation(
                    source_name=self.name,
                    operation_id=op.get("operationId"),
                    method=method,
                    path=path,
                    pointer=op_pointer,
                    parameters=tuple(merged.values()),
                    servers=tuple(op.get("servers") or path_servers),
                    request_media_types=media,
                    security=tuple(security) if isinstance(security, list) else None,
                    raw=op,
                )
                self._by_pointer[op_pointer] = operation
                if operation.operation_id is not None:
                    if operation.operation_id in self._by_id:
                        raise DocumentError(
                            f"operationId {operation.operation_id!r} is used twice in source "
                            f"{self.name!r}",
                            self.loaded.location(pointer_join(op_pointer, "operationId")),
                        )
                    self._by_id[operation.operation_id] = operation

    # -- lookups --------------------------------------------------------------------------

    @property
    def operation_ids(self) -> list[str]:
        """Every operationId of this description, in document order."""
        return list(self._by_id)

    def find_operation(self, operation_id: str) -> Operation | None:
        """The operation with this operationId, or None."""
        return self._by_id.get(operation_id)

    def operation_at(self, pointer: str, where: Location | None = None) -> Operation:
        """The operation at a JSON Pointer such as ``/paths/~1pets~1{id}/get``."""
        normalized = pointer if pointer.startswith("/") else "/" + pointer
        found = self._by_pointer.get(normalized)
        if found is None:
            raise BindingError(
                f"operationPath pointer {pointer!r} does not name an operation in source "
                f"{self.name!r}",
                where,
            )
        return found
