"""The inputs fast path never accepts what jsonschema rejects, and leaves every problem's wording
to jsonschema."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from arazzo_engine.run.services import _simple_schema, _surely_valid

SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "required": ["name", "count"],
        "properties": {
            "name": {"type": "string", "description": "a name"},
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "flag": {"type": "boolean"},
            "colour": {"enum": ["red", "green"]},
            "secret": {"type": "string", "format": "password"},
        },
    },
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "string", "enum": ["x", "y"]}, "b": {"type": "number"}},
    },
]

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.0, 2.5, "red", "green", "x", "y", ""]),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
)
_inputs = st.dictionaries(
    st.sampled_from(["name", "count", "ratio", "flag", "colour", "secret", "a", "b", "other"]),
    _scalars,
    max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(schema=st.sampled_from(SCHEMAS), inputs=_inputs)
def test_the_fast_path_accepts_only_what_jsonschema_accepts(
    schema: dict[str, Any], inputs: dict[str, Any]
) -> None:
    assert _simple_schema(schema)
    valid = jsonschema.Draft202012Validator(schema).is_valid(inputs)
    if _surely_valid(schema, inputs):
        assert valid, inputs


def test_valid_inputs_are_recognised() -> None:
    assert _surely_valid(SCHEMAS[0], {"name": "n", "count": 2.0, "colour": "red"})
    assert not _surely_valid(SCHEMAS[0], {"name": "n", "count": True})
    assert not _surely_valid(SCHEMAS[0], {"name": "n"})
    assert not _surely_valid(SCHEMAS[1], {"c": 1})


def test_other_schemas_go_to_jsonschema() -> None:
    for schema in (
        {"type": "object", "properties": {"a": {"type": "string", "minLength": 2}}},
        {"type": "object", "properties": {"a": {"type": "string", "format": "email"}}},
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}},
        {"type": "object", "properties": {"a": {"enum": [1, "1"]}}},
        {"type": "object", "properties": {"a": {"type": ["string", "null"]}}},
        {"properties": {"a": {"type": "string"}}},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "object", "oneOf": []},
    ):
        assert not _simple_schema(schema), schema
