"""Base URLs from OpenAPI ``servers`` with variables."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urljoin

from ..errors import BindingError, Location

__all__ = ["server_url"]

_VARIABLE = re.compile(r"\{([^{}]+)\}")


def server_url(
    servers: Sequence[Mapping[str, Any]],
    document_uri: str,
    variables: Mapping[str, str] | None = None,
    where: Location | None = None,
) -> str:
    """The base URL of the first server, its variables filled.

    A variable takes the caller's value when given (checked against the variable's ``enum``),
    else its ``default``. A relative server URL resolves against the document's URI, and a
    description without servers means ``/`` relative to it, as OpenAPI says.
    """
    declared: Mapping[str, Any] = {}
    if not servers:
        template = "/"
    else:
        first = servers[0]
        template = str(first.get("url", "/"))
        declared = first.get("variables") or {}
    given = variables or {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        spec = declared.get(name) or {}
        if name in given:
            value = given[name]
            enum = spec.get("enum")
            if enum and value not in enum:
                raise BindingError(
                    f"server variable {name!r} is {value!r}, which is not one of {enum}", where
                )
            return value
        if "default" in spec:
            return str(spec["default"])
        raise BindingError(f"server variable {name!r} has no default and no value", where)

    url = _VARIABLE.sub(fill, template)
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        if not re.match(r"^https?://", document_uri):
            raise BindingError(
                f"server URL {url!r} is relative and the description was read from a file; "
                "give a base URL for this source (servers= or --server SOURCE=URL)",
                where,
            )
        url = urljoin(document_uri, url)
    return url
