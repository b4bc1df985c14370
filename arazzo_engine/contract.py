"""Contract checks: does a response match its operation in the OpenAPI description?

Each response is checked against the very operation the step called (never re-matched by URL,
so base-URL overrides and AWS ``#X-Amz-Target`` paths work): the status code must be documented
(or covered by ``default`` / ``2XX``), the content type must be one the response declares, and the
body must satisfy its schema. The checking itself is openapi-core's.

Findings are short, human-readable strings. They quote the schema and the location in the body,
not the value, so a secret in a response body never reaches a finding. Some published models
(AWS ones among them) carry ``minLength``/``maximum`` limits that real services do not always
honour; a run's outcome only changes when the caller asked for ``contract="fail"``.

The openapi-core objects are built once per `OpenAPIDescription` and kept for as long
as the description lives, so a check costs a schema validation, not a spec build.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from .expressions.pointer import unescape
from .openapi.description import OpenAPIDescription, Operation

__all__ = ["ContractChecker", "check_response"]

_log = logging.getLogger("arazzo_engine.contract")

#: How many findings one response reports at most.
MAX_FINDINGS = 10


def _json_bytes(data: bytes) -> Any:
    return json.loads(data)


class ContractChecker:
    """Validates responses against one OpenAPI description with openapi-core.

    Built once per description (see `check_response`); thread-safe for reading.
    """

    def __init__(self, description: OpenAPIDescription) -> None:
        from jsonschema_path import SchemaPath
        from openapi_core import V30ResponseValidator, V31ResponseValidator

        self.description = description
        self.spec = SchemaPath.from_dict(description.data, base_uri=description.uri)
        version = str(description.data.get("openapi", "3.1"))
        validator_class = (
            V30ResponseValidator if version.startswith("3.0") else V31ResponseValidator
        )
        media = self._vendor_json_types(description.data)
        self.validator = validator_class(
            self.spec, extra_media_type_deserializers=dict.fromkeys(media, _json_bytes)
        )

    @staticmethod
    def _vendor_json_types(data: dict[str, Any]) -> set[str]:
        """JSON media types openapi-core does not know by name (``application/x-amz-json-1.1``)."""
        found: set[str] = set()
        for item in (data.get("paths") or {}).values():
            if not isinstance(item, dict):
                continue
            for op in item.values():
                if not isinstance(op, dict):
                    continue
                for response in (op.get("responses") or {}).values():
                    if isinstance(response, dict):
                        for media_type in response.get("content") or {}:
                            base = str(media_type).split(";", 1)[0].strip().lower()
                            if "json" in base and base not in ("application/json",):
                                found.add(base)
        return found

    def check(self, operation: Operation, response: httpx.Response) -> list[str]:
        """Findings where ``response`` departs from ``operation``; empty when it conforms."""
        path = self.spec
        for part in operation.pointer.lstrip("/").split("/"):
            path = path // unescape(part)
        content_type = response.headers.get("content-type") or ""
        mimetype = content_type.split(";", 1)[0].strip().lower()
        data = response.content if response.content else None
        findings: list[str] = []
        try:
            errors = self.validator._iter_errors(
                response.status_code, data, response.headers, mimetype, path
            )
            for error in errors:
                findings.extend(_describe(error, response.status_code, mimetype))
                if len(findings) >= MAX_FINDINGS:
                    break
        except Exception as exc:  # openapi-core raises many kinds; a check never breaks a run
            _log.debug("contract check of %s raised %r", operation.describe(), exc, exc_info=True)
            findings.append(f"the response could not be checked: {type(exc).__name__}")
        return findings[:MAX_FINDINGS]


def _schema_errors(error: BaseException) -> Iterator[Any]:
    """The jsonschema errors inside an openapi-core exception, deepest first."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        schema_errors = getattr(current, "schema_errors", None)
        if schema_errors:
            yield from schema_errors
        for nxt in (current.__cause__, current.__context__):
            if nxt is not None:
                pending.append(nxt)


def _schema_message(error: Any) -> str:
    """A jsonschema error without the offending value (it may hold a secret)."""
    where = "/".join(str(p) for p in getattr(error, "absolute_path", ())) or "(root)"
    validator = getattr(error, "validator", "?")
    expected = getattr(error, "validator_value", None)
    if validator in ("required",):
        missing = str(error.message).split("'")[1] if "'" in str(error.message) else "?"
        return f"body {where}: required property {missing!r} is missing"
    if validator == "additionalProperties":
        return f"body {where}: {error.message.split(' (')[0]}"
    if isinstance(expected, (dict, list)):
        shown = json.dumps(expected, default=str)
        expected_text = shown if len(shown) <= 60 else shown[:57] + "..."
    else:
        expected_text = repr(expected)
    return f"body {where}: fails {validator} {expected_text}"


def _chain(error: BaseException) -> list[str]:
    names: list[str] = []
    current: BaseException | None = error
    while current is not None and len(names) < 8:
        names.append(type(current).__name__)
        current = current.__cause__ or current.__context__
    return names


def _describe(error: BaseException, status: int, mimetype: str) -> list[str]:
    names = _chain(error)
    if "ResponseNotFound" in names:
        return [f"status {status} is not documented for this operation"]
    if "MediaTypeNotFound" in names:
        return [f"content type {mimetype or '(none)'!r} is not documented for status {status}"]
    if "MissingData" in names:
        return [f"the body is missing (status {status} documents one)"]
    if "MissingRequiredHeader" in names or "MissingHeader" in names:
        return [f"a documented response header is missing: {error}"[:200]]
    schema = [_schema_message(e) for e in _schema_errors(error)]
    if schema:
        return schema
    if "MediaTypeDeserializeError" in names or "DeserializeError" in names:
        return [f"the body is not valid {mimetype or 'content'}"]
    return [f"{names[-1]} while checking the response"]


_checkers: weakref.WeakKeyDictionary[OpenAPIDescription, ContractChecker] = (
    weakref.WeakKeyDictionary()
)
_factory: Callable[[OpenAPIDescription], ContractChecker] = ContractChecker


def checker_for(description: OpenAPIDescription) -> ContractChecker:
    """The (cached) checker of a description."""
    found = _checkers.get(description)
    if found is None:
        found = _factory(description)
        _checkers[description] = found
    return found


def check_response(
    description: OpenAPIDescription,
    operation: Operation,
    request: httpx.Request,
    response: httpx.Response,
) -> list[str]:
    """Findings (human-readable, redacted) where the response departs from the description."""
    try:
        checker = checker_for(description)
    except ImportError:
        return ["contract checks need openapi-core (pip install openapi-core)"]
    return checker.check(operation, response)
