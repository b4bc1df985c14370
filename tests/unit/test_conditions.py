"""The simple condition language (Arazzo Criterion ``type: simple``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from arazzo_engine.errors import ExpressionError
from arazzo_engine.expressions import (
    And,
    Comparison,
    ConditionResult,
    ExpressionOperand,
    LiteralOperand,
    Not,
    Or,
    Unresolved,
    UnresolvedOperand,
    compare,
    evaluate_condition,
    parse_condition,
)


@dataclass
class Ctx:
    """A small :class:`ExpressionContext`: a response, inputs and step outputs."""

    status: int | None = 200
    body: Any = field(
        default_factory=lambda: {
            "id": 7,
            "name": "Rex",
            "status": "Available",
            "count": "12",
            "price": 9.5,
            "ok": True,
            "off": False,
            "none": None,
            "text": "it's",
            "items": [{"id": "i1", "n": 1}, {"id": "i2", "n": 2}],
            "data": [{"id": 10}],
            "tags": ["a", "b"],
            "obj": {"k": "V"},
            "a.b": "dotted",
            "filter[0]": "literal-key",
        }
    )
    headers: dict[str, str] = field(
        default_factory=lambda: {"content-type": "application/json", "x-count": "5"}
    )
    input_values: dict[str, Any] = field(
        default_factory=lambda: {"limit": 10, "name": "rex", "a": {"b": 1}, "flag": True}
    )
    steps: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"s": {"list": [3, 4], "o": {"a": {"b": "deep"}}, "n": 0}}
    )

    def url(self) -> str:
        return "https://example.com/pets"

    def method(self) -> str:
        return "POST"

    def status_code(self) -> int:
        if self.status is None:
            raise Unresolved("no response yet")
        return self.status

    def request_header(self, name: str) -> Any:
        raise Unresolved(f"no request header {name!r}")

    def request_query(self, name: str) -> Any:
        raise Unresolved(f"no query parameter {name!r}")

    def request_path(self, name: str) -> Any:
        raise Unresolved(f"no path parameter {name!r}")

    def request_body(self) -> Any:
        return None

    def response_header(self, name: str) -> Any:
        lowered = {k.lower(): v for k, v in self.headers.items()}
        if name.lower() not in lowered:
            raise Unresolved(f"no header {name!r}")
        return lowered[name.lower()]

    def response_body(self) -> Any:
        return self.body

    def inputs(self) -> Mapping[str, Any]:
        return self.input_values

    def outputs(self) -> Mapping[str, Any]:
        return {}

    def step_outputs(self, step_id: str) -> Mapping[str, Any]:
        if step_id not in self.steps:
            raise Unresolved(f"step {step_id!r} has not run")
        return self.steps[step_id]

    def workflow_inputs(self, workflow_id: str) -> Mapping[str, Any]:
        return {}

    def workflow_outputs(self, workflow_id: str) -> Mapping[str, Any]:
        return {}

    def source_description(self, name: str, ref: str) -> Any:
        return {"name": name, "ref": ref}

    def component(self, kind: str, key: str) -> Any:
        raise Unresolved("no components")

    def self_url(self) -> str:
        return "file:///x.arazzo.yaml"


def run(text: str, ctx: Ctx | None = None) -> ConditionResult:
    return evaluate_condition(parse_condition(text), ctx or Ctx())


# --- verdicts (conformance as data) --------------------------------------------------------

PASSING = [
    # literals on their own
    "true",
    "!false",
    "!null",
    "!!true",
    # numbers
    "$statusCode == 200",
    "$statusCode != 404",
    "$statusCode >= 200 && $statusCode < 300",
    "$statusCode > 199.5",
    "$statusCode <= 2e2",
    "$statusCode == 2.0E2",
    "$statusCode > -1",
    "-1 < 0",
    "1.5 == 1.50",
    "200 == $statusCode",
    "300 > $statusCode",
    "$response.body#/price == 9.5",
    "$response.body#/price < 10",
    # strings: case-insensitive, '' escapes a quote
    "$response.body#/name == 'Rex'",
    "$response.body#/name == 'REX'",
    "$response.body#/status == 'available'",
    "$response.body#/name != 'Max'",
    "'ABC' == 'abc'",
    "'Straße' == 'STRASSE'",
    "$response.body#/text == 'it''s'",
    "$response.body#/name < 'S'",
    "$response.body#/name >= 'rex'",
    "'' == ''",
    "'a b' != 'a  b'",
    # numeric strings against numbers are coerced
    "$response.body#/count == 12",
    "$response.body#/count > 9",
    "$response.header.X-Count == 5",
    "$response.header.x-count <= 5.0",
    "12 == $response.body#/count",
    # null
    "$response.body#/none == null",
    "null == null",
    "$response.body#/name != null",
    "$response.body#/id != null",
    # booleans
    "$response.body#/ok == true",
    "$response.body#/ok",
    "$response.body.ok",
    "!$response.body#/off",
    "$response.body#/off == false",
    "$response.body#/ok != 1",
    "$inputs.flag",
    # navigation after the expression
    "$response.body#/items/0/id == 'i1'",
    "$response.body#/items/1/n == 2",
    # RFC 6901: after '#/', brackets and dots belong to the pointer's reference token
    "$response.body#/filter[0] == 'literal-key'",
    "$response.body#/a.b == 'dotted'",
    "$response.body.items[1].id == 'I2'",
    "$response.body.data[0].id == 10",
    "$response.body.obj.k == 'v'",
    "$response.body.obj['k'] == 'v'",
    "$response.body.items.1.n == 2",
    "$response.body['a.b'] == 'dotted'",
    "$steps.s.outputs.list[0] == 3",
    "$steps.s.outputs.list[1] > $steps.s.outputs.list[0]",
    "$steps.s.outputs.o.a.b == 'deep'",
    "$steps.s.outputs.o#/a/b == 'deep'",
    "$inputs.a.b == 1",
    "$inputs.a#/b == 1",
    # other roots
    "$method == 'post'",
    "$url == 'https://example.com/pets'",
    "$response.header.Content-Type == 'application/json'",
    "$inputs.limit >= 10",
    "$inputs.name == $response.body#/name",
    "$self != null",
    # structures compare structurally
    "$response.body#/tags == $response.body.tags",
    "$response.body#/obj == $response.body.obj",
    # logic and precedence
    "$statusCode == 200 || $statusCode == 201",
    "$statusCode == 404 || $statusCode == 200",
    "true || false && false",
    "(true || false) && true",
    "!($statusCode == 404)",
    "!$statusCode == 404",
    "!(false) && !(false || false)",
    "false || !false",
    "((($statusCode == 200)))",
    "$statusCode==200&&$response.body#/id==7",
    "  $statusCode\t==\n200  ",
    # short-circuit: the unresolved side is never needed
    "$statusCode == 200 || $response.body#/missing == 1",
    "$statusCode == 404 && $response.body#/missing == 1 || true",
]

FAILING = [
    "false",
    "null",
    "1",
    "'true'",
    "!true",
    "$statusCode == 201",
    "$statusCode != 200",
    "$statusCode < 200",
    "$statusCode > '300'",
    "$response.body#/name == 'Max'",
    "$response.body#/name == 'Re'",
    # incompatible types never compare equal and never order
    "$response.body#/id == '7x'",
    "$response.body#/name > 1",
    "$response.body#/name < 1",
    "$response.body#/ok == 1",
    "$response.body#/ok == 'true'",
    "$response.body#/ok > false",
    "$response.body#/none == 0",
    "$response.body#/none == ''",
    "$response.body#/none == false",
    "$response.body#/none < 1",
    "null < null",
    "$response.body#/tags > $response.body#/tags",
    "$response.body#/obj == 'x'",
    # bare operands must be exactly true
    "$statusCode",
    "$response.body#/name",
    "$response.body#/off",
    "$response.body#/none",
    "$response.body#/tags",
    "$steps.s.outputs.n",
    # logic
    "true && false",
    "false || false",
    "!($statusCode == 200)",
    "true && (false || $statusCode == 500)",
    "!!false",
]


@pytest.mark.parametrize("text", PASSING)
def test_passing(text: str) -> None:
    result = run(text)
    assert result.passed, result.reason
    assert result.reason is None


@pytest.mark.parametrize("text", FAILING)
def test_failing(text: str) -> None:
    result = run(text)
    assert not result.passed
    assert result.reason


# --- reasons and operands ------------------------------------------------------------------

REASONS: list[tuple[str, str]] = [
    ("$statusCode == 200", "$statusCode is 404, expected == 200"),
    ("200 <= $statusCode && 299 >= $statusCode", "$statusCode is 404, expected <= 299"),
    ("300 > $statusCode && 200 < $statusCode", "$statusCode is 404, expected < 300"),
    ("$response.body#/name == 'Max'", "$response.body#/name is 'Rex', expected == 'Max'"),
    (
        "$statusCode == $inputs.limit",
        "$statusCode is 404 and $inputs.limit is 10, expected $statusCode == $inputs.limit",
    ),
    ("1 == 2", "1 == 2 is false"),
    ("$response.body#/tags", """$response.body#/tags is ["a", "b"], expected true"""),
    ("false", "false is not true"),
    ("!($statusCode == 404)", "expected ($statusCode == 404) to be false"),
    ("!$response.body#/ok", "expected $response.body#/ok to be false"),
    (
        "$statusCode == 200 || $statusCode == 201",
        "no alternative passed: $statusCode is 404, expected == 200; "
        "$statusCode is 404, expected == 201",
    ),
    ("$statusCode == 404 && $response.body#/id == 8", "$response.body#/id is 7, expected == 8"),
    ("$response.body#/x == 1", "$response.body#/x could not be resolved: member 'x' not found"),
    (
        "$response.body#/items/5/id == 'x'",
        "$response.body#/items/5/id could not be resolved: "
        "index 5 out of range (array of length 2)",
    ),
    (
        "$response.body.items[0].nope",
        "$response.body.items[0].nope could not be resolved: member 'nope' not found in /items/0",
    ),
    (
        "$response.body.name.first == 'x'",
        "$response.body.name.first could not be resolved: cannot look up 'first'",
    ),
    ("$inputs.nope == 1", "$inputs.nope could not be resolved: input 'nope' was not given"),
    ("$steps.other.outputs.x == 1", "step 'other' has not run"),
    ("$response.header.X-None == 'a'", "no header 'X-None'"),
    ("$statusCode == 404 && !$response.body#/x", "$response.body#/x could not be resolved"),
]


@pytest.mark.parametrize(("text", "reason"), REASONS, ids=[c[0] for c in REASONS])
def test_failure_reason(text: str, reason: str) -> None:
    result = run(text, Ctx(status=404))
    assert not result.passed
    assert result.reason is not None
    assert reason in result.reason


def test_unresolved_fails_never_raises() -> None:
    ctx = Ctx(status=None)
    for text in (
        "$statusCode == 200",
        "$statusCode != 200",
        "!($statusCode == 200)",
        "!$statusCode",
        "$statusCode",
        "$statusCode == null",
        "true && $statusCode > 1",
    ):
        result = run(text, ctx)
        assert not result.passed, text
        assert result.reason == "$statusCode could not be resolved: no response yet"
        assert result.operands[0][0] == "$statusCode"
        assert isinstance(result.operands[0][1], UnresolvedOperand)
        assert result.operands[0][1].reason == "no response yet"


def test_operands_report_each_side() -> None:
    result = run(
        "$statusCode == 200 && $response.body#/items/0/id == 'i1' && $inputs.limit > $statusCode"
    )
    assert not result.passed
    assert result.operands == (
        ("$statusCode", 200),
        ("$response.body#/items/0/id", "i1"),
        ("$inputs.limit", 10),
    )


def test_operands_include_sides_skipped_by_short_circuit() -> None:
    result = run("$statusCode == 200 || $response.body#/missing == 1 || $inputs.limit == 10")
    assert result.passed
    texts = [text for text, _ in result.operands]
    assert texts == ["$statusCode", "$response.body#/missing", "$inputs.limit"]
    assert isinstance(result.operands[1][1], UnresolvedOperand)
    assert "member 'missing' not found" in repr(result.operands[1][1])
    assert result.operands[2][1] == 10


def test_literal_only_condition_has_no_operands() -> None:
    assert run("1 < 2") == ConditionResult(True, None, ())


def test_evaluate_condition_accepts_text() -> None:
    assert evaluate_condition("$statusCode == 200", Ctx()).passed


# --- parsing -------------------------------------------------------------------------------

LITERALS: list[tuple[str, Any]] = [
    ("0", 0),
    ("42", 42),
    ("-7", -7),
    ("3.25", 3.25),
    ("-0.5", -0.5),
    ("1e3", 1000.0),
    ("2.5E-2", 0.025),
    ("'abc'", "abc"),
    ("''", ""),
    ("'it''s'", "it's"),
    ("''''", "'"),
    ("'a \"b\"'", 'a "b"'),
    ("'$inputs.x'", "$inputs.x"),
    ("'(&&)'", "(&&)"),
    ("true", True),
    ("false", False),
    ("null", None),
]


@pytest.mark.parametrize(("text", "value"), LITERALS, ids=[c[0] for c in LITERALS])
def test_literals(text: str, value: Any) -> None:
    node = parse_condition(f"$statusCode == {text}").node
    assert isinstance(node, Comparison)
    assert isinstance(node.right, LiteralOperand)
    assert node.right.value == value
    assert type(node.right.value) is type(value)
    assert node.right.text == text


def test_precedence_shape() -> None:
    node = parse_condition("$inputs.x == 1 || !$statusCode == 2 && (true || false)").node
    assert isinstance(node, Or)
    first, second = node.operands
    assert isinstance(first, Comparison)
    assert isinstance(second, And)
    negated, group = second.operands
    assert isinstance(negated, Not)
    assert isinstance(negated.operand, Comparison)  # ! binds looser than comparison
    assert isinstance(group, Or)


def test_operand_navigation_shape() -> None:
    node = parse_condition("$response.body.items[0].id['x y'].z-1 != 1").node
    assert isinstance(node, Comparison)
    left = node.left
    assert isinstance(left, ExpressionOperand)
    assert left.expression.pointer is None
    assert left.path == ("items", 0, "id", "x y", "z-1")
    assert left.text == "$response.body.items[0].id['x y'].z-1"
    assert (left.start, left.end) == (0, len(left.text))
    node = parse_condition("$response.body.data[0].id == 1").node
    assert isinstance(node, Comparison) and isinstance(node.left, ExpressionOperand)
    assert node.left.expression.pointer is None
    assert node.left.path == ("data", 0, "id")
    # after a '#/' pointer, '[' and '.' are part of the RFC 6901 reference token
    node = parse_condition("$response.body#/filter[0].x == 1").node
    assert isinstance(node, Comparison) and isinstance(node.left, ExpressionOperand)
    assert node.left.expression.pointer == "/filter[0].x"
    assert node.left.path == ()
    node = parse_condition("($response.body#/a[1] == 1)").node
    assert isinstance(node, Comparison) and isinstance(node.left, ExpressionOperand)
    assert node.left.expression.pointer == "/a[1]"
    node = parse_condition("$steps.s.outputs.o.a.b").node
    assert isinstance(node, ExpressionOperand)
    assert node.expression.name == "o.a.b" and node.path == ()


def test_compare_function() -> None:
    assert compare("==", "A", "a")
    assert compare("<", 1, "2")
    assert not compare("<", True, False)
    assert compare("!=", None, 0)
    assert compare("==", [1, "A"], [1.0, "a"])
    assert not compare("==", [1], [1, 2])
    assert compare("==", {"a": "X"}, {"a": "x"})
    assert not compare("==", {"a": 1}, {"b": 1})
    assert not compare(">=", [1], [1])
    with pytest.raises(ValueError):
        compare("=~", 1, 1)


MALFORMED: list[tuple[str, int, str]] = [
    ("", 0, "empty condition"),
    ("   ", 0, "empty condition"),
    ("'abc", 0, "unterminated string"),
    ("$statusCode == 'abc", 15, "unterminated string"),
    ("$x == 'it''s", 1, "unknown runtime expression"),
    ("$inputs.a == 'it''s", 13, "unterminated string"),
    ('$statusCode == "abc"', 15, "use single quotes"),
    ('$statusCode == "it\'s"', 15, "write 'it''s'"),
    ("$statusCode = 200", 12, "use '=='"),
    ("$statusCode === 200", 14, "use '=='"),
    ("$statusCode == 200 & true", 19, "use '&&'"),
    ("$statusCode == 200 | true", 19, "use '||'"),
    ("$statusCode ==", 14, "missing operand after '=='"),
    ("$statusCode == ", 15, "missing operand after '=='"),
    ("== 200", 0, "expected an operand, found '=='"),
    ("$statusCode == && true", 15, "expected an operand after '==', found '&&'"),
    ("true &&", 7, "missing operand"),
    ("|| true", 0, "expected an operand"),
    ("!", 1, "missing operand"),
    ("()", 1, "expected an operand, found ')'"),
    ("($statusCode == 200", 0, "'(' is never closed"),
    ("(($statusCode == 200)", 0, "'(' is never closed"),
    ("$statusCode == 200)", 18, "unmatched ')'"),
    ("($statusCode == 200))", 20, "unmatched ')'"),
    ("(true true)", 6, "expected ')'"),
    ("(true) == true", 7, "parenthesized condition cannot be compared"),
    ("1 < $statusCode < 3", 16, "cannot be chained"),
    ("$statusCode == 200 == true", 19, "cannot be chained"),
    ("$statusCode 200", 12, "expected an operator"),
    ("true false", 5, "expected an operator"),
    ("foo == 1", 0, "unknown name 'foo'"),
    ("$statusCode == abc", 15, "unknown name 'abc'"),
    ("True", 0, "unknown name 'True'"),
    ("$statusCode == 200 #", 19, "unexpected character '#'"),
    ("$statusCode ~ 1", 12, "unexpected character '~'"),
    ("[1] == 1", 0, "unexpected character '['"),
    ("$foo == 1", 1, "unknown runtime expression $foo"),
    ("$steps.s.list == 1", 8, "'.outputs.'"),
    ("$response.body#x == 1", 15, "must start with '/'"),
    ("$response.body#/a~2 == 1", 17, "invalid escape"),
    ("$response.body. == 1", 15, "member name after '.'"),
    ("$response.body[x] == 1", 15, "expected an index"),
    ("$response.body[0 == 1", 16, "expected ']'"),
    ("$response.body['k == 1", 15, "unterminated string"),
]


@pytest.mark.parametrize(("text", "position", "message"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_condition(text: str, position: int, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_condition(text)
    assert info.value.position == position, info.value.message
    assert info.value.text == text
    assert message in info.value.message


def test_parse_condition_is_cached() -> None:
    text = "$statusCode == 200 && $response.body#/ok"
    assert parse_condition(text) is parse_condition(text)
    assert parse_condition(text).text == text


def test_nesting_is_bounded_with_a_clear_error() -> None:
    from arazzo_engine.expressions.parser import MAX_NESTING

    deep = "(" * 300 + "$statusCode == 200" + ")" * 300
    with pytest.raises(ExpressionError, match="nests deeper than"):
        parse_condition(deep)
    fine = "(" * (MAX_NESTING - 1) + "$statusCode == 200" + ")" * (MAX_NESTING - 1)
    assert parse_condition(fine).text == fine
    # many '!' side by side are not nesting
    parse_condition(" && ".join(["!($statusCode == 1)"] * 200))


# --- the precedence table (BINDING_POWER) ------------------------------------------------------


def _shape(node: object) -> str:
    """The condition tree written with every group in parentheses (operands as written)."""
    if isinstance(node, (LiteralOperand, ExpressionOperand)):
        return node.text
    if isinstance(node, Comparison):
        return f"({_shape(node.left)} {node.op} {_shape(node.right)})"
    if isinstance(node, Not):
        return "!" + _shape(node.operand)
    if isinstance(node, (And, Or)):
        joiner = " && " if isinstance(node, And) else " || "
        return "(" + joiner.join(_shape(operand) for operand in node.operands) + ")"
    raise AssertionError(f"not a condition node: {node!r}")


SHAPES = [
    ("true || false && null", "(true || (false && null))"),
    ("true && false || null", "((true && false) || null)"),
    ("true || false || null", "(true || false || null)"),  # one flat Or
    ("(true || false) || null", "((true || false) || null)"),  # not flattened through '('
    ("true && (false && null)", "(true && (false && null))"),
    ("!true && false", "(!true && false)"),
    ("!1 == 2", "!(1 == 2)"),  # '!' binds looser than a comparison
    ("!!true || !(false)", "(!!true || !false)"),
    ("!(true || false) && null", "(!(true || false) && null)"),
    ("1 < 2 && 3 >= 4 || !5 != 6", "(((1 < 2) && (3 >= 4)) || !(5 != 6))"),
    ("$inputs.a == 'x' && !($statusCode >= 400)", "(($inputs.a == 'x') && !($statusCode >= 400))"),
]


@pytest.mark.parametrize(("text", "shape"), SHAPES, ids=[c[0] for c in SHAPES])
def test_grouping(text: str, shape: str) -> None:
    assert _shape(parse_condition(text).node) == shape


def test_every_pair_of_infix_operators_groups_by_binding_power() -> None:
    from arazzo_engine.expressions.parser import BINDING_POWER

    power = BINDING_POWER
    infix = [op for op in power if op != "!"]
    comparisons = {op for op in infix if op not in ("&&", "||")}
    assert comparisons == {"==", "!=", "<", "<=", ">", ">="}
    for a in infix:
        for b in infix:
            text = f"1 {a} 2 {b} 3"
            if a in comparisons and b in comparisons:
                with pytest.raises(ExpressionError, match="cannot be chained") as info:
                    parse_condition(text)
                assert info.value.position == text.rindex(b)
                continue
            if a == b:  # a run of one junction is one flat node
                expected = f"(1 {a} 2 {b} 3)"
            elif power[a] > power[b]:
                expected = f"((1 {a} 2) {b} 3)"
            else:
                expected = f"(1 {a} (2 {b} 3))"
            assert _shape(parse_condition(text).node) == expected, text


def test_binding_power_is_the_whole_precedence_story(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing the table alone regroups: no precedence is hidden anywhere else."""
    from arazzo_engine.expressions import parser

    uncached = parser.parse_condition.__wrapped__
    text = "true || false && null"
    assert _shape(uncached(text).node) == "(true || (false && null))"
    monkeypatch.setitem(parser.BINDING_POWER, "&&", 5)  # '&&' now looser than '||'
    assert _shape(uncached(text).node) == "((true || false) && null)"
    monkeypatch.setitem(parser.BINDING_POWER, "!", 1)  # '!' now the loosest of all
    assert _shape(uncached("!true || false").node) == "!(true || false)"


def test_node_spans() -> None:
    text = "!(true) && ($statusCode == 200) || 'a' != null"
    node = parse_condition(text).node
    assert isinstance(node, Or) and (node.start, node.end) == (0, len(text))
    conjunction, comparison = node.operands
    assert isinstance(conjunction, And)
    negated, group = conjunction.operands
    assert isinstance(negated, Not) and (negated.start, negated.end) == (0, 7)  # with ')'
    assert isinstance(group, Comparison) and (group.start, group.end) == (12, 30)  # inside ()
    assert (conjunction.start, conjunction.end) == (0, 30)
    assert isinstance(comparison, Comparison)
    assert (comparison.start, comparison.end) == (text.index("'a'"), len(text))


EXACT: list[tuple[str, int, str]] = [
    (
        "$statusCode 200",
        12,
        "expected an operator (==, !=, <, <=, >, >=, &&, ||) before '200'",
    ),
    ("true ! false", 5, "expected an operator (==, !=, <, <=, >, >=, &&, ||) before '!'"),
    (
        "1 < $statusCode < 3",
        16,
        "comparisons cannot be chained; join them with '&&' (a < b && b < c)",
    ),
    ("!!1 == 2 != 3", 9, "comparisons cannot be chained; join them with '&&' (a < b && b < c)"),
    (
        "(true) == true",
        7,
        "a parenthesized condition cannot be compared with '=='; "
        "compare the operands inside the parentheses",
    ),
    (
        "!(1) >= 2",
        5,
        "a parenthesized condition cannot be compared with '>='; "
        "compare the operands inside the parentheses",
    ),
    ("1 == !true", 5, "expected an operand after '==', found '!'"),
    ("1 == (2)", 5, "expected an operand after '==', found '('"),
    ("$statusCode == && true", 15, "expected an operand after '==', found '&&'"),
    ("true && || false", 8, "expected an operand, found '||'"),
    ("!", 1, "missing operand at the end of the condition"),
    ("(true", 0, "'(' is never closed"),
    ("(true false)", 6, "expected ')' or an operator before 'false'"),
    ("true)", 4, "unmatched ')'"),
]


@pytest.mark.parametrize(("text", "position", "message"), EXACT, ids=[c[0] for c in EXACT])
def test_error_messages_are_exact(text: str, position: int, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_condition(text)
    assert (info.value.message, info.value.position) == (message, position)


def test_nesting_bound_counts_chained_negations() -> None:
    from arazzo_engine.expressions.parser import MAX_NESTING

    parse_condition("!" * MAX_NESTING + "true")
    with pytest.raises(ExpressionError, match="nests deeper than") as info:
        parse_condition("!" * (MAX_NESTING + 1) + "true")
    assert info.value.position == MAX_NESTING
    half = MAX_NESTING // 2
    parse_condition("!(" * half + "true" + ")" * half)
    with pytest.raises(ExpressionError, match="nests deeper than"):
        parse_condition("!(" * (half + 1) + "true" + ")" * (half + 1))
