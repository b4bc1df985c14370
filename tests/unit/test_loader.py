"""Loading YAML and JSON as JSON data: YAML 1.2 scalars, no tags, no duplicates, positions."""

from __future__ import annotations

import pytest

from arazzo_engine import DocumentError
from arazzo_engine.document.loader import load_text

SCALARS = [
    ("yes", "yes"),
    ("no", "no"),
    ("on", "on"),
    ("true", True),
    ("False", False),
    ("2023-09-07", "2023-09-07"),
    ("2023-09-07T10:00:00Z", "2023-09-07T10:00:00Z"),
    ("0777", 777),
    ("0o17", 15),
    ("0x1F", 31),
    ("1_000", "1_000"),
    ("1.0", 1.0),
    ("-2.5e3", -2500.0),
    ("~", None),
    ("null", None),
    ("", None),
    ("190:20:30", "190:20:30"),
    ("'1.0'", "1.0"),
]


@pytest.mark.parametrize(("text", "expected"), SCALARS)
def test_yaml_scalars_follow_yaml_1_2_core(text: str, expected: object) -> None:
    data = load_text(f"value: {text}\n", "doc.yaml").data
    assert data["value"] == expected
    assert type(data["value"]) is type(expected)


def test_scalar_keys_become_strings() -> None:
    data = load_text("responses:\n  200: ok\n  true: yes\n", "doc.yaml").data
    assert data == {"responses": {"200": "ok", "true": "yes"}}


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("a: 1\nb: 2\na: 3\n", "duplicate key 'a'", 3, 1),
        ("a: !!python/object/apply:os.system ['echo hi']\n", "is not allowed", 1, 4),
        ("a: !custom 1\n", "is not allowed", 1, 4),
        ("a: [1, 2\n", "invalid YAML", 2, 1),
        ("a:\n  - b: 1\n   c: 2\n", "invalid YAML", 3, 4),
        ("? [1, 2]\n: x\n", "mapping keys must be scalars", 1, 3),
        ("", "empty", 1, 1),
    ],
)
def test_yaml_errors_name_file_line_and_column(
    text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(DocumentError) as info:
        load_text(text, "flows/doc.yaml")
    error = info.value
    assert message in str(error)
    assert error.location is not None
    assert (error.location.file, error.location.line, error.location.column) == (
        "flows/doc.yaml",
        line,
        column,
    )
    assert str(error).startswith(f"flows/doc.yaml:{line}:{column}")


def test_json_is_read_as_json_with_duplicates_rejected() -> None:
    assert load_text('{"a": [1, 2.5, "x", null, true]}', "d.json").data == {
        "a": [1, 2.5, "x", None, True]
    }
    with pytest.raises(DocumentError, match="duplicate key 'a'") as duplicate:
        load_text('{\n  "a": 1,\n  "a": 2\n}', "d.json")
    assert duplicate.value.location is not None
    assert (duplicate.value.location.line, duplicate.value.location.column) == (3, 3)
    with pytest.raises(DocumentError) as info:
        load_text('{\n  "a": 1,\n  oops\n}', "d.json")
    assert info.value.location is not None
    assert info.value.location.line == 3


def test_positions_of_nodes_by_json_pointer() -> None:
    loaded = load_text(
        "workflows:\n  - workflowId: w\n    steps:\n      - stepId: s~/x\n", "doc.yaml"
    )
    assert loaded.location("/workflows/0/steps/0/stepId").line == 4
    assert loaded.location("/workflows/0/steps/0/stepId").column == 17
    # a pointer below a known node falls back to its nearest known ancestor
    missing = loaded.location("/workflows/0/steps/0/nope")
    assert (missing.line, missing.pointer) == (4, "/workflows/0/steps/0/nope")


def test_json_positions_are_found_too() -> None:
    loaded = load_text('{\n  "info": {\n    "title": "x"\n  }\n}', "d.json")
    location = loaded.location("/info/title")
    assert (location.line, location.column) == (3, 14)
