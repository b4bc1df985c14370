"""Reading YAML and JSON as JSON data, with positions, within bounds.

PyYAML follows YAML 1.1, which turns ``yes`` into ``True``, ``2023-09-07`` into a ``date`` and
``0777`` into 511. Arazzo and OpenAPI documents are JSON data written as YAML 1.2, so this loader
resolves plain scalars by the YAML 1.2 core schema only, builds no Python objects from tags,
turns scalar mapping keys into strings (``200:`` is the key ``"200"``), rejects duplicate keys,
and can say the line and column of every node so errors can point at them.

Speed. JSON text is read by the standard ``json`` module. YAML is read from the event stream of
libyaml's C parser (``yaml.CParser``) when PyYAML was built with it, else of PyYAML's Python
parser; this module builds the data from the events itself, without recursion, in one pass.
Positions (JSON Pointer to line and column) are recorded in that pass for YAML; for JSON they
are computed the first time an error asks for one (by reading the text again as YAML).

Bounds. Whatever the input, loading ends quickly with a located `DocumentError`:

* nesting deeper than `MAX_DEPTH` (128) levels;
* YAML aliases that would expand into more than `MAX_ALIAS_NODES` (100,000) nodes in all (the
  "billion laughs" documents); an alias is never walked again to find positions;
* an integer of more than Python's 4,300-digit conversion limit;
* a NUL or other control character that YAML does not allow.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlparse

from ..errors import DocumentError, Location
from ..expressions.pointer import unescape

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "LoadedText", "load_text", "pointer_join"]

#: The deepest nesting of mappings and sequences a document may have.
MAX_DEPTH = 128
#: How many nodes YAML aliases may add to a document in all (each alias adds its anchor's size).
MAX_ALIAS_NODES = 100_000
#: Up to this many characters, YAML positions are recorded while loading; above, on first use.
EAGER_POSITIONS = 64 * 1024


@functools.lru_cache(maxsize=1)
def _event_parser() -> Any:
    """libyaml's C event parser, else PyYAML's Python one (PyYAML is imported here, on the
    first YAML text: JSON, and documents taken from the disk cache, do not need it)."""
    import yaml

    try:
        from yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - PyYAML built without libyaml

        class _PyEventParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
            def __init__(self, stream: str) -> None:
                yaml.reader.Reader.__init__(self, stream)
                yaml.scanner.Scanner.__init__(self)
                yaml.parser.Parser.__init__(self)

            def dispose(self) -> None:
                self.states = []
                self.state = None

        return _PyEventParser
    return CParser


_TAG = "tag:yaml.org,2002:"
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


@functools.lru_cache(maxsize=1)
def _non_printable() -> re.Pattern[str]:
    """What YAML does not allow in a stream (PyYAML's reader rule, checked up front in one
    scan); compiled on first use (about 5 ms: JSON and cached documents do not need it)."""
    return re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _LoadProblem(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _at(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


def _int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith("inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered.endswith("nan"):
        return float("nan")
    return float(lowered)


def _scalar(event: Any) -> Any:
    """The JSON value of a scalar event (YAML 1.2 core schema; only JSON tags allowed)."""
    value: str = event.value
    tag = event.tag
    if tag is None:
        if not event.implicit[0]:
            return value  # quoted
        first = value[:1]
        if first in "~nN" and _NULL_RE.match(value):  # "" is in every string: empty is null
            return None
        if first in "tTfF" and _BOOL_RE.match(value):
            return value.lower() == "true"
        if first in "-+0123456789" and _INT_RE.match(value):
            return _checked_int(value, event)
        if first in "-+0123456789." and _FLOAT_RE.match(value):
            return _float(value)
        return value
    if tag in ("!", _TAG + "str"):
        return value
    try:
        if tag == _TAG + "int":
            return _checked_int(value, event)
        if tag == _TAG + "float":
            return _float(value)
        if tag == _TAG + "bool":
            return value.lower() == "true"
        if tag == _TAG + "null":
            return None
    except ValueError:
        raise _LoadProblem(
            f"{value[:40]!r} is not a valid {tag[len(_TAG) :]}", *_at(event)
        ) from None
    raise _LoadProblem(
        f"tag {tag!r} is not allowed (only JSON data: map, seq, str, int, float, bool, null)",
        *_at(event),
    )


def _checked_int(text: str, event: Any) -> int:
    try:
        return _int(text)
    except ValueError:
        raise _LoadProblem(
            f"integer of {len(text)} digits is too long (Python reads at most 4300 digits)",
            *_at(event),
        ) from None


def resolve_reference(base: str, reference: str) -> str:
    """Resolve a relative reference against the URI (or file path) of the referring document."""
    if urlparse(reference).scheme in ("http", "https", "file") or os.path.isabs(reference):
        return reference
    if urlparse(base).scheme in ("http", "https", "file"):
        return urljoin(base, reference)
    return os.path.normpath(os.path.join(os.path.dirname(base), reference))


def pointer_join(base: str, token: str | int) -> str:
    """Append one reference token to a JSON Pointer, escaping it per RFC 6901."""
    text = str(token).replace("~", "~0").replace("/", "~1")
    return f"{base}/{text}"


def walk_pointer(node: Any, pointer: str) -> Any:
    """The value at JSON Pointer ``pointer`` inside parsed data (``""`` is ``node`` itself).

    Each ``/``-separated token after the first ``/`` is unescaped (``~1`` -> ``/``, ``~0`` ->
    ``~``) and names a mapping key or a decimal array index. Raises `KeyError` (carrying the
    pointer) when a token names nothing; callers turn that into their own located error.
    """
    for raw in pointer.split("/")[1:] if pointer else []:
        token = unescape(raw)
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(pointer)
    return node


def _build(text: str, positions: dict[str, tuple[int, int]] | None) -> Any:
    """Build JSON data from the YAML events of ``text``; fill ``positions`` when given.

    An explicit stack replaces recursion. Each open collection is a frame
    ``[container, pointer, pending key, key event, size, anchor]``.
    """
    parser = _event_parser()(text)
    try:
        return _build_events(parser, positions)
    finally:
        parser.dispose()


def _build_events(parser: Any, positions: dict[str, tuple[int, int]] | None) -> Any:
    import yaml

    get = parser.get_event
    anchors: dict[str, tuple[Any, int, str | None]] = {}  # value, size, raw scalar (for keys)
    alias_nodes = 0
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    done = False
    while True:
        event = get()
        kind = type(event)
        if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
            if kind is yaml.AliasEvent:
                found = anchors.get(event.anchor)
                if found is None:
                    raise _LoadProblem(f"found undefined alias {event.anchor!r}", *_at(event))
                value, size, raw = found
                alias_nodes += size
                if alias_nodes > MAX_ALIAS_NODES:
                    raise _LoadProblem(
                        f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes "
                        "(an alias bomb?)",
                        *_at(event),
                    )
            else:
                value, size, raw = _scalar(event), 1, event.value
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, raw)
            if not stack:
                root, done = value, True
                if positions is not None:
                    positions[""] = _at(event)
                continue
            frame = stack[-1]
            container = frame[0]
            frame[4] += size
            if type(container) is list:
                if positions is not None:
                    positions[pointer_join(frame[1], len(container))] = _at(event)
                container.append(value)
            elif frame[2] is None:  # a key
                if raw is None:
                    raise _LoadProblem("mapping keys must be scalars", *_at(event))
                if raw in container:
                    raise _LoadProblem(f"duplicate key {raw!r}", *_at(event))
                frame[2], frame[3] = raw, event
            else:
                if positions is not None:
                    positions[pointer_join(frame[1], frame[2])] = _at(event)
                container[frame[2]] = value
                frame[2] = None
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            is_map = kind is yaml.MappingStartEvent
            tag = event.tag
            if tag is not None and tag not in ("!", _TAG + ("map" if is_map else "seq")):
                raise _LoadProblem(
                    f"tag {tag!r} is not allowed (only JSON data: map, seq, str, int, "
                    "float, bool, null)",
                    *_at(event),
                )
            if len(stack) >= MAX_DEPTH:
                raise _LoadProblem(
                    f"the document nests deeper than {MAX_DEPTH} levels", *_at(event)
                )
            if stack:
                parent = stack[-1]
                if type(parent[0]) is list:
                    pointer = pointer_join(parent[1], len(parent[0]))
                elif parent[2] is None:
                    raise _LoadProblem("mapping keys must be scalars", *_at(event))
                else:
                    pointer = pointer_join(parent[1], parent[2])
            else:
                pointer = ""
            if positions is not None:
                positions[pointer] = _at(event)
            stack.append([{} if is_map else [], pointer, None, None, 1, event.anchor])
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            container, _, _, _, size, anchor = stack.pop()
            if anchor is not None:
                anchors[anchor] = (container, size, None)
            if not stack:
                root, done = container, True
                continue
            frame = stack[-1]
            frame[4] += size
            if type(frame[0]) is list:
                frame[0].append(container)
            else:
                frame[0][frame[2]] = container
                frame[2] = None
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _LoadProblem("expected a single document in the stream", *_at(event))
        elif kind is yaml.StreamEndEvent:
            break
    if not done:
        raise _LoadProblem("the document is empty", 1, 1)
    return root


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

    def known_positions(self) -> dict[str, tuple[int, int]] | None:
        """The positions found so far (``None`` when they are computed on first use)."""
        return self._positions


def _compute_positions(text: str) -> dict[str, tuple[int, int]]:
    import yaml

    found: dict[str, tuple[int, int]] = {}
    # Keep what was found before a problem.
    with contextlib.suppress(yaml.YAMLError, _LoadProblem, ValueError):
        _build(text, found)
    return found


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def looks_like_json(uri: str, text: str) -> bool:
    """Whether ``text`` from ``uri`` is read as JSON first (a ``.json`` name, or a text that
    starts with ``{`` or ``[``); otherwise it is read as YAML."""
    if uri.lower().endswith(".json"):
        return True
    stripped = text.lstrip()
    return stripped.startswith("{") or stripped.startswith("[")


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def load_text(text: str, uri: str) -> LoadedText:
    """Parse ``text`` (YAML 1.2 or JSON) from ``uri`` into JSON data.

    Raises `DocumentError` with the file, line and column of the problem, also for the bounds
    named in the module docstring.
    """
    if looks_like_json(uri, text):
        try:
            data = json.loads(text, object_pairs_hook=_unique_pairs)
        except json.JSONDecodeError as exc:
            raise DocumentError(
                f"invalid JSON: {exc.msg}", Location(uri, None, exc.lineno, exc.colno)
            ) from None
        except (ValueError, RecursionError):
            pass  # duplicate key, too deep, too long an integer: the YAML reader says where
        else:
            if not _too_deep_json(text):
                return LoadedText(data, uri, text)
    bad = _non_printable().search(text)
    if bad is not None:
        bad_line, bad_column = _line_column(text, bad.start())
        raise DocumentError(
            f"invalid YAML: control character U+{ord(bad.group()):04X} is not allowed",
            Location(uri, None, bad_line, bad_column),
        )
    import yaml  # here: JSON is read without it

    # Positions of a large document are computed only if an error asks for one.
    positions: dict[str, tuple[int, int]] | None = {} if len(text) <= EAGER_POSITIONS else None
    try:
        data = _build(text, positions)
    except _LoadProblem as exc:
        raise DocumentError(exc.message, Location(uri, None, exc.line, exc.column)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise DocumentError(f"invalid YAML: {problem}", Location(uri, None, line, col)) from None
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
        raise DocumentError(f"invalid YAML: {first}", Location(uri)) from None
    return LoadedText(data, uri, text, positions)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def _too_deep_json(text: str) -> bool:
    """Whether JSON ``text`` (already parsed) nests deeper than `MAX_DEPTH`; cheap when shallow."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    # Brackets inside strings count too here: an upper bound, exact when it is small enough.
    return (
        _bracket_depth(text) > MAX_DEPTH and _bracket_depth(_JSON_STRING.sub("", text)) > MAX_DEPTH
    )


def _bracket_depth(text: str) -> int:
    depth = 0
    deepest = 0
    for match in _JSON_BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
