"""Media types and HTTP bodies: which types are JSON or XML, decoding a body by its type, and a
short account of an error response. Shared by request building, the run context, results and
the auth flows."""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "base_media_type",
    "decode_body",
    "error_summary",
    "is_json_media_type",
    "is_xml_media_type",
]


def base_media_type(media_type: str | None) -> str:
    """A media type without parameters, in lower case (``Text/Plain; q=1`` -> ``text/plain``)."""
    return (media_type or "").split(";", 1)[0].strip().lower()


_base = base_media_type


def is_json_media_type(media_type: str | None) -> bool:
    """True for ``application/json``, ``*+json`` and vendor JSON types like x-amz-json-1.1."""
    base = _base(media_type)
    return base.endswith("/json") or base.endswith("+json") or "/x-amz-json" in base


def is_xml_media_type(media_type: str | None) -> bool:
    """True for ``application/xml``, ``text/xml`` and ``*+xml``."""
    base = _base(media_type)
    return base.endswith("/xml") or base.endswith("+xml")


def decode_body(content: bytes, content_type: str | None) -> Any:
    """A body as data: parsed JSON for JSON media types (text if it does not parse), else text;
    ``None`` when empty."""
    if not content:
        return None
    text = content.decode("utf-8", "replace")
    if is_json_media_type(content_type):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def error_summary(status: int, body: bytes, content_type: str | None = None) -> str:
    """``HTTP <status> (<code>: <message>)``: what an error response's body says, read from the
    common JSON shapes (``__type``/``code``/``error`` with ``message``/``detail``/
    ``error_description``) or an XML ``<Code>``/``<Message>``, else the start of its text.
    Plain data in: the status, the body bytes (decompressed) and its Content-Type."""
    text = body[:2000].decode("utf-8", "replace").strip()
    detail = ""
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict):
        code = next(
            (str(parsed[k]) for k in ("__type", "code", "error", "title") if k in parsed), ""
        )
        message = next(
            (
                str(parsed[k])
                for k in ("message", "Message", "detail", "error_description")
                if k in parsed
            ),
            "",
        )
        detail = ": ".join(x for x in (code.rsplit("#", 1)[-1], message) if x)
    elif "<Code>" in text:
        code = text.split("<Code>", 1)[1].split("</Code>", 1)[0]
        message = (
            text.split("<Message>", 1)[1].split("</Message>", 1)[0] if "<Message>" in text else ""
        )
        detail = ": ".join(x for x in (code, message) if x)
    if not detail and text:
        detail = " ".join(text.split())[:200]
    return f"HTTP {status}" + (f" ({detail})" if detail else "")
