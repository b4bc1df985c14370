"""Contract checks: does a response match its operation in the OpenAPI description?

Each response is checked against the very operation the step called (never re-matched by URL,
so base-URL overrides and AWS ``#X-Amz-Target`` paths work), by the rules of the OpenAPI 3.0.3 and
3.1.0 "Responses Object", "Media Type Object" and "Schema Object":

* **status**: the response entry is the exact code, else its range (``2XX``, any case), else
  ``default``; a status none of them covers is a finding;
* **content type**: if the entry declares ``content``, the body must not be empty (a ``HEAD``
  reply excepted), and the response's Content-Type (parameters ignored, any case) must match a
  declared key, the most specific first (``text/plain``, then ``text/*``, then ``*/*``); an
  entry that declares no content is not checked further;
* **body**: JSON media types (`arazzo_engine.media.is_json_media_type`: ``application/json``,
  ``*+json``, ``application/x-amz-json-1.1``...) must parse, and are validated against the
  media type's schema; ``text/plain`` is validated as a string; other types only as above;
* **headers**: a ``required`` header must be present, and scalar values (``integer``,
  ``number``, ``boolean``, ``string``) must satisfy their schema (``Content-Type`` is ignored,
  as the specification says).

Schemas are JSON Schema, checked by jsonschema: OpenAPI 3.1 schemas as 2020-12 (or the
document's ``jsonSchemaDialect``); OpenAPI 3.0 schemas as Draft 4 plus ``nullable: true`` (null is
allowed besides ``type``), ``readOnly``/``writeOnly``/``discriminator``/``xml``/``example``/
``deprecated`` being annotations and a ``$ref``'s siblings ignored. A ``$ref`` resolves against the
whole description, registered as one `referencing` resource under its URI, so references to
``#/components/schemas/...`` and chains of them work; recursive schemas are followed lazily, as
deep as the body goes. Formats are asserted: those jsonschema knows, RFC 3339 ``date-time`` and
``time``, OpenAPI's ``int32``/``int64``, and ``byte`` (base64) in 3.0.

Findings are short, human-readable strings. They quote the schema keyword and the location in
the body, never the value, so a secret in a response body never reaches a finding; at most
`MAX_FINDINGS` per response. Some published models (AWS ones among them) carry
``minLength``/``maximum`` limits that real services do not always honour; a run's outcome only
changes when the caller asked for ``contract="fail"``.

A `ContractChecker` is built once per `OpenAPIDescription` and kept for as long as the
description lives; it compiles one validator per schema on first use, so a check costs a JSON
parse and a schema validation. jsonschema is imported by the first check that needs a schema,
never with this module.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from itertools import islice
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from .document.loader import MAX_DEPTH, pointer_join, walk_pointer
from .media import base_media_type, decode_body, is_json_media_type
from .openapi.description import OpenAPIDescription, Operation
from .valid_subset import surely_valid

if TYPE_CHECKING:
    import httpx
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Registry

__all__ = ["ContractChecker", "check_response"]

_log = logging.getLogger("arazzo_engine.contract")

#: How many findings one response reports at most.
MAX_FINDINGS = 10


class _Unchecked(Exception):
    """A response (or part of it) that cannot be checked; the message says why."""


# -- schema dialects (jsonschema is imported here, on first use) ------------------------------


def _is_int(bits: int) -> Callable[[object], bool]:
    def check(instance: object) -> bool:
        if isinstance(instance, bool) or not isinstance(instance, int):
            return True
        return -(1 << (bits - 1)) <= instance < (1 << (bits - 1))

    return check


def _is_byte(instance: object) -> bool:
    """OpenAPI 3.0 ``byte``: base64-encoded characters."""
    if not isinstance(instance, str):
        return True
    try:
        base64.b64decode(instance.encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))\Z",
    re.ASCII,
)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_date_time(instance: object) -> bool:
    """RFC 3339 ``date-time`` (section 5.6), leap seconds allowed."""
    if not isinstance(instance, str):
        return True
    match = _DATE_TIME.match(instance)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1]:
        return False
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset_hour, offset_minute = match.group(7), match.group(8)
    return offset_hour is None or (int(offset_hour) <= 23 and int(offset_minute) <= 59)


def _is_time(instance: object) -> bool:
    """RFC 3339 ``full-time``."""
    return not isinstance(instance, str) or _is_date_time("1970-01-01T" + instance)


@cache
def _format_checker(oas30: bool) -> FormatChecker:
    """Every format jsonschema checks, RFC 3339 times and OpenAPI's integer (and 3.0 byte)
    formats; unknown formats pass."""
    from jsonschema import FormatChecker

    checker = FormatChecker()
    checker.checks("date-time")(_is_date_time)
    checker.checks("time")(_is_time)
    checker.checks("int32")(_is_int(32))
    checker.checks("int64")(_is_int(64))
    if oas30:
        checker.checks("byte")(_is_byte)
    return checker


@cache
def _oas30_validator() -> type[Validator]:
    """Draft 4 with OpenAPI 3.0's ``nullable``; Draft 4 already ignores a ``$ref``'s siblings
    and unknown keywords (the 3.0 annotations), and has boolean ``exclusiveMaximum``."""
    from jsonschema import Draft4Validator
    from jsonschema.validators import extend

    draft4_type = Draft4Validator.VALIDATORS["type"]

    def nullable_type(
        validator: Validator, types: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if instance is None and schema.get("nullable") is True:
            return
        yield from draft4_type(validator, types, instance, schema) or ()

    extended: type[Validator] = extend(  # type: ignore[no-untyped-call]
        Draft4Validator, {"type": nullable_type}
    )
    return extended


def _dialect(
    data: Mapping[str, Any], uri: str
) -> tuple[type[Validator], Registry[Any], FormatChecker]:
    """The validator class of the document's schemas, a registry holding the whole document as
    one resource of that dialect under ``uri``, and the format checker."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for
    from referencing import Registry
    from referencing.jsonschema import specification_with

    oas30 = str(data.get("openapi", "")).startswith("3.0")
    if oas30:
        cls = _oas30_validator()
    else:
        dialect = data.get("jsonSchemaDialect")
        cls = (
            validator_for({"$schema": dialect}, default=Draft202012Validator)
            if isinstance(dialect, str)
            else Draft202012Validator
        )
    dialect_id = cls.META_SCHEMA.get("$id", cls.META_SCHEMA.get("id", ""))
    resource = specification_with(str(dialect_id)).create_resource(data)
    return cls, Registry().with_resource(uri, resource), _format_checker(oas30)


# -- the checker ------------------------------------------------------------------------------


def _base_uri(description: OpenAPIDescription) -> str:
    """The description's URI as an absolute URI (``file:`` for a local path)."""
    uri = description.uri
    if urlsplit(uri).scheme and len(urlsplit(uri).scheme) > 1:  # not a Windows drive letter
        return uri.split("#", 1)[0]
    path = PurePath(uri)
    if path.is_absolute():
        return path.as_uri()
    return "urn:arazzo-engine:openapi:" + quote(description.name, safe="")


class _Entry(NamedTuple):
    """A resolved part of the description and its JSON Pointer."""

    node: Any
    pointer: str


class ContractChecker:
    """Validates responses against one OpenAPI description (jsonschema underneath).

    Built once per description (see `check_response`); thread-safe for reading. Validators are
    compiled once per schema, on first use.
    """

    def __init__(self, description: OpenAPIDescription) -> None:
        # held weakly: the checker is cached under its description (`checker_for`), which a
        # strong reference from here would keep alive for ever
        self._description = weakref.ref(description)
        self.data: Mapping[str, Any] = description.data
        self.base_uri = _base_uri(description)
        self._lock = threading.Lock()
        self._compiler: tuple[type[Validator], Registry[Any], FormatChecker] | None = None
        self._validators: dict[str, Validator] = {}

    @property
    def description(self) -> OpenAPIDescription | None:
        """The description checked against (``None`` once it is gone)."""
        return self._description()

    # -- the description --------------------------------------------------------------------

    def _follow(self, node: Any, pointer: str) -> _Entry:
        """Follow local ``$ref`` chains; `_Unchecked` when one does not resolve or loops."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#") or ref in seen:
                raise _Unchecked(f"the reference {ref!r} does not resolve")
            seen.add(ref)
            pointer = unquote(ref[1:])
            try:
                node = walk_pointer(self.data, pointer)
            except KeyError:
                raise _Unchecked(f"the reference {ref!r} does not resolve") from None
        return _Entry(node, pointer)

    @staticmethod
    def _status_key(responses: Mapping[str, Any], status: int) -> str | None:
        """The exact code, then its range (``2XX``, any case), then ``default``."""
        if str(status) in responses:
            return str(status)
        wanted = f"{status // 100}XX"
        for key in responses:
            if str(key).upper() == wanted:
                return str(key)
        return "default" if "default" in responses else None

    @staticmethod
    def _media_key(content: Mapping[str, Any], mimetype: str) -> str | None:
        """The declared key for ``mimetype``: exact, then ``type/*``, then ``*/*``."""
        bases = {str(k): base_media_type(str(k)) for k in content}
        wanted = [mimetype, mimetype.split("/", 1)[0] + "/*"] if mimetype else []
        for candidate in [*wanted, "*/*"]:
            for key, base in bases.items():
                if base == candidate:
                    return key
        return None

    # -- validators -------------------------------------------------------------------------

    def validator(self, pointer: str) -> Validator:
        """The compiled validator of the schema at ``pointer`` (built once)."""
        found = self._validators.get(pointer)
        if found is not None:
            return found
        with self._lock:
            found = self._validators.get(pointer)
            if found is None:
                if self._compiler is None:
                    self._compiler = _dialect(self.data, self.base_uri)
                cls, registry, formats = self._compiler
                ref = self.base_uri + "#" + quote(pointer, safe="/~!$&'()*+,;=:@")
                found = cls({"$ref": ref}, registry=registry, format_checker=formats)
                self._validators[pointer] = found
        return found

    def _schema_findings(self, pointer: str, instance: Any, subject: str | None) -> list[str]:
        try:
            if surely_valid(walk_pointer(self.data, pointer), instance, self.data):
                return []  # proven valid without jsonschema (see `valid_subset`)
        except KeyError:
            pass  # jsonschema says what is wrong with the reference
        validator = self.validator(pointer)
        try:
            errors = list(islice(validator.iter_errors(instance), MAX_FINDINGS))
        except RecursionError:
            raise _Unchecked("its schema refers to itself without end") from None
        except _schema_problems() as exc:
            _log.debug("contract schema at %s: %r", pointer, exc, exc_info=True)
            raise _Unchecked(f"its schema is not usable ({_problem(exc)})") from None
        return [_schema_message(error, subject) for error in errors]

    # -- a response -------------------------------------------------------------------------

    def check(
        self, operation: Operation, response: httpx.Response, *, method: str | None = None
    ) -> list[str]:
        """Findings where ``response`` departs from ``operation``; empty when it conforms.
        ``method`` is the request's (by default ``response.request``'s): a ``HEAD`` reply has
        no body to check."""
        findings: list[str] = []
        if method is None:
            try:
                method = response.request.method
            except RuntimeError:  # a response built without its request
                method = ""
        try:
            self._check(operation, response, method.upper() == "HEAD", findings)
        except _Unchecked as exc:
            findings.append(f"the response could not be checked: {exc}")
        return findings[:MAX_FINDINGS]

    def _check(
        self, operation: Operation, response: httpx.Response, head: bool, findings: list[str]
    ) -> None:
        status = response.status_code
        responses = self._follow(
            operation.raw.get("responses"), pointer_join(operation.pointer, "responses")
        )
        if not isinstance(responses.node, Mapping):
            return  # nothing documented to check against
        key = self._status_key(responses.node, status)
        if key is None:
            findings.append(f"status {status} is not documented for this operation")
            return
        entry = self._follow(responses.node[key], pointer_join(responses.pointer, key))
        if not isinstance(entry.node, Mapping):
            return
        self._check_body(entry, response, head, findings)
        if len(findings) < MAX_FINDINGS:
            self._check_headers(entry, response, findings)

    def _check_body(
        self, entry: _Entry, response: httpx.Response, head: bool, findings: list[str]
    ) -> None:
        status = response.status_code
        content = entry.node.get("content")
        if not isinstance(content, Mapping) or not content:
            return  # no content documented: whatever comes is not checked
        body = response.content
        if not body:
            if not head:
                findings.append(f"the body is missing (status {status} documents one)")
            return
        content_type = response.headers.get("content-type")
        mimetype = base_media_type(content_type)
        key = self._media_key(content, mimetype)
        if key is None:
            findings.append(
                f"content type {mimetype or '(none)'!r} is not documented for status {status}"
            )
            return
        content_pointer = pointer_join(entry.pointer, "content")
        media = self._follow(content[key], pointer_join(content_pointer, key))
        schema = media.node.get("schema") if isinstance(media.node, Mapping) else None
        if is_json_media_type(mimetype):
            try:
                instance = json.loads(body)
            except ValueError:
                findings.append(f"the body is not valid {mimetype}")
                return
            except RecursionError:
                raise _Unchecked(f"the body nests deeper than {MAX_DEPTH} levels") from None
            if schema is not None and _too_deep(body, instance):
                raise _Unchecked(f"the body nests deeper than {MAX_DEPTH} levels")
        elif mimetype == "text/plain":
            instance = decode_body(body, content_type)
        else:
            return  # other media types: status and content type only
        if schema is not None:
            findings.extend(
                self._schema_findings(pointer_join(media.pointer, "schema"), instance, None)
            )

    def _check_headers(self, entry: _Entry, response: httpx.Response, findings: list[str]) -> None:
        headers = entry.node.get("headers")
        if not isinstance(headers, Mapping):
            return
        headers_pointer = pointer_join(entry.pointer, "headers")
        for name, spec in headers.items():
            if str(name).lower() == "content-type":
                continue  # "it SHALL be ignored" (Response Object, headers)
            header = self._follow(spec, pointer_join(headers_pointer, str(name)))
            if not isinstance(header.node, Mapping):
                continue
            value = response.headers.get(str(name))
            if value is None:
                if header.node.get("required") is True:
                    findings.append(f"a documented response header is missing: {name}")
                continue
            if "schema" not in header.node:
                continue
            schema = self._follow(header.node["schema"], pointer_join(header.pointer, "schema"))
            kind = schema.node.get("type") if isinstance(schema.node, Mapping) else None
            try:
                instance = _header_value(value, kind)
            except ValueError:
                findings.append(f"header {name}: fails type {kind!r}")
                continue
            if instance is not None:
                findings.extend(self._schema_findings(schema.pointer, instance, f"header {name}"))


@cache
def _schema_problems() -> tuple[type[BaseException], ...]:
    """What jsonschema raises on a schema it cannot use (an unresolvable ``$ref``, an unknown
    type name, a bad pattern or a keyword of the wrong kind)."""
    from jsonschema.exceptions import UnknownType
    from referencing.exceptions import Unresolvable

    return (Unresolvable, UnknownType, re.error, TypeError, ValueError)


def _problem(exc: BaseException) -> str:
    """What is wrong with a schema, in words (never the body's values)."""
    from referencing.exceptions import Unresolvable

    if isinstance(exc, Unresolvable):
        ref = str(exc.ref)
        return f"the reference {'#' + ref if ref.startswith('/') else ref!r} does not resolve"
    if isinstance(exc, re.error):
        return "a pattern is not a valid regular expression"
    if isinstance(exc, (TypeError, ValueError)):
        return "a keyword has a value of the wrong kind"
    return "an unknown type"


def _header_value(value: str, kind: object) -> Any:
    """A header's value as its schema's scalar type (``simple`` style); ``None``: not checked.
    `ValueError` when it is not of that type."""
    if kind == "integer":
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            raise ValueError(kind)
        return int(value)
    if kind == "number":
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(kind)
        return number
    if kind == "boolean":
        if value.strip().lower() not in ("true", "false"):
            raise ValueError(kind)
        return value.strip().lower() == "true"
    if kind in ("string", None):
        return value
    return None  # arrays, objects, type lists: not checked


def _too_deep(body: bytes, instance: Any) -> bool:
    """Whether parsed JSON nests deeper than `MAX_DEPTH` (cheap when the body is shallow)."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    level: list[Iterable[Any]] = [[instance]]
    depth = 0
    while level and depth <= MAX_DEPTH + 1:
        nxt: list[Iterable[Any]] = []
        for values in level:
            for value in values:
                if isinstance(value, dict):
                    nxt.append(value.values())
                elif isinstance(value, list):
                    nxt.append(value)
        level = nxt
        depth += 1
    return depth > MAX_DEPTH + 1


def _schema_message(error: ValidationError, subject: str | None) -> str:
    """A jsonschema error without the offending value (it may hold a secret)."""
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    label = subject if subject is not None and where == "(root)" else f"body {where}"
    keyword: object = error.validator  # None for a false schema
    expected = error.validator_value
    if keyword == "required":
        message = str(error.message)
        missing = message.rsplit(" is a required property", 1)[0] if message else "?"
        return f"{label}: required property {missing} is missing"
    if keyword == "additionalProperties":
        return f"{label}: {str(error.message).split(' (')[0]}"
    if keyword is None:  # jsonschema reports a false schema without its location
        return f"{subject or 'body'}: has a value where the schema allows none (false schema)"
    if isinstance(expected, (dict, list)):
        shown = json.dumps(expected, default=str)
        expected_text = shown if len(shown) <= 60 else shown[:57] + "..."
    else:
        expected_text = repr(expected)
    return f"{label}: fails {keyword} {expected_text}"


_checkers: weakref.WeakKeyDictionary[OpenAPIDescription, ContractChecker] = (
    weakref.WeakKeyDictionary()
)
_checkers_lock = threading.Lock()
_factory: Callable[[OpenAPIDescription], ContractChecker] = ContractChecker


def checker_for(description: OpenAPIDescription) -> ContractChecker:
    """The (cached) checker of a description."""
    found = _checkers.get(description)
    if found is None:
        with _checkers_lock:
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
    return checker_for(description).check(operation, response, method=request.method)
