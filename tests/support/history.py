"""Reading a Temporal run's history the way an attacker with access to it would: every
payload decoded (base64, JSON, and the base64 bodies inside it), so a secret cannot hide in an
encoding."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def _decoded(text: str) -> str | None:
    if len(text) < 8 or len(text) % 4:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def expand(value: Any, depth: int = 0) -> str:
    """All the text in ``value`` (a history as ``to_json_dict()``), base64 and JSON opened."""
    if depth > 4:  # decodings within decodings
        return ""
    if isinstance(value, dict):
        return " ".join(f"{k} {expand(v, depth)}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(expand(v, depth) for v in value)
    if not isinstance(value, str):
        return str(value)
    parts = [value]
    inner = _decoded(value)
    if inner is not None:
        parts.append(expand(inner, depth + 1))
    try:
        loaded = json.loads(value)
    except ValueError:
        loaded = None
    if isinstance(loaded, (dict, list, str)) and loaded != value:
        parts.append(expand(loaded, depth + 1))
    return " ".join(parts)
