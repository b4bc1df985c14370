"""Turn a bound step into an HTTP request. No I/O: the result is plain data (method, URL,
headers, body bytes) that a driver sends.

Parameters are evaluated and serialised by their OpenAPI definitions; the body is evaluated and
serialised by its content type. What is built here is exactly what goes on the wire (auth adds
its headers afterwards), so the bytes signed are the bytes sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape as xml_escape

from . import queries
from .criteria import evaluate
from .document.plan import BodyPlan, StepPlan
from .errors import ExpressionError
from .expressions import (
    ExpressionContext,
    Literal,
    RuntimeExpression,
    Template,
    Unresolved,
    evaluate_expression,
    render_text,
)
from .expressions.pointer import set_pointer
from .media import is_json_media_type, is_xml_media_type
from .openapi.description import Operation, Parameter
from .openapi.parameters import (
    content_text,
    cookie_pairs,
    header_value,
    path_value,
    query_pairs,
    scalar_text,
)

#: Characters an ``in: querystring`` value keeps as written (all but '#', space, non-ASCII).
_QUERYSTRING_SAFE = "!$&'()*+,-./:;=?@[]^_`{|}~%"
#: Characters a cookie value may carry as they are (RFC 6265 cookie-octet, less '%').
_COOKIE_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"

__all__ = [
    "PreparedCall",
    "RequestBuildError",
    "body_content_type",
    "build_request",
    "is_json_media_type",
    "is_xml_media_type",
    "join_url",
    "render_body_template",
    "serialise_body",
]


class RequestBuildError(Exception):
    """The request for a step cannot be built (an unresolvable value, a missing parameter)."""


@dataclass
class PreparedCall:
    """A request ready to send (plain data: ``method``, ``url``, ``headers``, ``content``),
    and the values ``$request.*`` expressions read."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes = b""
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    #: required parameters the call goes without (none given, no OpenAPI default or example):
    #: ``(location, name)``, for the run's warnings
    omitted: tuple[tuple[str, str], ...] = ()


def _content_type(body: BodyPlan, operation: Operation) -> str | None:
    if body.content_type:
        return body.content_type
    declared = operation.request_media_types
    if not declared:
        return None
    return "application/json" if "application/json" in declared else declared[0]


def body_content_type(body: BodyPlan, operation: Operation) -> str | None:
    """The Content-Type a request body is built for: its ``contentType``, else the operation's
    declared media type (``application/json`` preferred, else the first)."""
    return _content_type(body, operation)


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _form_pairs(value: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        items = item if isinstance(item, list) else [item]
        pairs.extend((str(key), scalar_text(v)) for v in items)
    return pairs


def _multipart(value: Mapping[str, Any], boundary: str) -> bytes:
    """``multipart/form-data`` (RFC 7578): one part per member; bytes are sent as a file,
    objects and arrays as JSON, scalars as text."""
    out = bytearray()
    for key, item in value.items():
        name = str(key).replace('"', "%22")
        out += f"--{boundary}\r\n".encode()
        if isinstance(item, (bytes, bytearray)):
            out += (
                f'Content-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            out += bytes(item)
        elif isinstance(item, (Mapping, list)):
            out += (
                f'Content-Disposition: form-data; name="{name}"\r\n'
                "Content-Type: application/json\r\n\r\n"
            ).encode()
            out += json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode()
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            out += scalar_text(item).encode("utf-8")
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def serialise_body(value: Any, content_type: str | None) -> tuple[bytes, str | None]:
    """The bytes of a request body and the Content-Type to send (a multipart boundary is
    added when the given type has none)."""
    base = _media(content_type)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value), content_type
    if is_json_media_type(base) or (not base and not isinstance(value, str)):
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return data, content_type
    if base == "application/x-www-form-urlencoded" and isinstance(value, Mapping):
        return urlencode(_form_pairs(value)).encode("utf-8"), content_type
    if base == "multipart/form-data" and isinstance(value, Mapping):
        assert content_type is not None
        boundary = None
        for piece in content_type.split(";")[1:]:
            key, _, text = piece.strip().partition("=")
            if key.lower() == "boundary":
                boundary = text.strip('"')
        if boundary is None:
            # not random (the core is deterministic: a replayed run gives the same result) and
            # not derived from the values (they may be secrets): the first one they do not hold
            text, number = repr(value), 0
            boundary = f"arazzo-{number:032x}"
            while boundary in text:
                number += 1
                boundary = f"arazzo-{number:032x}"
            content_type = f"{content_type}; boundary={boundary}"
        return _multipart(value, boundary), content_type
    if isinstance(value, str):
        return value.encode("utf-8"), content_type
    if is_xml_media_type(base):
        raise RequestBuildError("an XML payload must be a string")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    ), content_type


def _replace_json(payload: Any, target: str, kind: str, version: str, value: Any) -> Any:
    if kind != "jsonpath":
        return set_pointer(payload, target, value)
    locations = queries.json_locations(payload, target, version)
    if not locations:
        raise Unresolved(f"JSONPath target {target!r} selects nothing")
    for location in locations:
        payload = set_pointer(payload, location, value)
    return payload


def _replace_xml(
    document: ET.ElementTree[ET.Element], target: str, version: str, value: Any
) -> None:
    from elementpath import XPathContext
    from elementpath.xpath_nodes import AttributeNode, ElementNode

    found = queries.compiled_xpath(target, version).evaluate(XPathContext(document))
    nodes = found if isinstance(found, list) else [found]
    text = value if isinstance(value, str) else scalar_text(value)
    changed = 0
    for node in nodes:
        if isinstance(node, AttributeNode) and isinstance(node.parent, ElementNode):
            owner: Any = node.parent.value
            owner.set(node.name, text)
            changed += 1
        elif isinstance(node, ElementNode):
            element: Any = node.value
            for child in list(element):
                element.remove(child)
            element.text = text
            changed += 1
    if not changed:
        raise Unresolved(f"XPath target {target!r} selects no element or attribute")


_XML_ENTITIES = {'"': "&quot;", "'": "&apos;"}


def _json_text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        value = render_text(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def render_body_template(
    template: Template,
    media: str,
    ctx: ExpressionContext,
    missing: Callable[[RuntimeExpression, Unresolved], str] | None = None,
) -> str:
    """Render a string payload template with each substituted value escaped for ``media``.

    JSON: inside a string literal of the template the value's text is JSON-escaped; outside one
    the value's JSON text is inserted (so ``{"id": {$inputs.id}}`` keeps the type). XML: ``& < >
    " '`` become entities. ``application/x-www-form-urlencoded``: each value is percent-encoded
    (``quote_plus``), so it cannot add fields. Other media types: the plain text of the value.
    Raises `Unresolved` like [`evaluate_value`][arazzo_engine.expressions.evaluate_value], unless
    ``missing`` is given: then it supplies the text of an expression that cannot be resolved
    (the dry run's ``<$steps...>`` markers), inserted as is (as a JSON string in JSON).
    """
    json_like = is_json_media_type(media)
    xml_like = not json_like and is_xml_media_type(media)
    form_like = media == "application/x-www-form-urlencoded"
    out: list[str] = []
    in_string = False  # JSON: inside a string literal of the template text
    escaped = False
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            if json_like:
                for char in part:
                    if escaped:
                        escaped = False
                    elif in_string and char == "\\":
                        escaped = True
                    elif char == '"':
                        in_string = not in_string
            continue
        try:
            value = evaluate_expression(part, ctx)
        except Unresolved as exc:
            if missing is None:
                raise
            marker = missing(part, exc)
            if json_like:
                marker = json.dumps(marker, ensure_ascii=False)
                marker = marker[1:-1] if in_string else marker
            out.append(marker)
            continue
        if json_like:
            out.append(
                json.dumps(render_text(value), ensure_ascii=False)[1:-1]
                if in_string
                else _json_text(value)
            )
        elif xml_like:
            out.append(xml_escape(render_text(value), _XML_ENTITIES))
        elif form_like:
            out.append(quote_plus(render_text(value), safe=""))
        else:
            out.append(render_text(value))
    return "".join(out)


def _evaluate_payload(body: BodyPlan, content_type: str | None, ctx: ExpressionContext) -> Any:
    media = _media(content_type)
    json_like = is_json_media_type(media)
    form_like = media in ("application/x-www-form-urlencoded", "multipart/form-data")
    plan = body.payload
    try:
        if isinstance(plan, Template):
            payload: Any = render_body_template(plan, media, ctx)
        else:
            # Optional inputs not given are left out of JSON objects and form fields; in an
            # array they fail the step (leaving an item out would shift the indices).
            payload = evaluate(plan, ctx, omit_absent_inputs=json_like or form_like)
    except Unresolved as exc:
        raise RequestBuildError(f"requestBody.payload: {exc.reason}") from None
    if json_like and (
        isinstance(plan, Template) or (isinstance(plan, Literal) and isinstance(plan.value, str))
    ):
        # A JSON payload written as a string is JSON text, whether or not it has replacements.
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise RequestBuildError(
                f"requestBody.payload: the {media} payload written as a string is not valid "
                f"JSON after substitution ({exc}): {_clip(payload)}"
            ) from None
    return payload


def _clip(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _evaluate_body(body: BodyPlan, content_type: str | None, ctx: ExpressionContext) -> Any:
    xml_like = is_xml_media_type(content_type)
    form_like = _media(content_type) in ("application/x-www-form-urlencoded", "multipart/form-data")
    payload = _evaluate_payload(body, content_type, ctx)
    if not body.replacements:
        return payload
    # a target without targetSelectorType: XPath in an XML payload, else JSON Pointer
    declared = body.replacement_types or tuple(("", "") for _ in body.replacements)
    kinds = [
        (kind, version or queries.default_version(kind))
        for kind, version in (
            (kind or queries.target_type(content_type), version) for kind, version in declared
        )
    ]
    xml_targets = xml_like and all(kind == "xpath" for kind, _ in kinds)
    document = None
    if xml_targets:
        try:
            document = queries.parse_xml(payload)
        except Exception as exc:
            raise RequestBuildError(f"replacements need an XML payload: {exc}") from None
    elif isinstance(payload, str):
        if form_like:
            payload = dict(parse_qsl(payload, keep_blank_values=True))
        else:
            try:
                payload = json.loads(payload)
            except ValueError:
                raise RequestBuildError("replacements need a JSON payload") from None
    for (target, value_plan), (kind, version) in zip(body.replacements, kinds, strict=True):
        try:
            value = evaluate(value_plan, ctx)
        except Unresolved as exc:
            raise RequestBuildError(f"replacement {target!r}: {exc.reason}") from None
        try:
            if document is not None:
                _replace_xml(document, target, version, value)
            else:
                payload = _replace_json(payload, target, kind, version, value)
        except (Unresolved, ExpressionError, ValueError) as exc:
            raise RequestBuildError(f"replacement target {target!r}: {exc}") from None
        except Exception as exc:  # XPath/JSONPath evaluation errors
            raise RequestBuildError(f"replacement target {target!r}: {exc}") from None
    if document is not None:
        root = document.getroot()
        assert root is not None
        return ET.tostring(root, encoding="unicode")
    return payload


def _check_header_text(location: str, name: str, text: str) -> None:
    """A header or cookie value goes on the wire as ASCII text on one line."""
    if any(char in text for char in "\r\n\x00"):
        raise RequestBuildError(
            f"{location} parameter {name!r}: the value must not contain CR, LF or NUL "
            f"(it would split the HTTP header); got {_clip(text)}"
        )
    if not text.isascii():
        raise RequestBuildError(
            f"{location} parameter {name!r}: the value must be ASCII (HTTP header); "
            f"got {_clip(text)}"
        )


def join_url(base_url: str, path: str, query: list[str] | None = None) -> str:
    """The operation ``path`` joined to the PATH of ``base_url``; the base URL's own query
    (``http://h/api?key=1``) is kept, before the operation's ``query`` components."""
    parts = urlsplit(base_url)
    pieces = [parts.query] if parts.query else []
    pieces.extend(query or [])
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path.rstrip("/") + path, "&".join(pieces), "")
    )


def build_request(
    step: StepPlan,
    ctx: ExpressionContext,
    base_url: str,
) -> PreparedCall:
    """Build the request of an operation step against ``base_url``.

    Raises `RequestBuildError` when a value cannot be resolved or a required path parameter
    is missing (it cannot be left out of the URL); the run records that as the step's failure.
    Another required parameter the step does not give (and that has no OpenAPI default or
    example, which the compiler fills in) is left out and named in ``omitted``.
    """
    operation = step.operation
    assert operation is not None, "build_request is for operation steps"
    definitions: dict[tuple[str, str], Parameter] = {p.key: p for p in operation.parameters}
    path_values: dict[str, Any] = {}
    path_texts: dict[str, str] = {}
    query_values: dict[str, Any] = {}
    query: list[str] = []
    headers: list[tuple[str, str]] = []
    cookies: list[tuple[str, str]] = []
    given: set[tuple[str, str]] = set()
    omitted: list[tuple[str, str]] = []

    def add(param: Parameter | None, name: str, location: str, value: Any) -> None:
        style = param.style if param else None
        explode = param.explode if param else None
        wire = value
        if param is not None and param.content:
            # A `content` parameter is the value serialised by its media type, sent as text.
            wire = content_text(value, next(iter(param.content)))
        if location == "path":
            path_values[name] = value
            path_texts[name] = path_value(name, wire, style, explode)
        elif location == "query":
            query_values[name] = value
            query.extend(
                query_pairs(name, wire, style, explode, param.allow_reserved if param else False)
            )
        elif location == "querystring":
            text = value if isinstance(value, str) else urlencode(value, doseq=True)
            # the query string is taken as written, but a '#' (it would end the query and
            # drop the rest), spaces and non-ASCII characters are percent-encoded
            query.append(quote(text.lstrip("?"), safe=_QUERYSTRING_SAFE))
        elif location == "header":
            text = header_value(wire, explode)
            _check_header_text("header", name, text)
            headers.append((name, text))
        elif location == "cookie":
            pairs = cookie_pairs(name, wire, explode)
            for _, text in pairs:
                _check_header_text("cookie", name, text)
            cookies.extend(pairs)
        else:
            raise RequestBuildError(f"parameter {name!r} has unknown location {location!r}")

    for plan in step.parameters:
        location = plan.location
        if location is None:
            raise RequestBuildError(
                f"parameter {plan.name!r} needs 'in' (path, query, header or cookie)"
            )
        try:
            value = evaluate(plan.value, ctx)
        except Unresolved as exc:
            raise RequestBuildError(f"parameter {plan.name!r} ({location}): {exc.reason}") from None
        key = (plan.name.lower() if location == "header" else plan.name, location)
        given.add(key)
        add(definitions.get(key), plan.name, location, value)

    for key, param in definitions.items():
        if key in given or not param.required:
            continue
        if "const" in param.schema:
            add(param, param.name, param.location, param.schema["const"])
            continue
        if param.location == "path":
            raise RequestBuildError(
                f"required path parameter {param.name!r} of {operation.describe()} is not given "
                "and has no OpenAPI default or example; a path parameter cannot be left out of "
                "the URL"
            )
        omitted.append((param.location, param.name))

    path = operation.request_path
    for name, text in path_texts.items():
        path = path.replace("{" + name + "}", text)
    url = join_url(base_url, path, query)
    if cookies:  # a ';', ',' or space in a value would start another cookie: encode them
        pairs = (f"{k}={quote(v, safe=_COOKIE_SAFE)}" for k, v in cookies)
        headers.append(("Cookie", "; ".join(pairs)))

    content: bytes | None = None
    body_value: Any = None
    if step.body is not None:
        content_type = _content_type(step.body, operation)
        body_value = _evaluate_body(step.body, content_type, ctx)
        content, content_type = serialise_body(body_value, content_type)
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
        if content_type:
            headers.append(("Content-Type", content_type))
    _check_url(url)
    return PreparedCall(
        operation.method.upper(),
        url,
        tuple(headers),
        content or b"",
        path_values,
        query_values,
        body_value,
        tuple(omitted),
    )


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _check_url(url: str) -> None:
    """Refuse a URL no HTTP client can send: no http(s) scheme or host, a bad port, control
    characters."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RequestBuildError(f"invalid request URL {url!r}: {exc}") from None
    problem = None
    if parts.scheme.lower() not in ("http", "https"):
        problem = f"the scheme must be http or https, not {parts.scheme!r}"
    elif not parts.hostname:
        problem = "no host"
    elif port is not None and not 0 <= port <= 65535:
        problem = f"port {port} is out of range"
    elif _CONTROL.search(url):
        problem = "it contains a control character"
    if problem:
        raise RequestBuildError(f"invalid request URL {url!r}: {problem}")
