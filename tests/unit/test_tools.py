"""Tool definitions from workflows: names, schemas ($refs resolved, secrets removed), the MCP,
OpenAI and Anthropic formats (checked against JSON Schemas of their documented shapes), the
argument checks, and the ``tools`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from arazzo_engine import DocumentError, WorkflowNotFoundError, tool_definitions
from arazzo_engine.agents.tools import build_tools, resolve_refs, tool_name
from arazzo_engine.cli import main
from tests.conftest import ROOT, SPEC
from tests.e2e.mcp_shop import SECRET, write_documents

NAME = {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"}
OBJECT_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"const": "object"}, "properties": {"type": "object"}},
}

#: OpenAI function tools (Chat Completions ``tools``): {"type": "function", "function":
#: {"name", "description", "parameters"}}; the name is a-z, A-Z, 0-9, _ and -, at most 64.
OPENAI_TOOL = {
    "type": "object",
    "required": ["type", "function"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "function"},
        "function": {
            "type": "object",
            "required": ["name", "description", "parameters"],
            "additionalProperties": False,
            "properties": {
                "name": NAME,
                "description": {"type": "string", "minLength": 1},
                "parameters": OBJECT_SCHEMA,
                "strict": {"type": "boolean"},
            },
        },
    },
}

#: Anthropic Messages API client tools: {"name", "description", "input_schema"} where
#: input_schema is a JSON Schema of type object; the name matches ^[a-zA-Z0-9_-]{1,64}$.
ANTHROPIC_TOOL = {
    "type": "object",
    "required": ["name", "input_schema"],
    "additionalProperties": False,
    "properties": {
        "name": NAME,
        "description": {"type": "string"},
        "input_schema": OBJECT_SCHEMA,
    },
}

#: MCP ``Tool`` (tools/list): name, title, description, inputSchema (type object),
#: outputSchema (type object), annotations with the boolean hints.
MCP_TOOL = {
    "type": "object",
    "required": ["name", "inputSchema"],
    "additionalProperties": False,
    "properties": {
        "name": NAME,
        "title": {"type": "string"},
        "description": {"type": "string"},
        "inputSchema": OBJECT_SCHEMA,
        "outputSchema": OBJECT_SCHEMA,
        "annotations": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "title": {"type": "string"},
                "readOnlyHint": {"type": "boolean"},
                "destructiveHint": {"type": "boolean"},
                "idempotentHint": {"type": "boolean"},
                "openWorldHint": {"type": "boolean"},
            },
        },
    },
}

SHAPES = {"openai": OPENAI_TOOL, "anthropic": ANTHROPIC_TOOL, "mcp": MCP_TOOL}


@pytest.fixture
def shop_documents(tmp_path: Path) -> tuple[Path, Path]:
    return write_documents(tmp_path)


@pytest.mark.parametrize("format", ["mcp", "openai", "anthropic"])
def test_formats_match_their_documented_shapes(
    format: str, shop_documents: tuple[Path, Path]
) -> None:
    definitions = tool_definitions(
        [SPEC, *shop_documents], format=format, inputs={"apiKey": SECRET}
    )
    assert len(definitions) == 4  # publish-image, get-item, place_order, get-item_2
    validator = Draft202012Validator(SHAPES[format])
    for definition in definitions:
        assert not list(validator.iter_errors(definition)), definition
        Draft202012Validator.check_schema(  # the parameters are a valid JSON Schema
            definition.get("inputSchema")
            or definition.get("input_schema")
            or definition["function"]["parameters"]
        )
    assert SECRET not in json.dumps(definitions)


def test_shape_schemas_can_fail() -> None:
    validator = Draft202012Validator(OPENAI_TOOL)
    assert list(validator.iter_errors({"name": "x", "parameters": {}}))  # the Anthropic shape
    assert list(Draft202012Validator(ANTHROPIC_TOOL).iter_errors({"name": "bad name!"}))


def test_bundled_ecr_tool() -> None:
    [tool] = tool_definitions(SPEC, format="openai")
    function = tool["function"]
    assert function["name"] == "publish-image"
    assert function["description"].startswith("Put an image manifest into a repository")
    assert function["parameters"]["required"] == ["repositoryName", "imageManifest", "imageTag"]


def test_names_are_made_valid_and_unique() -> None:
    assert tool_name("place.order") == "place_order"
    assert tool_name("a b/c") == "a_b_c"
    assert tool_name("...") == "workflow"
    assert tool_name("x" * 100) == "x" * 64


def test_collisions_are_renamed_and_reported(shop_documents: tuple[Path, Path]) -> None:
    tools, warnings = build_tools(list(shop_documents), inputs={"apiKey": SECRET})
    assert [t.name for t in tools] == ["get-item", "place_order", "get-item_2"]
    assert any("'get-item_2'" in w and "collides with workflow 'get-item'" in w for w in warnings)


def test_secret_inputs_are_not_parameters(shop_documents: tuple[Path, Path]) -> None:
    tools, warnings = build_tools(shop_documents[0], inputs={"apiKey": SECRET, "itemId": 3})
    item = tools[0]
    assert item.input_schema["properties"] == {
        "itemId": {"type": "integer", "minimum": 1, "description": "The item to read", "default": 3}
    }
    assert "required" not in item.input_schema  # itemId has a server default now
    assert item.read_only and not tools[1].read_only
    assert item.inputs({"itemId": 8}) == {"itemId": 8, "apiKey": SECRET}
    # needs-token: its required secret is not configured
    assert [t.workflow_id for t in tools] == ["get-item", "place.order"]
    assert any("'needs-token'" in w and "token are not configured" in w for w in warnings)


def test_without_the_secret_the_tool_is_left_out(shop_documents: tuple[Path, Path]) -> None:
    tools, warnings = build_tools(shop_documents[0])
    assert [t.workflow_id for t in tools] == ["place.order"]  # its apiKey is optional
    assert sum("left out" in w for w in warnings) == 2


def test_arguments_are_checked(shop_documents: tuple[Path, Path]) -> None:
    tools, _ = build_tools(shop_documents[0], inputs={"apiKey": SECRET})
    item = tools[0]
    assert item.check({"itemId": 2}) == []
    assert item.check({"itemId": "2"}) == ["itemId: '2' is not of type 'integer'"]
    assert item.check({}) == ["(arguments): 'itemId' is a required property"]
    assert item.check({"itemId": 1, "apiKey": "x"}) == [
        "apiKey: is configured on the server and cannot be given as an argument"
    ]


def test_workflow_choice(shop_documents: tuple[Path, Path]) -> None:
    tools, _ = build_tools(list(shop_documents), workflows=["place.order"])
    assert [t.name for t in tools] == ["place_order"]
    with pytest.raises(WorkflowNotFoundError, match="nope"):
        build_tools(list(shop_documents), workflows=["nope"])


def test_refs_are_resolved() -> None:
    document: dict[str, Any] = {
        "components": {"inputs": {"id": {"type": "integer"}, "pair": {"$ref": "#/x/pair"}}},
        "x": {"pair": {"type": "array", "items": {"$ref": "#/components/inputs/id"}}},
    }
    schema = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/components/inputs/id", "description": "kept"},
            "b": {"$ref": "#/components/inputs/pair"},
            "c": {"$ref": "#/$defs/name"},
            "tree": {"$ref": "#/$defs/node"},
        },
        "$defs": {
            "name": {"type": "string"},
            "node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}},
        },
    }
    resolved = resolve_refs(schema, document, "here")
    props = resolved["properties"]
    assert props["a"] == {"type": "integer", "description": "kept"}
    assert props["b"] == {"type": "array", "items": {"type": "integer"}}
    assert props["c"] == {"type": "string"}
    assert props["tree"]["properties"]["child"] == {}  # recursion: any value
    with pytest.raises(DocumentError, match="points to nothing"):
        resolve_refs({"$ref": "#/nowhere"}, document, "here")
    with pytest.raises(DocumentError, match="outside the document"):
        resolve_refs({"$ref": "other.yaml#/a"}, document, "here")


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown tool format"):
        tool_definitions(SPEC, format="gemini")


def test_tools_command(
    shop_documents: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["tools", str(shop_documents[0]), "--format", "anthropic", "--input", "apiKey=k-1234"]
    )
    captured = capsys.readouterr()
    assert code == 0
    listed = json.loads(captured.out)
    assert [t["name"] for t in listed] == ["get-item", "place_order"]
    assert "k-1234" not in captured.out
    assert "needs-token" in captured.err


def test_mcp_command_with_nothing_to_serve(
    shop_documents: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("mcp")
    code = main(["mcp", str(shop_documents[0]), "--workflow", "needs-token"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[-1] == "error: no workflow can be served as a tool (see the warnings)"


def test_import_stays_light() -> None:
    code = (
        "import sys, arazzo_engine; "
        "assert 'mcp' not in sys.modules and 'arazzo_engine.agents' not in sys.modules; "
        "assert callable(arazzo_engine.tool_definitions) and 'mcp' not in sys.modules; "
        "assert 'serve_mcp' in arazzo_engine.__all__"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
