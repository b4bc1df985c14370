"""Hostile condition text gives a located ExpressionError, never an internal error."""

from __future__ import annotations

import pytest

from arazzo_engine.errors import ExpressionError
from arazzo_engine.expressions.context import Unresolved
from arazzo_engine.expressions.parser import MAX_CONDITION_LENGTH, parse_condition
from arazzo_engine.expressions.pointer import resolve_pointer, set_pointer


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("é == 1", 0, "ASCII"),
        ("٣ == 1", 0, "ASCII"),  # Arabic-Indic digit three: str.isdigit() is true for it
        ("² == 1", 0, "ASCII"),
        ("$statusCode == ٣", 15, "ASCII"),
        ("1 == " + "9" * 5000, 5, "too long"),
        ("-" + "9" * 5000 + " == 1", 0, "too long"),
        ("$inputs.x[" + "9" * 5000 + "] == 1", 10, "too long"),
    ],
)
def test_hostile_condition_is_a_located_expression_error(
    text: str, position: int, words: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_condition(text)
    assert caught.value.position == position
    assert words in str(caught.value)


def test_a_condition_longer_than_the_bound_is_refused() -> None:
    with pytest.raises(ExpressionError, match="characters long"):
        parse_condition("$statusCode == 200 && " * (MAX_CONDITION_LENGTH // 20))


def test_a_long_but_convertible_integer_still_compares() -> None:
    condition = parse_condition("1 == " + "9" * 300)
    assert condition.node is not None


def test_an_index_longer_than_any_array_is_out_of_range_not_a_crash() -> None:
    huge = "9" * 5000
    with pytest.raises(Unresolved, match="out of range"):
        resolve_pointer([1, 2], "/" + huge)
    with pytest.raises(Unresolved, match="not found"):
        resolve_pointer({"a": 1}, "/" + huge)
    with pytest.raises(Unresolved, match="out of range"):
        set_pointer([1], "/" + huge, 2)
