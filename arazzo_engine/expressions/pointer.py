"""RFC 6901 JSON Pointer: parse, escape, and resolve.

A pointer is either the empty string (the whole document) or a sequence of ``/``-prefixed
reference tokens in which ``~1`` stands for ``/`` and ``~0`` for ``~``. A leading ``#`` (the
URI-fragment form used by runtime expressions, ``$response.body#/items/0``) is accepted and
ignored; no percent-decoding is done. Array indices are decimal without leading zeros; ``-``
(past the end) never names an existing element.

Resolution failures raise `Unresolved` with a reason naming the missing member, the bad
index, or the value that is not a container. Malformed pointers raise
[`ExpressionError`][arazzo_engine.errors.ExpressionError] with the offset of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

from arazzo_engine.errors import ExpressionError
from arazzo_engine.expressions.context import Unresolved

__all__ = [
    "describe",
    "escape",
    "join_pointer",
    "parse_pointer",
    "resolve_pointer",
    "set_pointer",
    "unescape",
]

_INDEX = re.compile(r"0|[1-9][0-9]*")
# An index token longer than this names no element of any array (and longer ones would exceed
# Python's int conversion limit): it is treated as out of range.
_MAX_INDEX_DIGITS = 18


def _index(token: str) -> int:
    """The array index of an `_INDEX` token; absurdly long ones map past any array's end."""
    return int(token) if len(token) <= _MAX_INDEX_DIGITS else 10**_MAX_INDEX_DIGITS


def escape(token: str) -> str:
    """Escape one reference token for use in a pointer (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Undo `escape`: ``~1`` -> ``/`` first, then ``~0`` -> ``~`` (RFC 6901 §4)."""
    return token.replace("~1", "/").replace("~0", "~")


def join_pointer(tokens: Iterable[str]) -> str:
    """Build a pointer string from unescaped reference tokens (no tokens -> ``""``)."""
    return "".join("/" + escape(token) for token in tokens)


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """Split a pointer (``""``, ``"/a/b"`` or ``"#/a/b"``) into its unescaped reference tokens.

    Raises `ExpressionError` when the pointer does not start with ``/`` or contains a
    ``~`` that is not ``~0`` or ``~1``.
    """
    offset = 1 if pointer.startswith("#") else 0
    body = pointer[offset:]
    if body == "":
        return ()
    if not body.startswith("/"):
        raise ExpressionError("a JSON pointer must be empty or start with '/'", pointer, offset)
    tokens: list[str] = []
    position = offset + 1
    for raw in body[1:].split("/"):
        tilde = raw.find("~")
        while tilde != -1:
            if tilde + 1 >= len(raw) or raw[tilde + 1] not in "01":
                raise ExpressionError(
                    "invalid escape in JSON pointer: '~' must be followed by 0 ('~') or 1 ('/')",
                    pointer,
                    position + tilde,
                )
            tilde = raw.find("~", tilde + 2)
        tokens.append(unescape(raw))
        position += len(raw) + 1
    return tuple(tokens)


def describe(value: Any) -> str:
    """Name the JSON type of ``value`` with an article ("a string", "null", "an object")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return "an array"
    return f"a {type(value).__name__}"


def _is_array(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def resolve_pointer(document: Any, pointer: str | Sequence[str]) -> Any:
    """Return the value ``pointer`` designates inside ``document``.

    ``pointer`` is a pointer string (see `parse_pointer`) or a sequence of already
    unescaped tokens. Raises `Unresolved` when a member is missing, an index is not a
    valid index or out of range, or a token would descend into a scalar.
    """
    tokens = parse_pointer(pointer) if isinstance(pointer, str) else tuple(pointer)
    current = document
    for i, token in enumerate(tokens):
        where = f" in {join_pointer(tokens[:i])}" if i else ""
        if isinstance(current, Mapping):
            if token in current:
                current = current[token]
            elif _INDEX.fullmatch(token) and _index(token) in current:
                current = current[_index(token)]
            else:
                raise Unresolved(f"member {token!r} not found{where}")
        elif _is_array(current):
            if token == "-":
                raise Unresolved(f"'-' (past the end) names no existing array element{where}")
            if not _INDEX.fullmatch(token):
                raise Unresolved(f"{token!r} is not an array index{where}")
            index = _index(token)
            if index >= len(current):
                raise Unresolved(
                    f"index {index} out of range (array of length {len(current)}){where}"
                )
            current = current[index]
        else:
            subject = join_pointer(tokens[:i]) if i else "the value"
            raise Unresolved(
                f"cannot look up {token!r}: {subject} is {describe(current)}, "
                "not an object or array"
            )
    return current


def _copy(container: Any) -> Any:
    if isinstance(container, Mapping):
        return dict(container)
    return list(container)


def set_pointer(document: Any, pointer: str | Sequence[str], value: Any) -> Any:
    """Return ``document`` with ``value`` placed at ``pointer``; the input is not modified.

    Objects and arrays along the path are copied (shallow), everything else is shared. The
    last token may name a new object member, replace an existing array element, or append to
    an array (``-`` or an index equal to its length). The empty pointer replaces the whole
    document. Raises `Unresolved` when an intermediate member is missing or the parent
    is not a container, `ExpressionError` when the pointer is malformed.
    """
    tokens = parse_pointer(pointer) if isinstance(pointer, str) else tuple(pointer)
    if not tokens:
        return value
    parent_path, last = tokens[:-1], tokens[-1]
    root = _copy(document) if _is_container(document) else document
    parent = root
    for i, token in enumerate(parent_path):
        if not _is_container(parent):
            break
        child = resolve_pointer(parent, (token,))
        if _is_container(child):
            child = _copy(child)
        _assign(parent, token, child, join_pointer(parent_path[:i]))
        parent = child
    if not _is_container(parent):
        subject = join_pointer(parent_path) or "the document"
        raise Unresolved(
            f"cannot set {last!r}: {subject} is {describe(parent)}, not an object or array"
        )
    _assign(parent, last, value, join_pointer(parent_path), append=True)
    return root


def _is_container(value: Any) -> bool:
    return isinstance(value, Mapping) or _is_array(value)


def _assign(parent: Any, token: str, value: Any, where: str, *, append: bool = False) -> None:
    suffix = f" in {where}" if where else ""
    if isinstance(parent, MutableMapping):
        parent[token] = value
        return
    assert isinstance(parent, MutableSequence)
    if append and token == "-":
        parent.append(value)
        return
    if not _INDEX.fullmatch(token):
        raise Unresolved(f"{token!r} is not an array index{suffix}")
    index = _index(token)
    if append and index == len(parent):
        parent.append(value)
    elif index < len(parent):
        parent[index] = value
    else:
        raise Unresolved(f"index {index} out of range (array of length {len(parent)}){suffix}")
