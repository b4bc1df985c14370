"""Reading YAML and JSON as JSON data, with positions.

PyYAML follows YAML 1.1, which turns ``yes`` into ``True``, ``2023-09-07`` into a ``date`` and
``0777`` into 511. Arazzo and OpenAPI documents are JSON data written as YAML 1.2, so this loader
resolves plain scalars by the YAML 1.2 core schema only, builds no Python objects from tags,
turns scalar mapping keys into strings (``200:`` is the key ``"200"``), rejects duplicate keys,
and remembers the line and column of every node so errors can point at them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import DocumentError, Location

__all__ = ["LoadedText", "load_text", "pointer_join"]


class _Json12Loader(yaml.SafeLoader):
    """SafeLoader restricted to the YAML 1.2 core schema (the JSON data model)."""


_Json12Loader.yaml_implicit_resolvers = {}
_RESOLVERS: list[tuple[str, str, str]] = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]
for _tag, _pattern, _first in _RESOLVERS:
    # An empty plain scalar is null: PyYAML looks those up under the key "".
    _starts = [*_first, ""] if _tag.endswith(":null") else list(_first)
    _Json12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _starts)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith("inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text.endswith("nan"):
        return float("nan")
    return float(text)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


_ALLOWED_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            line, col = _mark(key_node)
            raise _LoadProblem("mapping keys must be scalars", line, col)
        key = str(key_node.value)
        if key in result:
            line, col = _mark(key_node)
            raise _LoadProblem(f"duplicate key {key!r}", line, col)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Json12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Json12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Json12Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Json12Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


class _LoadProblem(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _check_tags(node: yaml.Node) -> None:
    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.tag not in _ALLOWED_TAGS:
            line, col = _mark(current)
            raise _LoadProblem(
                f"tag {current.tag!r} is not allowed (only JSON data: map, seq, str, int, "
                "float, bool, null)",
                line,
                col,
            )
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def pointer_join(base: str, token: str | int) -> str:
    """Append one reference token to a JSON Pointer, escaping it per RFC 6901."""
    text = str(token).replace("~", "~0").replace("/", "~1")
    return f"{base}/{text}"


def _positions(node: yaml.Node) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}

    def walk(current: yaml.Node, pointer: str, depth: int) -> None:
        if depth > 200 or pointer in found:
            return
        found[pointer] = _mark(current)
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    child = pointer_join(pointer, key.value)
                    walk(value, child, depth + 1)
                    # Point a key's own pointer at the key when the value is a container.
                    found.setdefault(child, _mark(key))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                walk(item, pointer_join(pointer, index), depth + 1)

    walk(node, "", 0)
    return found


@dataclass
class LoadedText:
    """A parsed document: its data, where it came from, and where each node sits."""

    data: Any
    uri: str
    text: str
    _positions: dict[str, tuple[int, int]] | None = field(default=None, repr=False)

    def location(self, pointer: str) -> Location:
        """The location of the node at ``pointer``, or of its nearest ancestor that is known."""
        if self._positions is None:
            self._positions = _compute_positions(self.text)
        probe = pointer
        while True:
            if probe in self._positions:
                line, col = self._positions[probe]
                return Location(self.uri, pointer, line, col)
            if not probe:
                return Location(self.uri, pointer)
            probe = probe.rsplit("/", 1)[0]


def _compute_positions(text: str) -> dict[str, tuple[int, int]]:
    try:
        loader = _Json12Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return {}
    return _positions(node) if node is not None else {}


def _iter_json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _looks_like_json(uri: str, text: str) -> bool:
    if uri.lower().endswith(".json"):
        return True
    stripped = text.lstrip()
    return stripped.startswith("{") or stripped.startswith("[")


def load_text(text: str, uri: str) -> LoadedText:
    """Parse ``text`` (YAML 1.2 or JSON) from ``uri`` into JSON data.

    Raises `DocumentError` with the file, line and column of the problem.
    """
    if _looks_like_json(uri, text):
        try:
            data = json.loads(text, object_pairs_hook=_iter_json_pairs)
        except json.JSONDecodeError as exc:
            raise DocumentError(
                f"invalid JSON: {exc.msg}", Location(uri, None, exc.lineno, exc.colno)
            ) from None
        except ValueError:
            pass  # a duplicate key: the YAML reader below finds it and says where
        else:
            return LoadedText(data, uri, text)
    loader = _Json12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DocumentError("the document is empty", Location(uri, None, 1, 1))
        _check_tags(node)
        data = loader.construct_document(node)
    except _LoadProblem as exc:
        raise DocumentError(exc.message, Location(uri, None, exc.line, exc.column)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise DocumentError(f"invalid YAML: {problem}", Location(uri, None, line, col)) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}", Location(uri)) from None
    finally:
        loader.dispose()
    return LoadedText(data, uri, text, _positions(node))
