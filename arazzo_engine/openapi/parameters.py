"""Parameter serialisation by OpenAPI ``style`` / ``explode`` / ``allowReserved``.

Each function returns text that is ready to go on the wire: path segments and query pairs are
percent-encoded here, so that what is signed and what is sent are the same characters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

__all__ = [
    "content_text",
    "cookie_pairs",
    "header_value",
    "path_value",
    "query_pairs",
    "scalar_text",
]

# What ``allowReserved`` leaves as is: RFC 3986 reserved characters, except ``#``, which would
# end the query and start a fragment (never data in a query value). Everything else, non-ASCII
# included, is percent-encoded as UTF-8.
_RESERVED = ":/?[]@!$&'()*+,;="


def scalar_text(value: Any) -> str:
    """A scalar in the text form OpenAPI uses: ``true``/``false``, ``null`` as empty, numbers."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def content_text(value: Any, media_type: str) -> str:
    """A ``content`` parameter's value serialised by its media type: JSON text for JSON media
    types (strings included, so ``"a"`` is sent quoted), the plain text form otherwise."""
    base = media_type.split(";", 1)[0].strip().lower()
    if base.endswith("/json") or base.endswith("+json"):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return scalar_text(value)


def _enc(text: str, allow_reserved: bool = False) -> str:
    return quote(text, safe=_RESERVED if allow_reserved else "")


def _items(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return [(str(k), scalar_text(v)) for k, v in value.items()]
    return []


def path_value(name: str, value: Any, style: str | None, explode: bool | None) -> str:
    """The text that replaces ``{name}`` in a path template."""
    style = style or "simple"
    explode = bool(explode)
    if isinstance(value, list):
        parts = [_enc(scalar_text(v)) for v in value]
        if style == "label":
            return "." + ("." if explode else ",").join(parts)
        if style == "matrix":
            if explode:
                return "".join(f";{name}={p}" for p in parts)
            return f";{name}=" + ",".join(parts)
        return ",".join(parts)
    if isinstance(value, Mapping):
        pairs = [(_enc(k), _enc(v)) for k, v in _items(value)]
        joined = [f"{k}={v}" if explode else f"{k},{v}" for k, v in pairs]
        if style == "label":
            return "." + ("." if explode else ",").join(joined)
        if style == "matrix":
            if explode:
                return "".join(f";{p}" for p in joined)
            return f";{name}=" + ",".join(joined)
        return ",".join(joined)
    text = _enc(scalar_text(value))
    if style == "label":
        return "." + text
    if style == "matrix":
        return f";{name}={text}" if value is not None else f";{name}"
    return text


def query_pairs(
    name: str,
    value: Any,
    style: str | None,
    explode: bool | None,
    allow_reserved: bool = False,
) -> list[str]:
    """Encoded ``key=value`` query components for one parameter."""
    style = style or "form"
    explode = (style == "form") if explode is None else explode
    key = _enc(name)

    def enc(text: str) -> str:
        return _enc(text, allow_reserved)

    if isinstance(value, list):
        texts = [enc(scalar_text(v)) for v in value]
        if explode and style in ("form", "spaceDelimited", "pipeDelimited"):
            return [f"{key}={t}" for t in texts]
        separator = {"spaceDelimited": "%20", "pipeDelimited": "|"}.get(style, ",")
        return [f"{key}={separator.join(texts)}"]
    if isinstance(value, Mapping):
        pairs = _items(value)
        if style == "deepObject":
            return [f"{key}%5B{_enc(k)}%5D={enc(v)}" for k, v in pairs]
        if style == "form" and explode:
            return [f"{_enc(k)}={enc(v)}" for k, v in pairs]
        separator = {"spaceDelimited": "%20", "pipeDelimited": "|"}.get(style, ",")
        return [f"{key}=" + separator.join(f"{_enc(k)}{separator}{enc(v)}" for k, v in pairs)]
    return [f"{key}={enc(scalar_text(value))}"]


def header_value(value: Any, explode: bool | None) -> str:
    """A header parameter's value (style ``simple``)."""
    if isinstance(value, list):
        return ",".join(scalar_text(v) for v in value)
    if isinstance(value, Mapping):
        if explode:
            return ",".join(f"{k}={v}" for k, v in _items(value))
        return ",".join(x for pair in _items(value) for x in pair)
    return scalar_text(value)


def cookie_pairs(name: str, value: Any, explode: bool | None) -> list[tuple[str, str]]:
    """``(name, value)`` cookie pairs for one parameter (style ``form``)."""
    explode = True if explode is None else explode
    if isinstance(value, list):
        if explode:
            return [(name, scalar_text(v)) for v in value]
        return [(name, ",".join(scalar_text(v) for v in value))]
    if isinstance(value, Mapping):
        if explode:
            return _items(value)
        return [(name, ",".join(x for pair in _items(value) for x in pair))]
    return [(name, scalar_text(value))]
