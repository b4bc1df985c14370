"""Rules the checks and the binder both apply, written once."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from ..openapi.description import Operation, Parameter

__all__ = ["IGNORED_HEADERS", "NO_VALUE", "OperationPath", "missing_required", "operation_path"]

#: OpenAPI: header parameters with these names SHALL be ignored (media types, security).
IGNORED_HEADERS = ("accept", "content-type", "authorization")

#: No OpenAPI ``default`` or ``example`` to stand in for a parameter.
NO_VALUE: Any = object()

_STANDARD = re.compile(r"^\{\$sourceDescriptions\.([^.}]+)\.url\}#(.*)$", re.DOTALL)
#: ``$sourceDescriptions.<name>#/paths/...``: names the source with runtime-expression syntax.
_BARE = re.compile(r"^\{?\$sourceDescriptions\.([^.}#]+)(?:\.url)?\}?#(.*)$", re.DOTALL)


class OperationPath:
    """An ``operationPath`` split into its source name and (still escaped) fragment."""

    def __init__(self, source: str, fragment: str, standard: bool) -> None:
        self.source = source
        self.fragment = fragment
        #: False for the ``$sourceDescriptions.<name>#...`` forms (a style warning).
        self.standard = standard


def operation_path(ref: str) -> OperationPath | None:
    """Split an operationPath; None when it names no source description."""
    match = _STANDARD.match(ref)
    if match is not None:
        return OperationPath(match.group(1), match.group(2), True)
    match = _BARE.match(ref)
    if match is not None:
        return OperationPath(match.group(1), match.group(2), False)
    return None


def _stand_in(parameter: Parameter) -> Any:
    schema = parameter.schema
    for key in ("default", "example"):
        if key in schema:
            return schema[key]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return NO_VALUE


def missing_required(
    operation: Operation, given: Collection[tuple[str, str | None]]
) -> list[tuple[Parameter, Any]]:
    """The required parameters of ``operation`` that ``given`` (parameter keys: name, with
    header names lower-cased, and location) leaves out, each with its OpenAPI ``default`` /
    ``example`` (or `NO_VALUE`). Ignored headers and ``const`` parameters (the request
    builder sends the one allowed value itself) are not missing."""
    found = []
    for parameter in operation.parameters:
        if not parameter.required or parameter.key in given:
            continue
        if parameter.location == "header" and parameter.name.lower() in IGNORED_HEADERS:
            continue
        if "const" in parameter.schema:
            continue
        found.append((parameter, _stand_in(parameter)))
    return found
