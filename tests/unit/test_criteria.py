"""Criteria and selectors: compile-time checks and evaluation of every criterion type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from arazzo_engine.criteria import (
    Selector,
    check,
    compile_computed,
    compile_criterion,
    evaluate,
)
from arazzo_engine.errors import DocumentError
from arazzo_engine.expressions import Unresolved


class Ctx:
    """A minimal expression context: a response body, a status, inputs."""

    def __init__(self, body: Any = None, status: int = 200, **inputs: Any) -> None:
        self.body = body
        self.status = status
        self._inputs = inputs

    def status_code(self) -> int:
        return self.status

    def response_body(self) -> Any:
        return self.body

    def response_header(self, name: str) -> Any:
        raise Unresolved(f"header {name!r} is not present")

    def inputs(self) -> Mapping[str, Any]:
        return self._inputs

    def __getattr__(self, name: str) -> Any:
        def missing(*args: Any) -> Any:
            raise Unresolved(f"{name} is not available")

        return missing


def _passes(raw: dict[str, Any], ctx: Any) -> bool:
    return check(compile_criterion(raw, None), ctx).passed


def test_regex_searches_text_of_scalars() -> None:
    assert _passes({"context": "$statusCode", "condition": "^20[01]$", "type": "regex"}, Ctx())
    assert _passes({"context": "$response.body", "condition": "b+", "type": "regex"}, Ctx("abbc"))
    outcome = check(
        compile_criterion({"context": "$response.body", "condition": "^x", "type": "regex"}, None),
        Ctx("abc"),
    )
    assert not outcome.passed and "does not match" in (outcome.reason or "")


def test_jsonpath_rfc9535_nodelist_semantics() -> None:
    body = {"pets": [{"age": 2}, {"age": 9}]}
    raw = {"context": "$response.body", "type": "jsonpath"}
    assert _passes({**raw, "condition": "$.pets[?@.age > 5]"}, Ctx(body))
    assert not _passes({**raw, "condition": "$.pets[?@.age > 50]"}, Ctx(body))
    # the spec's own example: children of the root that have 'pets' - none for this body
    assert not _passes({**raw, "condition": "$[?count(@.pets) > 0]"}, Ctx(body))
    assert _passes({**raw, "condition": "$[?count(@.pets) > 0]"}, Ctx([body]))
    assert _passes({**raw, "condition": "$.pets[?length(@) == 1]"}, Ctx(body))


def test_jsonpath_goessner_object_and_sibling_forms() -> None:
    body = {"pets": [{"age": 2}, {"age": 9}]}
    for raw in (
        {"type": {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"}},
        {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"},
    ):
        criterion = compile_criterion(
            {**raw, "context": "$response.body", "condition": "$.pets[?(@.age > 5)]"}, None
        )
        assert criterion.version == "draft-goessner-dispatch-jsonpath-00"
        assert check(criterion, Ctx(body)).passed


def test_rfc9535_is_the_default_version() -> None:
    criterion = compile_criterion(
        {"context": "$response.body", "condition": "$.a", "type": "jsonpath"}, None
    )
    assert criterion.version == "rfc9535"


@pytest.mark.parametrize("version", ["xpath-10", "xpath-20", "xpath-30", "xpath-31"])
def test_xpath_every_version(version: str) -> None:
    xml = "<r><n>3</n><n>4</n></r>"
    raw = {"context": "$response.body", "type": {"type": "xpath", "version": version}}
    assert _passes({**raw, "condition": "count(//n) = 2"}, Ctx(xml))
    assert _passes({**raw, "condition": "//n"}, Ctx(xml))  # non-empty node-set
    assert not _passes({**raw, "condition": "//m"}, Ctx(xml))  # empty node-set
    assert not _passes({**raw, "condition": "0"}, Ctx(xml))  # zero is false


def test_xpath_refuses_entities() -> None:
    bomb = '<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>'
    outcome = check(
        compile_criterion({"context": "$response.body", "condition": "//r", "type": "xpath"}, None),
        Ctx(bomb),
    )
    assert not outcome.passed and "XPath error" in (outcome.reason or "")


def test_embedded_expressions_are_substituted() -> None:
    raw = {"context": "$response.body", "condition": "$.a[?@ == '{$inputs.x}']"}
    assert _passes({**raw, "type": "jsonpath"}, Ctx({"a": ["p", "q"]}, x="q"))
    assert not _passes({**raw, "type": "jsonpath"}, Ctx({"a": ["p"]}, x="q"))


def test_evaluation_errors_fail_with_a_reason() -> None:
    outcome = check(
        compile_criterion(
            {"context": "$response.body", "condition": "$.a", "type": "jsonpath"}, None
        ),
        Ctx("not json"),
    )
    assert not outcome.passed and outcome.reason == "JSONPath error: the context is not JSON"
    outcome = check(
        compile_criterion({"context": "$response.body", "condition": "a", "type": "regex"}, None),
        Ctx(None),
    )
    assert not outcome.passed and outcome.reason == "the context is null"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"condition": "$.a", "type": "jsonpath"}, "needs a 'context'"),
        ({"condition": "(", "context": "$response.body", "type": "regex"}, "invalid regex"),
        ({"condition": "$[?", "context": "$response.body", "type": "jsonpath"}, "invalid jsonpath"),
        ({"condition": "//[", "context": "$response.body", "type": "xpath"}, "invalid xpath"),
        ({"condition": "x", "context": "$response.body", "type": "sql"}, "unknown expression type"),
        (
            {"condition": "x", "context": "$r", "type": {"type": "xpath", "version": "xpath-99"}},
            "unknown xpath version",
        ),
    ],
)
def test_compile_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        compile_criterion(raw, None)


def test_selector_objects_only_in_1_1_documents() -> None:
    raw = {"context": "$response.body", "selector": "$.a", "type": "jsonpath"}
    assert not isinstance(compile_computed(raw, None, selectors=False), Selector)
    compiled = compile_computed({"x": raw, "y": [raw]}, None, selectors=True)
    assert evaluate(compiled, Ctx({"a": 5})) == {"x": 5, "y": [5]}


def test_selector_results() -> None:
    many = compile_computed(
        {"context": "$response.body", "selector": "$.a[*]", "type": "jsonpath"}, None, True
    )
    assert evaluate(many, Ctx({"a": [1, 2]})) == [1, 2]
    with pytest.raises(Unresolved, match="selected nothing"):
        evaluate(many, Ctx({"a": []}))
    pointer = compile_computed(
        {"context": "$response.body", "selector": "/a~1b", "type": "jsonpointer"}, None, True
    )
    assert evaluate(pointer, Ctx({"a/b": "ok"})) == "ok"
    xpath = compile_computed(
        {"context": "$response.body", "selector": "/r/@id", "type": "xpath"}, None, True
    )
    assert evaluate(xpath, Ctx('<r id="7"/>')) == "7"


def test_a_root_filter_that_selects_nothing_explains_rfc_9535() -> None:
    from arazzo_engine.criteria import check, compile_criterion

    criterion = compile_criterion(
        {"context": "$response.body", "condition": "$[?count(@.items) > 0]", "type": "jsonpath"},
        None,
    )

    class Body:
        def response_body(self) -> object:
            return {"items": [1, 2]}

    outcome = check(criterion, Body())  # type: ignore[arg-type]
    assert not outcome.passed
    assert "tests the root's member values" in (outcome.reason or "")
