"""Queries in one room: JSON Pointer, JSONPath (RFC 9535 and the Goessner draft), XPath 1.0 to
3.1 and the Arazzo 1.1 Selector Object.

Criteria (`arazzo_engine.criteria`), outputs and values (Selector Objects), request building
(replacement targets) and the compiler's checks all call these functions: the choice of engine
and version for a query type is made here only. Query libraries are imported when first used.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ElementTree

from .errors import DocumentError, Location
from .expressions import ExpressionContext, Unresolved, Value, evaluate_value
from .expressions.pointer import parse_pointer, resolve_pointer

__all__ = [
    "GOESSNER",
    "VERSIONS",
    "Selector",
    "as_text",
    "compiled_regex",
    "compiled_xpath",
    "default_version",
    "expression_type",
    "is_selector",
    "json_subject",
    "parse_xml",
    "query_json",
    "query_xml",
    "select",
    "syntax_problem",
    "target_type",
]

#: Allowed versions per expression type; the first one is the default.
VERSIONS: dict[str, tuple[str, ...]] = {
    "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
    "xpath": ("xpath-31", "xpath-30", "xpath-20", "xpath-10"),
    "jsonpointer": ("rfc6901",),
}
GOESSNER = "draft-goessner-dispatch-jsonpath-00"


def default_version(kind: str) -> str:
    """The version a query type uses when none is given (``""`` for ``regex`` / ``simple``)."""
    versions = VERSIONS.get(kind)
    return versions[0] if versions else ""


def target_type(content_type: Any) -> str:
    """The query type of a replacement target without ``targetSelectorType``: XPath for an XML
    payload, else JSON Pointer."""
    xml = isinstance(content_type, str) and "xml" in content_type.lower()
    return "xpath" if xml else "jsonpointer"


def expression_type(
    kind: Any, version: Any, where: Location | None, allowed: tuple[str, ...]
) -> tuple[str, str]:
    """Normalise a ``type`` (string or Expression Type Object) and ``version`` to
    ``(type, version)`` with the default version filled in. Raises DocumentError."""
    if isinstance(kind, Mapping):
        version = kind.get("version", version)
        kind = kind.get("type")
    if kind not in allowed:
        raise DocumentError(f"unknown expression type {kind!r} (expected one of {allowed})", where)
    versions = VERSIONS.get(str(kind))
    if versions is None:
        return str(kind), ""
    if version is None:
        return str(kind), versions[0]
    if version not in versions:
        raise DocumentError(
            f"unknown {kind} version {version!r} (expected one of {versions})", where
        )
    return str(kind), str(version)


def syntax_problem(kind: str, version: str, text: str) -> str | None:
    """Why ``text`` is not a valid query of this type/version, or None."""
    try:
        if kind == "regex":
            compiled_regex(text)
        elif kind == "jsonpath":
            _jsonpath(text, version)
        elif kind == "xpath":
            compiled_xpath(text, version)
        elif kind == "jsonpointer":
            parse_pointer(text)
    except Exception as exc:  # each library has its own error classes
        return str(exc)
    return None


# -- query engines ------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def compiled_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.lru_cache(maxsize=512)
def _jsonpath(query: str, version: str) -> Any:
    if version == GOESSNER:
        from jsonpath_ng.ext.parser import parse as goessner_parse

        return goessner_parse(query)
    import jsonpath_rfc9535

    return jsonpath_rfc9535.compile(query)


def _xpath_parser(version: str) -> Any:
    if version == "xpath-10":
        from elementpath import XPath1Parser

        return XPath1Parser
    if version == "xpath-20":
        from elementpath import XPath2Parser

        return XPath2Parser
    if version == "xpath-30":
        from elementpath.xpath30 import XPath30Parser

        return XPath30Parser
    from elementpath.xpath31 import XPath31Parser

    return XPath31Parser


@functools.lru_cache(maxsize=512)
def compiled_xpath(query: str, version: str) -> Any:
    """A parsed XPath expression of that version (cached)."""
    return _xpath_parser(version)().parse(query)


def query_json(data: Any, query: str, version: str) -> list[Any]:
    """The values a JSONPath query selects (RFC 9535 or the Goessner draft)."""
    compiled = _jsonpath(query, version)
    if version == GOESSNER:
        return [match.value for match in compiled.find(data)]
    return [node.value for node in compiled.find(data)]


def parse_xml(value: Any) -> ElementTree[Element]:
    """An XML document from text/bytes (parsed safely: no DTD entities, no external
    resources), or an element/tree as is."""
    if isinstance(value, ElementTree):
        return value
    if isinstance(value, Element):
        return ElementTree(value)
    if isinstance(value, (str, bytes)):
        import defusedxml.ElementTree as SafeET

        root = SafeET.fromstring(value)
        return ElementTree(root)
    raise ValueError("the context is not an XML document")


def query_xml(document: ElementTree[Element], query: str, version: str) -> Any:
    """The raw XPath result (a node list or an atomic value)."""
    from elementpath import XPathContext

    token = compiled_xpath(query, version)
    return token, token.evaluate(XPathContext(document))


def _xml_value(item: Any) -> Any:
    """A node as its string value, atomic values as Python values."""
    from elementpath.xpath_nodes import XPathNode

    if isinstance(item, XPathNode):
        return item.string_value
    if isinstance(item, (str, int, float, bool)) or item is None:
        return item
    return str(item)


def as_text(value: Any) -> str:
    """A query subject as text (JSON for structured values)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return json.dumps(value, separators=(",", ":"))


def json_subject(subject: Any) -> Any:
    """A query subject as JSON data (text is parsed)."""
    if isinstance(subject, (str, bytes)):
        try:
            return json.loads(subject)
        except ValueError:
            raise ValueError("the context is not JSON") from None
    return subject


@dataclass(frozen=True)
class Selector:
    """A compiled Selector Object: a query (JSONPath, XPath, JSON Pointer) over a context."""

    context: Value
    selector: str
    type: str
    version: str


_SELECTOR_KEYS = frozenset({"context", "selector", "type"})


def is_selector(raw: Any) -> bool:
    """True for a mapping shaped like a Selector Object (context, selector, type, x-*)."""
    if not isinstance(raw, Mapping):
        return False
    keys = {k for k in raw if not (isinstance(k, str) and k.startswith("x-"))}
    return keys == _SELECTOR_KEYS and isinstance(raw["selector"], str)


def select(selector: Selector, ctx: ExpressionContext) -> Any:
    """Apply a Selector Object. One selected node gives its value, several give a list, none
    is `Unresolved`."""
    subject = evaluate_value(selector.context, ctx)
    if subject is None:
        raise Unresolved(f"the selector's context {selector.context!r} is null")
    try:
        if selector.type == "jsonpointer":
            pointer = selector.selector
            return resolve_pointer(json_subject(subject), parse_pointer(pointer))
        if selector.type == "jsonpath":
            found = query_json(json_subject(subject), selector.selector, selector.version)
        else:
            _, result = query_xml(parse_xml(subject), selector.selector, selector.version)
            items = result if isinstance(result, list) else [result]
            found = [_xml_value(item) for item in items]
    except Unresolved:
        raise
    except Exception as exc:
        raise Unresolved(f"{selector.type} selector {selector.selector!r}: {exc}") from None
    if not found:
        raise Unresolved(f"{selector.type} selector {selector.selector!r} selected nothing")
    return found[0] if len(found) == 1 else found
