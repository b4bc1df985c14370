"""`surely_valid` never says "valid" where jsonschema says "invalid" (in JSON Schema 2020-12
and in Draft 4 with OpenAPI 3.0's nullable, the two dialects the engine validates with), and
it does say "valid" for the common cases it exists for (so the test can fail both ways)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from arazzo_engine.contract import _oas30_validator
from arazzo_engine.run.services import _simple_schema
from arazzo_engine.valid_subset import surely_valid

ROOT = Path(__file__).resolve().parents[2]

# -- random schemas of the subset (and a few keywords outside it) ------------------------------

_leaf = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(
                [
                    "string",
                    "integer",
                    "number",
                    "boolean",
                    "null",
                    "object",
                    "array",
                    ["string", "null"],
                    ["integer", "string"],
                ]
            ),
            "enum": st.lists(
                st.one_of(st.integers(-2, 2), st.sampled_from(["a", "b", True, False, 1.0])),
                min_size=1,
                max_size=3,
            ),
            "const": st.sampled_from([1, "a", True, 1.0, 0]),
            "minLength": st.integers(0, 3),
            "maxLength": st.integers(0, 3),
            "pattern": st.sampled_from(["^a", "b$", "[0-9]+", "^$"]),
            "minimum": st.sampled_from([-1, 0, 1.5, 2]),
            "maximum": st.sampled_from([-1, 0, 1.5, 2]),
            "format": st.sampled_from(["int32", "int64", "double", "password", "date-time"]),
            "nullable": st.booleans(),
            "description": st.just("annotated"),
            "exclusiveMinimum": st.sampled_from([0, 1]),
        },
    ),
    st.booleans(),
)


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    names = st.sampled_from(["a", "b", "c"])
    return st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("object")},
            optional={
                "properties": st.dictionaries(names, children, max_size=3),
                "required": st.lists(names, max_size=2, unique=True),
                "additionalProperties": st.one_of(st.booleans(), children),
            },
        ),
        st.fixed_dictionaries(
            {},
            optional={
                "items": children,
                "minItems": st.integers(0, 2),
                "maxItems": st.integers(0, 3),
                "type": st.just("array"),
            },
        ),
        st.fixed_dictionaries({"allOf": st.lists(children, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"anyOf": st.lists(children, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"oneOf": st.lists(children, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"$ref": st.just("#/$defs/shared")}),
    )


_schemas = st.recursive(_leaf, _extend, max_leaves=8)
_instances = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.sampled_from([0.0, 1.0, 1.5, 2**40]),
        st.sampled_from(["", "a", "ab", "b", "12", "2026-11-29T00:00:00Z", "xyz"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), children, max_size=3),
    ),
    max_leaves=8,
)
SHARED = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 2}}}


@settings(max_examples=1500, deadline=None)
@given(schema=_schemas, instance=_instances)
def test_surely_valid_is_never_wrong(schema: Any, instance: Any) -> None:
    root = {"$defs": {"shared": SHARED}}
    if isinstance(schema, dict):
        schema = {**schema, "$defs": {"shared": SHARED}}
        root = schema
    if not surely_valid(schema, instance, root):
        return
    draft2020 = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert draft2020.is_valid(instance), (schema, instance)
    try:
        draft4 = _oas30_validator()(schema, format_checker=jsonschema.FormatChecker())
        verdict = draft4.is_valid(instance)
    except TypeError:  # a boolean schema where Draft 4 (OpenAPI 3.0) has none
        return
    assert verdict, (schema, instance)


# -- it says "valid" where it should -------------------------------------------------------------


def test_an_ecr_response_is_proven_valid_against_its_schema() -> None:
    spec = yaml.load(
        (ROOT / "specs" / "openapi" / "amazon-ecr-openapi.yml").read_text(), Loader=yaml.CSafeLoader
    )
    image = {
        "registryId": "123456789012",
        "repositoryName": "arazzo/demo",
        "imageId": {"imageDigest": "sha256:" + "0" * 64, "imageTag": "v1"},
        "imageManifest": '{"schemaVersion": 2}',
        "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
    }
    ref = {"$ref": "#/components/schemas/BatchGetImageResponse"}
    assert surely_valid(ref, {"images": [image], "failures": []}, spec)
    bad = {"images": [{**image, "repositoryName": "UPPER CASE!"}], "failures": []}
    assert not surely_valid(ref, bad, spec)  # its pattern: jsonschema words the finding
    assert not jsonschema.Draft202012Validator({**spec, **ref}).is_valid(bad)


def test_what_it_leaves_to_jsonschema() -> None:
    assert surely_valid({"type": "integer"}, 3)
    assert not surely_valid({"type": "integer"}, 3.0)  # Draft 4 and 2020-12 differ
    assert not surely_valid({"type": "string", "format": "email"}, "a@b")  # checked formats
    assert not surely_valid({"oneOf": [{"type": "string"}]}, "a")
    assert not surely_valid({"$ref": "other.yaml#/x"}, "a", {})
    assert not surely_valid({"$ref": "#/x", "type": "string"}, "a", {"x": {}})  # siblings
    assert not surely_valid({"type": "string", "nullable": True}, None)
    assert not surely_valid({"enum": [1]}, True)  # True == 1 is jsonschema's to judge
    assert surely_valid({"type": "string", "nullable": True}, "x")
    assert surely_valid({"type": "integer", "format": "int32"}, 2**31 - 1)
    assert not surely_valid({"type": "integer", "format": "int32"}, 2**31)


# -- the inputs gate: well-formed simple schemas only ------------------------------------------


def test_other_inputs_schemas_go_to_jsonschema() -> None:
    assert _simple_schema({"type": "object", "properties": {"a": {"type": "string"}}})
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
