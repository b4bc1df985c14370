"""Turn a bound step into an HTTP request. No I/O: the result is an ``httpx.Request`` to send.

Parameters are evaluated and serialised by their OpenAPI definitions; the body is evaluated and
serialised by its content type. What is built here is exactly what goes on the wire (auth adds
its headers afterwards), so the bytes signed are the bytes sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from .document.plan import BodyPlan, StepPlan
from .errors import ExpressionError
from .expressions import ExpressionContext, Unresolved, evaluate_value
from .expressions.pointer import set_pointer
from .openapi.description import Operation, Parameter
from .openapi.parameters import (
    cookie_pairs,
    header_value,
    path_value,
    query_pairs,
    scalar_text,
)

__all__ = ["PreparedCall", "RequestBuildError", "build_request", "is_json_media_type"]


class RequestBuildError(Exception):
    """The request for a step cannot be built (an unresolvable value, a missing parameter)."""


@dataclass
class PreparedCall:
    """A request ready to send, and the values ``$request.*`` expressions read."""

    request: httpx.Request
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None


def is_json_media_type(media_type: str | None) -> bool:
    """True for ``application/json``, ``*+json`` and vendor JSON types like x-amz-json-1.1."""
    if not media_type:
        return False
    base = media_type.split(";", 1)[0].strip().lower()
    return base.endswith("/json") or base.endswith("+json") or "/x-amz-json" in base


def _content_type(body: BodyPlan, operation: Operation) -> str | None:
    if body.content_type:
        return body.content_type
    declared = operation.request_media_types
    if not declared:
        return None
    return "application/json" if "application/json" in declared else declared[0]


def _serialise_body(value: Any, content_type: str | None) -> bytes:
    if isinstance(value, bytes):
        return value
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if is_json_media_type(base) or (not base and not isinstance(value, str)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if base == "application/x-www-form-urlencoded" and isinstance(value, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            items = item if isinstance(item, list) else [item]
            pairs.extend((str(key), scalar_text(v)) for v in items)
        return urlencode(pairs).encode("utf-8")
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _evaluate_body(body: BodyPlan, content_type: str | None, ctx: ExpressionContext) -> Any:
    json_like = is_json_media_type(content_type)
    try:
        payload = evaluate_value(body.payload, ctx, omit_absent_inputs=json_like)
    except Unresolved as exc:
        raise RequestBuildError(f"requestBody.payload: {exc.reason}") from None
    if isinstance(payload, str) and json_like and body.replacements:
        try:
            payload = json.loads(payload)
        except ValueError:
            raise RequestBuildError("replacements need a JSON payload") from None
    for target, value_plan in body.replacements:
        try:
            value = evaluate_value(value_plan, ctx)
        except Unresolved as exc:
            raise RequestBuildError(f"replacement {target!r}: {exc.reason}") from None
        try:
            payload = set_pointer(payload, target, value)
        except (Unresolved, ExpressionError, ValueError) as exc:
            raise RequestBuildError(f"replacement target {target!r}: {exc}") from None
    return payload


def build_request(
    step: StepPlan,
    ctx: ExpressionContext,
    base_url: str,
) -> PreparedCall:
    """Build the request of an operation step against ``base_url``.

    Raises :class:`RequestBuildError` when a value cannot be resolved or a required parameter is
    missing; the run records that as the step's failure.
    """
    operation = step.operation
    assert operation is not None, "build_request is for operation steps"
    definitions: dict[tuple[str, str], Parameter] = {p.key: p for p in operation.parameters}
    path_values: dict[str, Any] = {}
    query_values: dict[str, Any] = {}
    query: list[str] = []
    headers: list[tuple[str, str]] = []
    cookies: list[tuple[str, str]] = []
    given: set[tuple[str, str]] = set()

    def add(param: Parameter | None, name: str, location: str, value: Any) -> None:
        style = param.style if param else None
        explode = param.explode if param else None
        if location == "path":
            path_values[name] = value
        elif location == "query":
            query_values[name] = value
            query.extend(
                query_pairs(name, value, style, explode, param.allow_reserved if param else False)
            )
        elif location == "querystring":
            text = value if isinstance(value, str) else urlencode(value, doseq=True)
            query.append(text.lstrip("?"))
        elif location == "header":
            headers.append((name, header_value(value, explode)))
        elif location == "cookie":
            cookies.extend(cookie_pairs(name, value, explode))
        else:
            raise RequestBuildError(f"parameter {name!r} has unknown location {location!r}")

    for plan in step.parameters:
        location = plan.location
        if location is None:
            raise RequestBuildError(
                f"parameter {plan.name!r} needs 'in' (path, query, header or cookie)"
            )
        try:
            value = evaluate_value(plan.value, ctx)
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
        raise RequestBuildError(
            f"required {param.location} parameter {param.name!r} of {operation.describe()} "
            "is not given"
        )

    path = operation.request_path
    for name, value in path_values.items():
        path_param = definitions.get((name, "path"))
        style = path_param.style if path_param else None
        explode = path_param.explode if path_param else None
        path = path.replace("{" + name + "}", path_value(name, value, style, explode))
    url = base_url.rstrip("/") + path
    if query:
        url += ("&" if "?" in url else "?") + "&".join(query)
    if cookies:
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies)))

    content: bytes | None = None
    body_value: Any = None
    if step.body is not None:
        content_type = _content_type(step.body, operation)
        body_value = _evaluate_body(step.body, content_type, ctx)
        content = _serialise_body(body_value, content_type)
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
        if content_type:
            headers.append(("Content-Type", content_type))
    try:
        request = httpx.Request(operation.method.upper(), url, headers=headers, content=content)
    except (httpx.InvalidURL, ValueError) as exc:
        raise RequestBuildError(f"invalid request URL {url!r}: {exc}") from None
    return PreparedCall(request, path_values, query_values, body_value)
