"""Parameter serialisation against the OpenAPI 3.1 style examples table.

The table's values: ``color`` is ``"blue"``, ``["blue", "black", "brown"]`` or
``{"R": 100, "G": 200, "B": 150}``.
"""

from __future__ import annotations

from typing import Any

import pytest

from arazzo_engine.openapi.parameters import (
    content_text,
    cookie_pairs,
    header_value,
    path_value,
    query_pairs,
)

STRING = "blue"
ARRAY = ["blue", "black", "brown"]
OBJECT = {"R": 100, "G": 200, "B": 150}


@pytest.mark.parametrize(
    ("style", "explode", "value", "expected"),
    [
        ("matrix", False, STRING, ";color=blue"),
        ("matrix", True, STRING, ";color=blue"),
        ("matrix", False, ARRAY, ";color=blue,black,brown"),
        ("matrix", True, ARRAY, ";color=blue;color=black;color=brown"),
        ("matrix", False, OBJECT, ";color=R,100,G,200,B,150"),
        ("matrix", True, OBJECT, ";R=100;G=200;B=150"),
        ("label", False, STRING, ".blue"),
        ("label", True, STRING, ".blue"),
        ("label", False, ARRAY, ".blue,black,brown"),
        ("label", True, ARRAY, ".blue.black.brown"),
        ("label", False, OBJECT, ".R,100,G,200,B,150"),
        ("label", True, OBJECT, ".R=100.G=200.B=150"),
        ("simple", False, STRING, "blue"),
        ("simple", True, STRING, "blue"),
        ("simple", False, ARRAY, "blue,black,brown"),
        ("simple", True, ARRAY, "blue,black,brown"),
        ("simple", False, OBJECT, "R,100,G,200,B,150"),
        ("simple", True, OBJECT, "R=100,G=200,B=150"),
    ],
)
def test_path_styles(style: str, explode: bool, value: Any, expected: str) -> None:
    assert path_value("color", value, style, explode) == expected


@pytest.mark.parametrize(
    ("style", "explode", "value", "expected"),
    [
        ("form", False, STRING, ["color=blue"]),
        ("form", True, STRING, ["color=blue"]),
        ("form", False, ARRAY, ["color=blue,black,brown"]),
        ("form", True, ARRAY, ["color=blue", "color=black", "color=brown"]),
        ("form", False, OBJECT, ["color=R,100,G,200,B,150"]),
        ("form", True, OBJECT, ["R=100", "G=200", "B=150"]),
        ("spaceDelimited", False, ARRAY, ["color=blue%20black%20brown"]),
        ("spaceDelimited", False, OBJECT, ["color=R%20100%20G%20200%20B%20150"]),
        ("pipeDelimited", False, ARRAY, ["color=blue|black|brown"]),
        ("pipeDelimited", False, OBJECT, ["color=R|100|G|200|B|150"]),
        ("deepObject", True, OBJECT, ["color%5BR%5D=100", "color%5BG%5D=200", "color%5BB%5D=150"]),
    ],
)
def test_query_styles(style: str, explode: bool, value: Any, expected: list[str]) -> None:
    assert query_pairs("color", value, style, explode) == expected


def test_query_defaults_and_encoding() -> None:
    # form with explode true is the default for query parameters
    assert query_pairs("c", ARRAY, None, None) == ["c=blue", "c=black", "c=brown"]
    assert query_pairs("q", "a b&c/d", None, None) == ["q=a%20b%26c%2Fd"]
    assert query_pairs("q", "a/b?c", None, None, allow_reserved=True) == ["q=a/b?c"]
    # '#' would start a fragment: always encoded; non-ASCII always UTF-8 percent-encoded
    assert query_pairs("q", "a b#frag&z=1", None, None, allow_reserved=True) == [
        "q=a%20b%23frag&z=1"
    ]
    assert query_pairs("q", "x#caf\u00e9", None, None, allow_reserved=True) == ["q=x%23caf%C3%A9"]
    assert query_pairs("q", True, None, None) == ["q=true"]


def test_header_and_cookie() -> None:
    assert header_value(ARRAY, False) == "blue,black,brown"
    assert header_value(OBJECT, False) == "R,100,G,200,B,150"
    assert header_value(OBJECT, True) == "R=100,G=200,B=150"
    assert cookie_pairs("color", ARRAY, None) == [
        ("color", "blue"),
        ("color", "black"),
        ("color", "brown"),
    ]
    assert cookie_pairs("color", ARRAY, False) == [("color", "blue,black,brown")]


def test_content_parameters() -> None:
    assert content_text({"a": [1, 2]}, "application/json") == '{"a":[1,2]}'
    assert content_text("x", "application/json") == '"x"'
    assert content_text("x", "text/plain") == "x"
