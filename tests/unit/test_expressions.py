"""Runtime expressions, JSON pointers, templates and compiled values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from arazzo_engine.errors import ExpressionError
from arazzo_engine.expressions import (
    Expression,
    ExpressionContext,
    ListValue,
    Literal,
    MapValue,
    RuntimeExpression,
    Template,
    Unresolved,
    compile_value,
    evaluate_expression,
    evaluate_value,
    parse_condition,
    parse_expression,
    parse_template,
    references,
    render_text,
    resolve_pointer,
)
from arazzo_engine.expressions.pointer import (
    escape,
    join_pointer,
    parse_pointer,
    set_pointer,
    unescape,
)


@dataclass
class FakeContext:
    """An in-memory :class:`ExpressionContext`; ``None`` for a part means "not available"."""

    request_url: str | None = "https://api.example.com/pets/7?x=1"
    request_method: str | None = "GET"
    status: int | None = 200
    req_headers: dict[str, Any] = field(default_factory=lambda: {"x-api-key": "k-1"})
    req_query: dict[str, Any] = field(default_factory=lambda: {"page": "2", "a.b": "dotted"})
    req_path: dict[str, Any] = field(default_factory=lambda: {"petId": "7"})
    req_body: Any = field(default_factory=lambda: {"name": "Rex", "tags": ["a", "b"]})
    resp_headers: dict[str, Any] = field(
        default_factory=lambda: {"content-type": "application/json", "x-rate-limit": "10"}
    )
    resp_body: Any = field(
        default_factory=lambda: {
            "id": 7,
            "name": "Rex",
            "ok": True,
            "items": [{"id": "i1", "n": 1}, {"id": "i2", "n": 2}],
            "a/b": "slash",
            "m~n": "tilde",
            "": "empty key",
            "nothing": None,
        }
    )
    input_values: dict[str, Any] = field(
        default_factory=lambda: {
            "id": 42,
            "name": "Rex",
            "flag": False,
            "customer": {"firstName": "Ada", "tags": ["x"]},
            "a.b": "exact dotted",
            "a": {"b": "navigated", "c": "member c"},
            "list": [10, 20],
        }
    )
    output_values: dict[str, Any] = field(default_factory=lambda: {"total": 3})
    steps: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "login": {"token": "T0K", "user": {"id": 1, "roles": ["admin"]}},
            "list-pets": {"pets": [{"id": 1}, {"id": 2}]},
        }
    )
    workflow_in: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"buy": {"qty": 2, "item.sku": "S1"}}
    )
    workflow_out: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"buy": {"orderId": "o-9"}}
    )
    sources: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "petstore": {"url": "https://example.com/openapi.yaml", "getPet": {"op": "getPet"}}
        }
    )
    components: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"parameters": {"page.size": {"name": "size", "in": "query"}}}
    )
    document_uri: str = "file:///work/flow.arazzo.yaml"

    @staticmethod
    def _need(value: Any, what: str) -> Any:
        if value is None:
            raise Unresolved(f"{what} is not available")
        return value

    def url(self) -> str:
        return str(self._need(self.request_url, "$url"))

    def method(self) -> str:
        return str(self._need(self.request_method, "$method"))

    def status_code(self) -> int:
        return int(self._need(self.status, "$statusCode"))

    @staticmethod
    def _header(headers: Mapping[str, Any], name: str) -> Any:
        lowered = {k.lower(): v for k, v in headers.items()}
        if name.lower() not in lowered:
            raise Unresolved(f"no header {name!r}")
        return lowered[name.lower()]

    def request_header(self, name: str) -> Any:
        return self._header(self.req_headers, name)

    def request_query(self, name: str) -> Any:
        if name not in self.req_query:
            raise Unresolved(f"no query parameter {name!r}")
        return self.req_query[name]

    def request_path(self, name: str) -> Any:
        if name not in self.req_path:
            raise Unresolved(f"no path parameter {name!r}")
        return self.req_path[name]

    def request_body(self) -> Any:
        return self.req_body

    def response_header(self, name: str) -> Any:
        return self._header(self.resp_headers, name)

    def response_body(self) -> Any:
        return self.resp_body

    def inputs(self) -> Mapping[str, Any]:
        return self.input_values

    def outputs(self) -> Mapping[str, Any]:
        return self.output_values

    def step_outputs(self, step_id: str) -> Mapping[str, Any]:
        if step_id not in self.steps:
            raise Unresolved(f"step {step_id!r} has not run")
        return self.steps[step_id]

    def workflow_inputs(self, workflow_id: str) -> Mapping[str, Any]:
        return self.workflow_in[workflow_id]

    def workflow_outputs(self, workflow_id: str) -> Mapping[str, Any]:
        if workflow_id not in self.workflow_out:
            raise Unresolved(f"workflow {workflow_id!r} has not run")
        return self.workflow_out[workflow_id]

    def source_description(self, name: str, ref: str) -> Any:
        try:
            return self.sources[name][ref]
        except KeyError:
            raise Unresolved(f"no {ref!r} in source {name!r}") from None

    def component(self, kind: str, key: str) -> Any:
        try:
            return self.components[kind][key]
        except KeyError:
            raise Unresolved(f"no component {kind}.{key}") from None

    def self_url(self) -> str:
        return self.document_uri


def test_fake_context_satisfies_protocol() -> None:
    ctx: ExpressionContext = FakeContext()
    assert ctx.status_code() == 200


# --- parsing -------------------------------------------------------------------------------

PARSE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("$url", {"root": "url"}),
    ("$method", {"root": "method"}),
    ("$statusCode", {"root": "statusCode"}),
    ("$self", {"root": "self"}),
    ("$request.header.X-Api-Key", {"root": "request", "source": "header", "name": "X-Api-Key"}),
    ("$request.header.a!#$%&'*+.^_`|~-z", {"source": "header", "name": "a!#$%&'*+.^_`|~-z"}),
    ("$request.query.page", {"root": "request", "source": "query", "name": "page"}),
    ("$request.query.filter[name]", {"source": "query", "name": "filter[name]"}),
    ("$request.path.petId", {"root": "request", "source": "path", "name": "petId"}),
    ("$request.body", {"root": "request", "source": "body", "pointer": None}),
    ("$request.body#/name", {"source": "body", "pointer": "/name"}),
    ("$response.header.Content-Type", {"root": "response", "source": "header"}),
    ("$response.body", {"root": "response", "source": "body", "pointer": None}),
    ("$response.body#", {"source": "body", "pointer": ""}),
    ("$response.body#/items/0/id", {"pointer": "/items/0/id"}),
    ("$response.body#/a~1b/m~0n", {"pointer": "/a~1b/m~0n"}),
    ("$response.body#/with space/x", {"pointer": "/with space/x"}),
    ("$inputs.id", {"root": "inputs", "name": "id", "pointer": None}),
    (
        "$inputs.customer#/firstName",
        {"root": "inputs", "name": "customer", "pointer": "/firstName"},
    ),
    ("$inputs.a.b", {"root": "inputs", "name": "a.b"}),
    ("$inputs.my_input-1", {"name": "my_input-1"}),
    ("$outputs.total", {"root": "outputs", "name": "total"}),
    (
        "$steps.login.outputs.token",
        {"root": "steps", "target": "login", "field": "outputs", "name": "token"},
    ),
    (
        "$steps.list-pets.outputs.pets#/0/id",
        {"target": "list-pets", "name": "pets", "pointer": "/0/id"},
    ),
    ("$steps.s_1.outputs.o.a.b", {"target": "s_1", "name": "o.a.b"}),
    (
        "$workflows.buy.inputs.qty",
        {"root": "workflows", "target": "buy", "field": "inputs", "name": "qty"},
    ),
    (
        "$workflows.buy.outputs.orderId#",
        {"target": "buy", "field": "outputs", "name": "orderId", "pointer": ""},
    ),
    (
        "$sourceDescriptions.petstore.getPet",
        {"root": "sourceDescriptions", "target": "petstore", "name": "getPet"},
    ),
    ("$sourceDescriptions.petstore.url", {"target": "petstore", "name": "url"}),
    ("$sourceDescriptions.s.any/thing#x.y", {"target": "s", "name": "any/thing#x.y"}),
    (
        "$components.parameters.page.size",
        {"root": "components", "field": "parameters", "name": "page.size"},
    ),
    ("$components.successActions.done", {"field": "successActions", "name": "done"}),
    ("$components.failureActions.retry", {"field": "failureActions", "name": "retry"}),
    ("$components.inputs.pagination", {"field": "inputs", "name": "pagination"}),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse_expression(text: str, expected: dict[str, Any]) -> None:
    expression = parse_expression(text)
    assert isinstance(expression, RuntimeExpression)
    assert expression.text == text
    assert str(expression) == text
    for key, value in expected.items():
        assert getattr(expression, key) == value, key


def test_parse_expression_all_fields() -> None:
    assert parse_expression("$steps.login.outputs.token#/a") == RuntimeExpression(
        text="$steps.login.outputs.token#/a",
        root="steps",
        source=None,
        target="login",
        field="outputs",
        name="token",
        pointer="/a",
    )


MALFORMED: list[tuple[str, int, str]] = [
    ("", 0, "starts with '$'"),
    ("inputs.x", 0, "starts with '$'"),
    ("$", 1, "expected a name"),
    ("$.items[*]", 1, "expected a name"),
    ("$100", 1, "expected a name"),
    ("$foo", 1, "unknown runtime expression $foo"),
    ("$StatusCode", 1, "case-sensitive"),
    ("$stepz.a.outputs.b", 1, "did you mean $steps"),
    ("$url/x", 4, "takes nothing after it"),
    ("$statusCode.x", 11, "unexpected '.'"),
    ("$request", 8, "expected '.'"),
    ("$request.cookie.a", 9, "expected a part of the request"),
    ("$request.header", 15, "expected '.' and a header name"),
    ("$request.header.", 16, "expected a header name"),
    ("$request.header.a b", 17, "unexpected ' '"),
    ("$request.query.", 15, "expected a query parameter name"),
    ("$response.body.x", 14, "'#/'"),
    ("$response.body/x", 14, "'#/'"),
    ("$response.body#x", 15, "must start with '/'"),
    ("$response.body#/a~2", 17, "invalid escape"),
    ("$response.body#/a~", 17, "invalid escape"),
    ("$response.body#/a}", 17, "unexpected '}'"),
    ("$inputs", 7, "expected '.'"),
    ("$inputs.", 8, "expected an input name"),
    ("$inputs.a b", 9, "unexpected ' '"),
    ("$inputs.a/b", 9, "unexpected '/'"),
    ("$steps.login", 12, "'.outputs.'"),
    ("$steps.login.token", 12, "'.outputs.'"),
    ("$steps.log.in.outputs.x", 10, "'.outputs.'"),
    ("$steps..outputs.x", 7, "expected a step id"),
    ("$steps.login.outputs.", 21, "expected an output name"),
    ("$workflows.w.steps.x", 13, "expected inputs or outputs"),
    ("$workflows.w.inputs", 19, "expected '.'"),
    ("$sourceDescriptions.petstore", 28, "expected '.'"),
    ("$sourceDescriptions.p{x}.y", 21, "expected '.'"),
    ("$sourceDescriptions.petstore.", 29, "an operationId"),
    ("$components.schemas.x", 12, "a component kind"),
    ("$components.parameters.x#/a", 24, "takes nothing after it"),
    ("$self.x", 5, "unexpected '.'"),
    ("$inputs.{x}", 8, "expected an input name"),
]


@pytest.mark.parametrize(("text", "position", "message"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_expression(text: str, position: int, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert info.value.position == position
    assert info.value.text == text
    assert message in info.value.message


def test_parse_cache_returns_same_object() -> None:
    assert parse_expression("$inputs.cached") is parse_expression("$inputs.cached")
    assert parse_template("a {$inputs.x} b") is parse_template("a {$inputs.x} b")
    assert parse_condition("$statusCode == 200") is parse_condition("$statusCode == 200")


# --- evaluation ----------------------------------------------------------------------------

EVAL_CASES: list[tuple[str, Any]] = [
    ("$url", "https://api.example.com/pets/7?x=1"),
    ("$method", "GET"),
    ("$statusCode", 200),
    ("$self", "file:///work/flow.arazzo.yaml"),
    ("$request.header.X-API-KEY", "k-1"),
    ("$request.query.page", "2"),
    ("$request.query.a.b", "dotted"),
    ("$request.path.petId", "7"),
    ("$request.body", {"name": "Rex", "tags": ["a", "b"]}),
    ("$request.body#/tags/1", "b"),
    ("$response.header.X-Rate-Limit", "10"),
    ("$response.body#/id", 7),
    ("$response.body#/ok", True),
    ("$response.body#/nothing", None),
    ("$response.body#/items/1/id", "i2"),
    ("$response.body#/items", [{"id": "i1", "n": 1}, {"id": "i2", "n": 2}]),
    ("$response.body#/a~1b", "slash"),
    ("$response.body#/m~0n", "tilde"),
    ("$response.body#/", "empty key"),
    ("$inputs.id", 42),
    ("$inputs.flag", False),
    ("$inputs.customer", {"firstName": "Ada", "tags": ["x"]}),
    ("$inputs.customer#/firstName", "Ada"),
    ("$inputs.customer#/tags/0", "x"),
    ("$inputs.customer.firstName", "Ada"),
    ("$inputs.customer.tags.0", "x"),
    ("$inputs.a.b", "exact dotted"),
    ("$inputs.a.c", "member c"),
    ("$inputs.list.1", 20),
    ("$outputs.total", 3),
    ("$steps.login.outputs.token", "T0K"),
    ("$steps.login.outputs.user#/roles/0", "admin"),
    ("$steps.login.outputs.user.roles", ["admin"]),
    ("$steps.list-pets.outputs.pets#/1/id", 2),
    ("$workflows.buy.inputs.qty", 2),
    ("$workflows.buy.inputs.item.sku", "S1"),
    ("$workflows.buy.outputs.orderId", "o-9"),
    ("$sourceDescriptions.petstore.url", "https://example.com/openapi.yaml"),
    ("$sourceDescriptions.petstore.getPet", {"op": "getPet"}),
    ("$components.parameters.page.size", {"name": "size", "in": "query"}),
]


@pytest.mark.parametrize(("text", "expected"), EVAL_CASES, ids=[c[0] for c in EVAL_CASES])
def test_evaluate_expression(text: str, expected: Any) -> None:
    ctx = FakeContext()
    assert evaluate_expression(parse_expression(text), ctx) == expected
    assert evaluate_expression(text, ctx) == expected  # text is parsed through the cache


def test_whole_value_preserves_type() -> None:
    ctx = FakeContext()
    assert evaluate_expression("$inputs.id", ctx) == 42
    assert type(evaluate_expression("$inputs.id", ctx)) is int
    assert evaluate_expression("$response.body#/ok", ctx) is True
    assert evaluate_expression("$response.body#", ctx) is ctx.resp_body


def test_exact_dotted_key_wins_over_navigation() -> None:
    ctx = FakeContext(input_values={"a.b": 1, "a": {"b": 2}, "a.b.c": 3})
    assert evaluate_expression("$inputs.a.b", ctx) == 1
    assert evaluate_expression("$inputs.a.b.c", ctx) == 3
    ctx = FakeContext(input_values={"a": {"b": {"c": 4}}})
    assert evaluate_expression("$inputs.a.b.c", ctx) == 4
    ctx = FakeContext(input_values={"a.b": {"c": 5}, "a": {"b": {"c": 6}}})
    assert evaluate_expression("$inputs.a.b.c", ctx) == 5


UNRESOLVED_CASES: list[tuple[str, str, str | None]] = [
    ("$inputs.missing", "input 'missing' was not given", "missing"),
    ("$inputs.missing#/x", "input 'missing' was not given", "missing"),
    ("$inputs.x.y", "input 'x.y' was not given", "x.y"),
    ("$inputs.customer#/lastName", "member 'lastName' not found", None),
    ("$inputs.customer.lastName", "member 'lastName' not found", None),
    ("$inputs.customer#/tags/5", "index 5 out of range (array of length 1) in /tags", None),
    ("$inputs.customer#/tags/x", "'x' is not an array index in /tags", None),
    ("$inputs.customer#/tags/-", "'-' (past the end)", None),
    ("$inputs.customer#/tags/01", "'01' is not an array index", None),
    ("$inputs.id#/x", "cannot look up 'x': the value is a number", None),
    ("$inputs.customer#/firstName/x", "/firstName is a string", None),
    ("$outputs.nope", "output 'nope' is not set", None),
    ("$steps.login.outputs.nope", "step 'login' has no output 'nope'", None),
    ("$steps.later.outputs.x", "step 'later' has not run", None),
    ("$workflows.buy.inputs.nope", "workflow 'buy' has no input 'nope'", None),
    ("$workflows.other.outputs.x", "workflow 'other' has not run", None),
    ("$request.header.X-None", "no header 'X-None'", None),
    ("$response.query.page", "a response has no query parameters", None),
    ("$response.path.id", "a response has no path parameters", None),
    ("$response.body#/items/0/nope", "member 'nope' not found in /items/0", None),
    ("$sourceDescriptions.petstore.nope", "no 'nope' in source 'petstore'", None),
    ("$components.parameters.nope", "no component parameters.nope", None),
]


@pytest.mark.parametrize(
    ("text", "reason", "absent"), UNRESOLVED_CASES, ids=[c[0] for c in UNRESOLVED_CASES]
)
def test_unresolved(text: str, reason: str, absent: str | None) -> None:
    with pytest.raises(Unresolved) as info:
        evaluate_expression(text, FakeContext())
    assert reason in info.value.reason
    assert info.value.absent_input == absent


def test_unresolved_status_before_call() -> None:
    with pytest.raises(Unresolved, match="not available"):
        evaluate_expression("$statusCode", FakeContext(status=None))


def test_pointer_into_text_body_is_unresolved() -> None:
    ctx = FakeContext(resp_body="<xml/>")
    assert evaluate_expression("$response.body", ctx) == "<xml/>"
    assert evaluate_expression("$response.body#", ctx) == "<xml/>"
    with pytest.raises(Unresolved, match="is a string, not an object or array"):
        evaluate_expression("$response.body#/id", ctx)


# --- JSON pointer --------------------------------------------------------------------------

POINTER_DOC: dict[str, Any] = {  # RFC 6901 §5
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    'k"l': 6,
    " ": 7,
    "m~n": 8,
    "~1": 9,
}

POINTER_CASES: list[tuple[str, Any]] = [
    ("", POINTER_DOC),
    ("#", POINTER_DOC),
    ("/foo", ["bar", "baz"]),
    ("/foo/0", "bar"),
    ("#/foo/1", "baz"),
    ("/", 0),
    ("/a~1b", 1),
    ("/c%d", 2),
    ("/e^f", 3),
    ("/g|h", 4),
    ("/i\\j", 5),
    ('/k"l', 6),
    ("/ ", 7),
    ("/m~0n", 8),
    ("/~01", 9),
]


@pytest.mark.parametrize(("pointer", "expected"), POINTER_CASES)
def test_resolve_pointer_rfc6901(pointer: str, expected: Any) -> None:
    assert resolve_pointer(POINTER_DOC, pointer) == expected


def test_resolve_pointer_tokens_and_int_keys() -> None:
    assert resolve_pointer({"a": [{"b/c": 1}]}, ["a", "0", "b/c"]) == 1
    assert resolve_pointer({1: "one"}, "/1") == "one"
    assert resolve_pointer(("x", "y"), "/1") == "y"


@pytest.mark.parametrize(
    ("doc", "pointer", "reason"),
    [
        ({"a": 1}, "/b", "member 'b' not found"),
        ({"a": {"b": 1}}, "/a/c", "member 'c' not found in /a"),
        ([1, 2], "/2", "index 2 out of range (array of length 2)"),
        ([1, 2], "/-", "'-' (past the end)"),
        ([1, 2], "/-1", "'-1' is not an array index"),
        ([1, 2], "/01", "'01' is not an array index"),
        ({"a": None}, "/a/b", "/a is null"),
        ({"a": True}, "/a/b", "/a is a boolean"),
        ("text", "/0", "the value is a string"),
        (3.5, "/x", "the value is a number"),
    ],
)
def test_resolve_pointer_unresolved(doc: Any, pointer: str, reason: str) -> None:
    with pytest.raises(Unresolved) as info:
        resolve_pointer(doc, pointer)
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("pointer", "position"), [("a", 0), ("#a", 1), ("/a~2", 2), ("/ok/x~", 5), ("#/~", 2)]
)
def test_parse_pointer_malformed(pointer: str, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_pointer(pointer)
    assert info.value.position == position


def test_pointer_helpers() -> None:
    assert parse_pointer("/a~1b/m~0n/~01/") == ("a/b", "m~n", "~1", "")
    assert escape("a/b~c") == "a~1b~0c"
    assert unescape("a~1b~0c") == "a/b~c"
    assert unescape("~01") == "~1"
    assert join_pointer(["a/b", "0", "~"]) == "/a~1b/0/~0"
    assert join_pointer([]) == ""
    for tokens in (("a/b", "~1", ""), ("x",), ()):
        assert parse_pointer(join_pointer(tokens)) == tokens


def test_set_pointer() -> None:
    doc: dict[str, Any] = {"a": {"b": 1}, "list": [1, 2]}
    out = set_pointer(doc, "/a/b", 5)
    assert out == {"a": {"b": 5}, "list": [1, 2]}
    assert doc == {"a": {"b": 1}, "list": [1, 2]}  # not modified
    assert set_pointer(doc, "/a/new", "x")["a"] == {"b": 1, "new": "x"}
    assert set_pointer(doc, "/list/0", 9)["list"] == [9, 2]
    assert set_pointer(doc, "/list/-", 3)["list"] == [1, 2, 3]
    assert set_pointer(doc, "/list/2", 3)["list"] == [1, 2, 3]
    assert set_pointer(doc, "", 7) == 7
    assert set_pointer(doc, ["a", "x/y"], 1)["a"]["x/y"] == 1
    with pytest.raises(Unresolved, match="member 'zz' not found"):
        set_pointer(doc, "/zz/y", 1)
    with pytest.raises(Unresolved, match="out of range"):
        set_pointer(doc, "/list/5", 1)
    with pytest.raises(Unresolved, match="not an object or array"):
        set_pointer(doc, "/a/b/c", 1)
    with pytest.raises(Unresolved, match="not an array index"):
        set_pointer(doc, "/list/x", 1)


# --- templates and compiled values ---------------------------------------------------------

TEMPLATE_CASES: list[tuple[str, str]] = [
    ("Bearer {$steps.login.outputs.token}", "Bearer T0K"),
    ("/items/{$inputs.id}", "/items/42"),
    ("{$inputs.id}", "42"),
    ("{$inputs.flag}", "false"),
    ("{$response.body#/ok}", "true"),
    ("{$response.body#/nothing}", "null"),
    ("{$inputs.customer}", '{"firstName":"Ada","tags":["x"]}'),
    ("{$inputs.list}", "[10,20]"),
    ("{$inputs.id}-{$inputs.name}/{$statusCode}", "42-Rex/200"),
    (
        "{$sourceDescriptions.petstore.url}#/paths/~1pets",
        "https://example.com/openapi.yaml#/paths/~1pets",
    ),
    ("$[?(@.id == {$inputs.id})]", "$[?(@.id == 42)]"),
    ("{ {$inputs.id} }", "{ 42 }"),
    ("{$response.body#/a~1b}", "slash"),
    ("{$request.query.a.b}", "dotted"),
]


@pytest.mark.parametrize(("text", "expected"), TEMPLATE_CASES, ids=[c[0] for c in TEMPLATE_CASES])
def test_templates(text: str, expected: str) -> None:
    template = parse_template(text)
    assert isinstance(template, Template)
    assert evaluate_value(template, FakeContext()) == expected
    assert evaluate_value(compile_value(text), FakeContext()) == expected


def test_template_parts() -> None:
    template = parse_template("a {$inputs.x} b {$statusCode}")
    assert isinstance(template, Template)
    assert template.parts == (
        "a ",
        parse_expression("$inputs.x"),
        " b ",
        parse_expression("$statusCode"),
    )


@pytest.mark.parametrize(
    "text", ["plain", "", "{", "}", "{}", "a { b } c", "$ {x}", "{ $inputs.x }"]
)
def test_template_without_expressions_is_literal(text: str) -> None:
    assert parse_template(text) == Literal(text)


MALFORMED_TEMPLATES: list[tuple[str, int, str]] = [
    ("{$inputs.x", 10, "expected '}' to close the expression opened at offset 0"),
    ("a {$inputs.x y}", 12, "found ' '"),
    ("{$}", 2, "expected a name"),
    ("ok {$inputs.a} {$nope}", 17, "unknown runtime expression $nope"),
    ("{$steps.a.b}", 9, "'.outputs.'"),
    ("{$response.body#/a~}", 18, "invalid escape"),
    ("{$response.body.x}", 15, "expected '}'"),
    ("x{$inputs.}", 10, "expected an input name"),
]


@pytest.mark.parametrize(
    ("text", "position", "message"), MALFORMED_TEMPLATES, ids=[c[0] for c in MALFORMED_TEMPLATES]
)
def test_malformed_template(text: str, position: int, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_template(text)
    assert info.value.position == position
    assert message in info.value.message
    with pytest.raises(ExpressionError):
        compile_value({"nested": [text]})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("s", "s"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (3, "3"),
        (2.5, "2.5"),
        ({"a": [1, "é"]}, '{"a":[1,"é"]}'),
        ([], "[]"),
        (b"raw", "raw"),
    ],
)
def test_render_text(value: Any, text: str) -> None:
    assert render_text(value) == text


COMPILE_STRINGS: list[tuple[str, type]] = [
    ("$inputs.id", Expression),
    ("$response.body#/items/0", Expression),
    ("$.items[*]", Literal),
    ("$100", Literal),
    ("$inputs.x and more", Literal),
    ("$steps.s.x", Literal),
    ("$", Literal),
    ("price: $5", Literal),
    ("hello", Literal),
    ("{$inputs.id}", Template),
    ("$x {$inputs.id}", Template),
    ("id={$inputs.id}", Template),
]


@pytest.mark.parametrize(("text", "kind"), COMPILE_STRINGS, ids=[c[0] for c in COMPILE_STRINGS])
def test_compile_string_kinds(text: str, kind: type) -> None:
    assert type(compile_value(text)) is kind


def test_compile_and_evaluate_structure() -> None:
    raw = {
        "id": "$inputs.id",
        "name": "$inputs.name",
        "auth": "Bearer {$steps.login.outputs.token}",
        "query": "$.items[*]",
        "nested": {"flag": "$inputs.flag", "list": ["$inputs.id", 1, None, True, "lit"]},
        "customer": "$inputs.customer",
        "n": 1.5,
    }
    compiled = compile_value(raw)
    assert isinstance(compiled, MapValue)
    assert isinstance(dict(compiled.items)["nested"], MapValue)
    result = evaluate_value(compiled, FakeContext())
    assert result == {
        "id": 42,
        "name": "Rex",
        "auth": "Bearer T0K",
        "query": "$.items[*]",
        "nested": {"flag": False, "list": [42, 1, None, True, "lit"]},
        "customer": {"firstName": "Ada", "tags": ["x"]},
        "n": 1.5,
    }
    assert raw["id"] == "$inputs.id"  # the source is untouched
    again = evaluate_value(compiled, FakeContext())
    assert again == result
    assert again is not result and again["nested"] is not result["nested"]


def test_compile_scalars_and_tuples() -> None:
    assert compile_value(3) == Literal(3)
    assert compile_value(None) == Literal(None)
    assert compile_value((1, "$inputs.id")) == ListValue(
        (Literal(1), Expression(parse_expression("$inputs.id")))
    )
    assert evaluate_value(compile_value(["$inputs.id"]), FakeContext()) == [42]


def test_omit_absent_inputs() -> None:
    compiled = compile_value(
        {
            "id": "$inputs.id",
            "nickname": "$inputs.nickname",
            "address": {"city": "$inputs.city", "zip": "$inputs.zip#/code"},
            "tags": ["fixed", "$inputs.id"],
        }
    )
    ctx = FakeContext()
    assert evaluate_value(compiled, ctx, omit_absent_inputs=True) == {
        "id": 42,
        "address": {},
        "tags": ["fixed", 42],
    }
    # an array item is never left out (the items after it would shift): it fails, naming it
    in_array = compile_value({"tags": ["$inputs.tag", "fixed", "$inputs.id"]})
    with pytest.raises(Unresolved, match="input 'tag' was not given and is an array item"):
        evaluate_value(in_array, ctx, omit_absent_inputs=True)
    with pytest.raises(Unresolved) as info:
        evaluate_value(compiled, ctx)
    assert info.value.absent_input == "nickname"


def test_omit_absent_inputs_keeps_other_failures() -> None:
    ctx = FakeContext()
    for raw in (
        {"x": "$steps.login.outputs.nope"},  # not an input
        {"x": "$inputs.customer#/missing"},  # input given, pointer misses
        {"x": "id-{$inputs.nope}"},  # template, not a whole value
        ["$response.body#/nope"],
    ):
        with pytest.raises(Unresolved):
            evaluate_value(compile_value(raw), ctx, omit_absent_inputs=True)
    with pytest.raises(Unresolved) as info:  # a top-level expression has nowhere to be omitted
        evaluate_value(compile_value("$inputs.nope"), ctx, omit_absent_inputs=True)
    assert info.value.absent_input == "nope"


def test_references() -> None:
    compiled = compile_value(
        {"a": "$steps.s1.outputs.x", "b": ["{$inputs.y}-{$steps.s2.outputs.z#/0}"], "c": 1}
    )
    assert [r.text for r in references(compiled)] == [
        "$steps.s1.outputs.x",
        "$inputs.y",
        "$steps.s2.outputs.z#/0",
    ]
    cond = parse_condition("$statusCode == 200 && !($steps.s.outputs.o[0] == $inputs.v)")
    refs = references(cond)
    assert [r.root for r in refs] == ["statusCode", "steps", "inputs"]
    assert refs[1].target == "s" and refs[1].name == "o"
    assert references(parse_expression("$url")) == [parse_expression("$url")]
    assert references(Literal("x")) == []
    assert references("not a node") == []


def test_the_expression_language_never_calls_eval() -> None:
    """Text becomes nodes that the evaluator walks: no eval, exec, compile or __import__."""
    import ast
    from pathlib import Path

    import arazzo_engine.expressions as package

    forbidden = {"eval", "exec", "compile", "__import__"}
    files = sorted(Path(package.__file__).parent.glob("*.py"))
    assert {f.name for f in files} >= {
        "lexer.py",
        "parser.py",
        "ast.py",
        "evaluate.py",
        "pointer.py",
    }
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else None
                if (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "builtins"
                ):
                    name = func.attr
                assert name not in forbidden, f"{file.name}:{node.lineno} calls {name}"


def test_parser_module_says_why_it_is_built_as_it_is() -> None:
    from arazzo_engine.expressions import parser

    doc = parser.__doc__ or ""
    for reason in ("Parse once", "eval", "BINDING_POWER", "position", "hostile"):
        assert reason in doc, reason
