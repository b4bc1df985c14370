"""Proving an instance valid against a JSON Schema without jsonschema, for a strict subset.

jsonschema validates workflow inputs and (for contract checks) response bodies, and words
what is wrong; importing it costs a short-lived process about 50 ms, more than the rest of a
small run. Most instances are valid, and most schemas use a few keywords, so `surely_valid`
first tries to *prove* the instance valid with those keywords only. It answers True only when
every keyword on the way is one it knows and the instance satisfies it, by a rule at least as
strict as jsonschema's in both dialects the engine uses (JSON Schema 2020-12, and Draft 4
with OpenAPI 3.0's ``nullable``). Anything else (another keyword, a ``$ref`` outside the
document, a value it would have to think harder about, ``null`` where ``nullable`` may
matter) answers False: "not sure", and the caller asks jsonschema, which gives the verdict and
the findings. So jsonschema stays the one judge of what is invalid; this module only skips
asking it when the answer is certainly "valid".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from .document.loader import walk_pointer

__all__ = ["ANNOTATIONS", "surely_valid"]

#: Keywords that never change whether an instance is valid (annotations, vendor extensions
#: are recognised by their ``x-`` prefix).
ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "default",
        "example",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "xml",
        "externalDocs",
        "discriminator",
        "contentEncoding",
        "contentMediaType",
        "$defs",
        "definitions",
        # OpenAPI 3.0: allows null besides the type; null instances are "not sure" anyway
        "nullable",
    }
)
#: Formats no validator the engine uses checks (so any string or number passes them).
_UNCHECKED_FORMATS = frozenset({"password", "double", "float"})
#: OpenAPI's integer formats: the range of a signed integer of that many bits.
_INTEGER_FORMATS = {"int32": 32, "int64": 64}
_KNOWN = ANNOTATIONS | {
    "$ref",
    "type",
    "enum",
    "const",
    "format",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "pattern",
    "allOf",
    "anyOf",
}
#: How deep a schema may nest (``$ref`` hops included) before the answer is "not sure".
_MAX_DEPTH = 64


def surely_valid(schema: Any, instance: Any, root: Mapping[str, Any] | None = None) -> bool:
    """True when ``instance`` is valid against ``schema`` for certain; False when it may not
    be (ask jsonschema). ``root`` is the document that ``$ref``s such as
    ``#/components/schemas/X`` point into (None: such a ``$ref`` is "not sure")."""
    return _valid(schema, instance, root, 0)


def _valid(schema: Any, instance: Any, root: Mapping[str, Any] | None, depth: int) -> bool:
    if schema is True:
        return True
    if type(schema) is not dict or depth > _MAX_DEPTH:
        return False
    if not all(key in _KNOWN or key.startswith("x-") for key in schema):
        return False  # $id, $anchor, $schema (they change what a $ref means) included
    if "$ref" in schema:
        if any(key not in ANNOTATIONS and key != "$ref" for key in schema):
            return False  # siblings: ignored by Draft 4, applied by 2020-12
        target = _resolve(schema["$ref"], root)
        return target is not None and _valid(target, instance, root, depth + 1)
    if instance is None:
        return schema.get("type") == "null" and len(schema.keys() - ANNOTATIONS) == 1
    kind = schema.get("type")
    if kind is not None and not _is_type(instance, kind):
        return False
    if "enum" in schema and not _among(instance, schema["enum"]):
        return False
    if "const" in schema and not _among(instance, [schema["const"]]):
        return False
    if "format" in schema and not _format_ok(schema["format"], instance):
        return False
    for key in ("allOf", "anyOf"):
        if key in schema:
            parts = schema[key]
            if type(parts) is not list or not parts:
                return False
            test = all if key == "allOf" else any
            if not test(_valid(part, instance, root, depth + 1) for part in parts):
                return False
    kind_of = type(instance)
    if kind_of is dict:
        return _valid_object(schema, instance, root, depth)
    if kind_of is list:
        return _valid_array(schema, instance, root, depth)
    if kind_of is str:
        return _valid_string(schema, instance)
    if kind_of is int or kind_of is float:
        return _valid_number(schema, instance)
    return kind_of is bool


def _is_type(instance: Any, kind: Any) -> bool:
    if type(kind) is list:
        return any(type(k) is str and _is_type(instance, k) for k in kind)
    value_type = type(instance)
    if kind == "object":
        return value_type is dict
    if kind == "array":
        return value_type is list
    if kind == "string":
        return value_type is str
    if kind == "boolean":
        return value_type is bool
    if kind == "integer":  # 1.0 counts in 2020-12 but not in Draft 4: not sure, then
        return value_type is int
    if kind == "number":
        return value_type is int or value_type is float
    return False  # "null" (handled above), or not a type name


def _among(instance: Any, options: Any) -> bool:
    """``instance`` equals one of ``options``, for scalars of the same type (True == 1 and
    1 == 1.0 are left to jsonschema)."""
    if type(options) is not list or type(instance) not in (str, int, float, bool):
        return False
    return any(type(option) is type(instance) and option == instance for option in options)


def _format_ok(name: Any, instance: Any) -> bool:
    if name in _UNCHECKED_FORMATS:
        return True
    bits = _INTEGER_FORMATS.get(name) if type(name) is str else None
    if bits is None:
        return False  # a format some checker checks: not sure
    if type(instance) is not int:
        return type(instance) in (str, float, dict, list, bool)  # applies to integers only
    return -(1 << (bits - 1)) <= instance < (1 << (bits - 1))


def _valid_object(
    schema: dict[str, Any], instance: dict[str, Any], root: Mapping[str, Any] | None, depth: int
) -> bool:
    required = schema.get("required", ())
    if type(required) not in (list, tuple) or any(name not in instance for name in required):
        return False
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if type(properties) is not dict:
        return False
    for name, value in instance.items():
        rule = properties.get(name)
        if rule is None:
            rule = extra
        if rule is True:
            continue
        if not _valid(rule, value, root, depth + 1):
            return False
    return True


def _valid_array(
    schema: dict[str, Any], instance: list[Any], root: Mapping[str, Any] | None, depth: int
) -> bool:
    if not _within(len(instance), schema.get("minItems"), schema.get("maxItems")):
        return False
    items = schema.get("items", True)
    if items is True:
        return True
    if type(items) is not dict:  # Draft 4's list of schemas per position, or false
        return False
    return all(_valid(items, item, root, depth + 1) for item in instance)


def _valid_string(schema: dict[str, Any], instance: str) -> bool:
    if not _within(len(instance), schema.get("minLength"), schema.get("maxLength")):
        return False
    pattern = schema.get("pattern")
    if pattern is None:
        return True
    compiled = _pattern(pattern) if type(pattern) is str else None
    return compiled is not None and compiled.search(instance) is not None


def _valid_number(schema: dict[str, Any], instance: float) -> bool:
    low, high = schema.get("minimum"), schema.get("maximum")
    for bound in (low, high):
        if bound is not None and type(bound) not in (int, float):
            return False
    return (low is None or instance >= low) and (high is None or instance <= high)


def _within(size: int, low: Any, high: Any) -> bool:
    for bound in (low, high):
        if bound is not None and (type(bound) is not int or bound < 0):
            return False
    return (low is None or size >= low) and (high is None or size <= high)


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """The pattern as jsonschema reads it (Python's ``re``, searched), or None."""
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


def _resolve(ref: Any, root: Mapping[str, Any] | None) -> Any:
    """The schema a same-document ``$ref`` (``#/a/b``) points at, else None."""
    if root is None or type(ref) is not str or not ref.startswith("#"):
        return None
    pointer = unquote(ref[1:])
    if pointer and not pointer.startswith("/"):
        return None  # an anchor: not sure
    try:
        return walk_pointer(root, pointer)
    except KeyError:
        return None
